-- Champion lists (Manning, Raghavan and Schütze, "Introduction to Information Retrieval", 7.1.3): for each
-- stem, the essays it weighs most in. A free-text /related query reads the first few essays of each of its
-- stems in index order, where the FTS5 query scored every posting of every word (5-7 ms for a word on a
-- quarter of 10,000 essays). Each essay takes places in the lists of its most distinctive and its most used
-- stems (bot/related.py), written when its neighbour list is. Essays stored before this migration get theirs
-- from the related code the first time it runs.
--
-- No index by essay (it would double the table, 0.57 KB per essay): a place's weight follows from the essay's
-- vector (bot/store/vectors.py place_weights), so the places of an essay are found by key, from its vector,
-- when they are replaced, or the vector or the list is deleted (a revision, or the essay itself).
CREATE TABLE stem_champions (
    stem_id  INTEGER NOT NULL,
    weight   INTEGER NOT NULL,  -- millionths of the stem's tf weight over the essay's tf length
    essay_id INTEGER NOT NULL,
    PRIMARY KEY (stem_id, weight, essay_id)
) WITHOUT ROWID;

-- Whether the essay has taken its places (0: stored before this migration, or its list made again since).
ALTER TABLE related_lists ADD COLUMN placed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX related_lists_unplaced ON related_lists(essay_id) WHERE placed = 0;

CREATE TRIGGER stem_champions_gone AFTER DELETE ON related_terms
BEGIN
    DELETE FROM stem_champions WHERE essay_id = OLD.essay_id AND (stem_id, weight) IN (
        SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]')
        FROM json_each(marginalia_vector_places(OLD.vector, OLD.norm))
    );
END;
CREATE TRIGGER stem_champions_unlisted AFTER DELETE ON related_lists
BEGIN
    DELETE FROM stem_champions WHERE essay_id = OLD.essay_id AND (stem_id, weight) IN (
        SELECT json_extract(p.value, '$[0]'), json_extract(p.value, '$[1]')
        FROM related_terms t, json_each(marginalia_vector_places(t.vector, t.norm)) p WHERE t.essay_id = OLD.essay_id
    );
END;
