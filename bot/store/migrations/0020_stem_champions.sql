-- Champion lists (Manning, Raghavan and Schütze, "Introduction to Information Retrieval", 7.1.3): for each
-- stem, the essays it weighs most in. A free-text /related query reads the first few essays of each of its
-- stems in index order, where the FTS5 query scored every posting of every word (5-7 ms for a word on a
-- quarter of 10,000 essays). Each essay lists its most distinctive stems here (bot/related.py
-- CHAMPION_STEMS), written when its neighbour list is, and gone with the list when the essay is revised.
-- Essays stored before this migration get theirs from the related code the first time it runs.
CREATE TABLE stem_champions (
    stem_id  INTEGER NOT NULL,
    -- The stem's tf weight over the essay's tf length, in millionths: its share of the essay's cosine
    -- with any text, a number no archive statistic changes (bot/related.py).
    weight   INTEGER NOT NULL,
    essay_id INTEGER NOT NULL REFERENCES related_lists(essay_id) ON DELETE CASCADE,
    PRIMARY KEY (stem_id, weight, essay_id)
) WITHOUT ROWID;
CREATE INDEX stem_champions_essay ON stem_champions(essay_id);
