-- A number that moves with every commit changing what /related ranks by: bot/related.py keeps an
-- essay's answer while it stays the same. SQLite's data_version, used before, moved with every commit,
-- a member's message in a section thread included, so on a server discussing its essays the kept
-- answers were seldom used again.
--
-- The ranking reads the essays and their labels, quotes, references, stems and neighbour lists, and the
-- servers' scope. A write to labels, quotes, stems or list rows comes with a write to one of the tables
-- below in the same transaction (a stored or revised essay writes its essays row; a neighbour list, its
-- own and the lists it joins, is written with its owner's related_lists row, bot/store/store.py
-- save_neighbours), so the triggers need only these tables, not the hundreds of rows an essay adds to the
-- others.
CREATE TABLE ranking_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO ranking_version(id, version) VALUES (1, 0);

CREATE TRIGGER ranking_essay_added AFTER INSERT ON essays
BEGIN UPDATE ranking_version SET version = version + 1; END;
CREATE TRIGGER ranking_essay_changed AFTER UPDATE ON essays
BEGIN UPDATE ranking_version SET version = version + 1; END;
CREATE TRIGGER ranking_essay_removed AFTER DELETE ON essays
BEGIN UPDATE ranking_version SET version = version + 1; END;

CREATE TRIGGER ranking_terms_added AFTER INSERT ON related_terms
BEGIN UPDATE ranking_version SET version = version + 1; END;
CREATE TRIGGER ranking_terms_changed AFTER UPDATE ON related_terms
BEGIN UPDATE ranking_version SET version = version + 1; END;
CREATE TRIGGER ranking_terms_removed AFTER DELETE ON related_terms
BEGIN UPDATE ranking_version SET version = version + 1; END;

CREATE TRIGGER ranking_list_added AFTER INSERT ON related_lists
BEGIN UPDATE ranking_version SET version = version + 1; END;
CREATE TRIGGER ranking_list_changed AFTER UPDATE ON related_lists
BEGIN UPDATE ranking_version SET version = version + 1; END;
CREATE TRIGGER ranking_list_removed AFTER DELETE ON related_lists
BEGIN UPDATE ranking_version SET version = version + 1; END;

-- A reference resolved when the essay it names arrives (bot/intake.py), in a transaction of its own.
CREATE TRIGGER ranking_reference_added AFTER INSERT ON essay_references
BEGIN UPDATE ranking_version SET version = version + 1; END;
CREATE TRIGGER ranking_reference_changed AFTER UPDATE ON essay_references
BEGIN UPDATE ranking_version SET version = version + 1; END;
CREATE TRIGGER ranking_reference_removed AFTER DELETE ON essay_references
BEGIN UPDATE ranking_version SET version = version + 1; END;

-- A server following a feed, leaving one, or posting a page: what it may see changed.
CREATE TRIGGER ranking_scope_added AFTER INSERT ON guild_essays
BEGIN UPDATE ranking_version SET version = version + 1; END;
CREATE TRIGGER ranking_scope_changed AFTER UPDATE ON guild_essays
BEGIN UPDATE ranking_version SET version = version + 1; END;
CREATE TRIGGER ranking_scope_removed AFTER DELETE ON guild_essays
BEGIN UPDATE ranking_version SET version = version + 1; END;
