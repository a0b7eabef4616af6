-- How many essays carry each label, kept by triggers: the related ranking weighs a label by it on
-- every query, and counting the rows of a label that most posts carry grows with the archive.
CREATE TABLE label_df (
    label  TEXT PRIMARY KEY,
    essays INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO label_df(label, essays) SELECT label, count(*) FROM essay_labels GROUP BY label;

CREATE TRIGGER essay_labels_insert AFTER INSERT ON essay_labels
BEGIN
    INSERT INTO label_df(label, essays) VALUES (NEW.label, 1)
    ON CONFLICT(label) DO UPDATE SET essays = essays + 1;
END;

CREATE TRIGGER essay_labels_delete AFTER DELETE ON essay_labels
BEGIN
    UPDATE label_df SET essays = essays - 1 WHERE label = OLD.label;
    DELETE FROM label_df WHERE label = OLD.label AND essays <= 0;
END;
