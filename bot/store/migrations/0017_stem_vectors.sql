-- Related-post vectors by stem id (issue 18): a query scores its candidates from compact arrays
-- instead of parsing each one's JSON. Uses marginalia_vector() and marginalia_unpack(), which
-- StoreBase registers on every connection (bot/store/vectors.py, bot/store/packing.py).

-- The stems, numbered: the ids a vector holds, with how many essays hold each. A stem that no essay
-- holds any longer keeps its row (at 0) and its id, so an id never comes to mean another stem.
CREATE TABLE related_stems (
    id     INTEGER PRIMARY KEY,
    term   TEXT NOT NULL UNIQUE,
    essays INTEGER NOT NULL
);
INSERT INTO related_stems(term, essays) SELECT term, essays FROM related_df ORDER BY term;
DROP TRIGGER related_terms_insert;
DROP TRIGGER related_terms_delete;
DROP TABLE related_df;

ALTER TABLE related_terms ADD COLUMN vector BLOB;
UPDATE related_terms SET vector = (
    SELECT marginalia_vector(json_group_array(s.id), json_group_array(j.value))
    FROM json_each(marginalia_unpack(related_terms.terms)) j JOIN related_stems s ON s.term = j.key
);

CREATE TRIGGER related_terms_insert AFTER INSERT ON related_terms
BEGIN
    INSERT INTO related_stems(term, essays) SELECT key, 1 FROM json_each(marginalia_unpack(NEW.terms)) WHERE true
    ON CONFLICT(term) DO UPDATE SET essays = essays + 1;
    UPDATE related_terms SET vector = (
        SELECT marginalia_vector(json_group_array(s.id), json_group_array(j.value))
        FROM json_each(marginalia_unpack(NEW.terms)) j JOIN related_stems s ON s.term = j.key
    ) WHERE essay_id = NEW.essay_id;
END;

CREATE TRIGGER related_terms_delete AFTER DELETE ON related_terms
BEGIN
    UPDATE related_stems SET essays = essays - 1
    WHERE term IN (SELECT key FROM json_each(marginalia_unpack(OLD.terms)));
END;
