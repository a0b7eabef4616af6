-- Related terms at a third of their size, for the same answers (issue 18). Uses marginalia_pack() and
-- marginalia_unpack(), which StoreBase registers on every connection (bot/store/packing.py).

-- The stored related-post terms, packed like bodies (a third of their size); the document counts
-- are kept by the same triggers, which now unpack what they read.
DROP TRIGGER related_terms_insert;
DROP TRIGGER related_terms_delete;
UPDATE related_terms SET terms = marginalia_pack(terms), forms = marginalia_pack(forms);
CREATE TRIGGER related_terms_insert AFTER INSERT ON related_terms
BEGIN
    INSERT INTO related_df(term, essays) SELECT key, 1 FROM json_each(marginalia_unpack(NEW.terms)) WHERE true
    ON CONFLICT(term) DO UPDATE SET essays = essays + 1;
END;
CREATE TRIGGER related_terms_delete AFTER DELETE ON related_terms
BEGIN
    UPDATE related_df SET essays = essays - 1 WHERE term IN (SELECT key FROM json_each(marginalia_unpack(OLD.terms)));
    DELETE FROM related_df WHERE essays <= 0 AND term IN (SELECT key FROM json_each(marginalia_unpack(OLD.terms)));
END;
-- then: VACUUM
