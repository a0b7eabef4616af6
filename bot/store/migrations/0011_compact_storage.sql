-- Half the disk for the same answers (issue 18). Uses marginalia_pack(), which StoreBase registers on
-- the connection (bot/store/packing.py: zlib over UTF-8).

-- Essay bodies in their own table, compressed: the essays rows that lookups join stay a few hundred
-- bytes wide instead of a page each.
CREATE TABLE essay_bodies (
    essay_id INTEGER PRIMARY KEY REFERENCES essays(id) ON DELETE CASCADE,
    blocks   BLOB NOT NULL  -- packed JSON array of [kind, text]
);
INSERT INTO essay_bodies(essay_id, blocks) SELECT id, marginalia_pack(blocks) FROM essays;

-- Full-text indexes that keep no copy of the text they index (content=''): nothing read it back. A row
-- is removed with FTS5's 'delete' command and the values it was indexed with (bot/store/store.py).
CREATE VIRTUAL TABLE essay_fts_compact USING fts5(
    title, body, labels, content = '', tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO essay_fts_compact(rowid, title, body, labels)
SELECT e.id, e.title,
       (SELECT group_concat(json_extract(j.value, '$[1]'), char(10, 10)) FROM json_each(e.blocks) j),
       (SELECT group_concat(j.value, ' ') FROM json_each(e.labels) j)
FROM essays e;
DROP TABLE essay_fts;
ALTER TABLE essay_fts_compact RENAME TO essay_fts;

CREATE VIRTUAL TABLE quote_fts_compact USING fts5(
    text, speaker, content = '', tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO quote_fts_compact(rowid, text, speaker) SELECT id, text, COALESCE(speaker, '') FROM quotes;
DROP TABLE quote_fts;
ALTER TABLE quote_fts_compact RENAME TO quote_fts;

CREATE VIRTUAL TABLE figure_fts_compact USING fts5(
    text, subject, context, content = '', tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO figure_fts_compact(rowid, text, subject, context)
SELECT id, text, COALESCE(subject, ''), context FROM figures;
DROP TABLE figure_fts;
ALTER TABLE figure_fts_compact RENAME TO figure_fts;

-- A figure's sentence is stored once per essay (several figures often share one), packed; a figure
-- keeps its number in that list.
CREATE TABLE essay_contexts (
    essay_id INTEGER PRIMARY KEY REFERENCES essays(id) ON DELETE CASCADE,
    contexts BLOB NOT NULL  -- packed JSON array of sentences, in order of first use
);
CREATE TEMP TABLE figure_context_numbers AS
SELECT essay_id, context, row_number() OVER (PARTITION BY essay_id ORDER BY min(id)) - 1 AS idx
FROM figures GROUP BY essay_id, context;
CREATE INDEX temp.figure_context_lookup ON figure_context_numbers(essay_id, context);
INSERT INTO essay_contexts(essay_id, contexts)
SELECT essay_id, marginalia_pack(json_group_array(context))
FROM (SELECT essay_id, context FROM figure_context_numbers ORDER BY essay_id, idx)
GROUP BY essay_id;
ALTER TABLE figures ADD COLUMN context_idx INTEGER NOT NULL DEFAULT 0;
UPDATE figures SET context_idx = (
    SELECT n.idx FROM figure_context_numbers n WHERE n.essay_id = figures.essay_id AND n.context = figures.context
);
DROP TABLE figure_context_numbers;
ALTER TABLE figures DROP COLUMN context;
ALTER TABLE essays DROP COLUMN blocks;

-- Indexes that are prefixes of others (figures_essay_kind, quotes_speaker_kind) or used by no plan.
DROP INDEX figures_essay;
DROP INDEX figures_kind;
DROP INDEX quotes_speaker;

-- then: VACUUM
