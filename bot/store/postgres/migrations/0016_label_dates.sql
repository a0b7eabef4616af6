-- /related's label candidates are the newest posts carrying a rare label, published before the essay
-- (bot/store/postgres/related.py label_neighbours), as SQLite's migration 0021. Found through essays' dates, that
-- read joined every post of the label to its essays row and sorted them all, a cost growing with the label's
-- posts; with the date kept beside the label, one label's newest posts before a date are the first rows of an
-- index range, and several labels' weights are summed from the index without reading essays.
ALTER TABLE essay_labels ADD COLUMN published TIMESTAMPTZ;  -- the essay's essays.published
UPDATE essay_labels l SET published = e.published FROM essays e WHERE e.id = l.essay_id;
CREATE INDEX essay_labels_published ON essay_labels(label, published DESC NULLS LAST, essay_id DESC);

-- A label takes its essay's date when written, whoever writes it (a process of the previous version too, which
-- names no date), and follows a date changed later.
CREATE FUNCTION essay_labels_date() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.published := (SELECT e.published FROM essays e WHERE e.id = NEW.essay_id);
    RETURN NEW;
END $$;
CREATE TRIGGER essay_labels_date BEFORE INSERT ON essay_labels
    FOR EACH ROW EXECUTE FUNCTION essay_labels_date();

CREATE FUNCTION essay_labels_dated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE essay_labels SET published = NEW.published WHERE essay_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER essay_labels_dated AFTER UPDATE OF published ON essays
    FOR EACH ROW WHEN (NEW.published IS DISTINCT FROM OLD.published) EXECUTE FUNCTION essay_labels_dated();
