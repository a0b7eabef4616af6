-- Each essay's related-post stems are kept only as its vector of stem ids (migration 0017): the JSON
-- object of stem counts it was made from, read by nothing else since, is dropped (0.7 KB per essay).
-- The store numbers the stems and counts them when it writes a vector (bot/store/store.py); this
-- trigger counts them down when one is deleted. Uses marginalia_vector_ids() (bot/store/vectors.py).
DROP TRIGGER related_terms_insert;
DROP TRIGGER related_terms_delete;
ALTER TABLE related_terms DROP COLUMN terms;
CREATE TRIGGER related_terms_delete AFTER DELETE ON related_terms
BEGIN
    UPDATE related_stems SET essays = essays - 1
    WHERE id IN (SELECT value FROM json_each(marginalia_vector_ids(OLD.vector)));
END;

-- /related reads which speakers each of its candidates quotes (about 60 essays per query): through the
-- essay index, that read every quote row of those essays (0.5-0.7 ms of SQL per query at 10,000 essays).
-- The speakers of the essays' direct quotes, in an index of their own, answer it from the index alone.
CREATE INDEX quotes_essay_speaker ON quotes(essay_id, speaker)
WHERE speaker IS NOT NULL AND kind IN ('direct', 'epigraph');
-- then: VACUUM
