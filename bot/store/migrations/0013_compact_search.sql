-- The last tenth of the disk for the same answers (issue 18). Uses marginalia_pack() and
-- marginalia_unpack(), which StoreBase registers on every connection (bot/store/packing.py).

-- Quotations and figure sentences are one or two sentences each: a word occurs in a row once or
-- twice, so the positions FTS5 keeps by default (detail=full) buy nothing bm25 needs, and lookups
-- never search for phrases (bot/store/lookup.py: fts_query ANDs single words). detail=column keeps
-- which column holds each word and drops the positions: the figure index is about 40 % smaller.
CREATE VIRTUAL TABLE quote_fts_columns USING fts5(
    text, speaker, content = '', detail = column, tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO quote_fts_columns(rowid, text, speaker) SELECT id, text, COALESCE(speaker, '') FROM quotes;
DROP TABLE quote_fts;
ALTER TABLE quote_fts_columns RENAME TO quote_fts;

CREATE VIRTUAL TABLE figure_fts_columns USING fts5(
    text, subject, context, content = '', detail = column, tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TEMP TABLE figure_sentences AS
SELECT c.essay_id, s.key AS idx, s.value AS sentence
FROM essay_contexts c, json_each(marginalia_unpack(c.contexts)) s;
CREATE INDEX temp.figure_sentences_lookup ON figure_sentences(essay_id, idx);
INSERT INTO figure_fts_columns(rowid, text, subject, context)
SELECT f.id, f.text, COALESCE(f.subject, ''), COALESCE(s.sentence, '')
FROM figures f LEFT JOIN figure_sentences s ON s.essay_id = f.essay_id AND s.idx = f.context_idx;
DROP TABLE figure_sentences;
DROP TABLE figure_fts;
ALTER TABLE figure_fts_columns RENAME TO figure_fts;

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
