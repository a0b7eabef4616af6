-- Champion lists, as SQLite's migration 0020 (bot/store/migrations/0020_stem_champions.sql): for each stem,
-- the essays it weighs most in, so a free-text /related query reads the first few essays of each of its stems
-- from this index instead of ranking every GIN match of its words. Each essay lists its most distinctive
-- stems (bot/related.py CHAMPION_STEMS) with its neighbour list, and they go with the list when the essay is
-- revised. Essays stored before this migration get theirs from the related code the first time it runs.
CREATE TABLE stem_champions (
    stem_id  INTEGER NOT NULL,
    weight   INTEGER NOT NULL,  -- millionths of the stem's tf weight over the essay's tf length
    essay_id BIGINT NOT NULL REFERENCES related_lists(essay_id) ON DELETE CASCADE,
    PRIMARY KEY (stem_id, weight, essay_id)
);
CREATE INDEX stem_champions_essay ON stem_champions(essay_id);
