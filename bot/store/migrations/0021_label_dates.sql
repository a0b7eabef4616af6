-- /related's label candidates are the newest posts carrying a rare label, published before the essay
-- (bot/store/store.py label_neighbours). Found through essays' dates, that read joined every post of the label
-- to its essays row and sorted them all (0.85 ms for a label on 500 of 10,000 posts); with the date kept beside
-- the label, one label's newest posts before a date are the first rows of an index range (0.03 ms), and several
-- labels' weights are summed from the index alone.
ALTER TABLE essay_labels ADD COLUMN published TEXT;  -- the essay's essays.published
UPDATE essay_labels SET published = (SELECT e.published FROM essays e WHERE e.id = essay_labels.essay_id);
CREATE INDEX essay_labels_published ON essay_labels(label, published);

-- Labels are written with their essay's date (bot/store/store.py _insert_analysis); a date changed later
-- follows here.
CREATE TRIGGER essay_labels_dated AFTER UPDATE OF published ON essays WHEN NEW.published IS NOT OLD.published
BEGIN
    UPDATE essay_labels SET published = NEW.published WHERE essay_id = NEW.id;
END;
