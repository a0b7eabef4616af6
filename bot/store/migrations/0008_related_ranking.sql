-- Related-post ranking: each essay's weighted stem counts (bot/essays/terms.py), written at ingest,
-- and how many essays hold each stem, kept by the triggers below. Document frequencies live here, not
-- in the stored counts, so idf is always the archive's current one. Essays stored before this
-- migration get their row from the related code the first time it runs (it cannot be done in SQL).
CREATE TABLE related_terms (
    essay_id INTEGER PRIMARY KEY REFERENCES essays(id) ON DELETE CASCADE,
    terms    TEXT NOT NULL,  -- JSON object {stem: weighted count}
    forms    TEXT NOT NULL,  -- JSON object {stem: commonest written form}, where the two differ
    norm     REAL NOT NULL   -- sqrt(sum((1 + ln count)^2)): no archive statistic, never stale
);

CREATE TABLE related_df (
    term   TEXT PRIMARY KEY,
    essays INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER related_terms_insert AFTER INSERT ON related_terms
BEGIN
    INSERT INTO related_df(term, essays) SELECT key, 1 FROM json_each(NEW.terms) WHERE true
    ON CONFLICT(term) DO UPDATE SET essays = essays + 1;
END;

CREATE TRIGGER related_terms_delete AFTER DELETE ON related_terms
BEGIN
    UPDATE related_df SET essays = essays - 1 WHERE term IN (SELECT key FROM json_each(OLD.terms));
    DELETE FROM related_df WHERE essays <= 0 AND term IN (SELECT key FROM json_each(OLD.terms));
END;
