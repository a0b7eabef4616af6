-- Related-post ranking: each essay's nearest neighbours in the whole archive (bot/related.py), found when
-- it is stored and joined by later essays that come nearer. Two posts whose neighbourhoods overlap are
-- related even when their own wording is too short to show it. Essays stored before this migration get
-- their list from the related code the first time it runs.
CREATE TABLE related_lists (
    essay_id INTEGER PRIMARY KEY REFERENCES essays(id) ON DELETE CASCADE,
    scale    REAL NOT NULL,    -- the essay's similarity scale when its list was made: another post's view of it
    archive  INTEGER NOT NULL  -- how many essays the archive held then: the list is made again when it doubles
);
CREATE INDEX related_lists_archive ON related_lists(archive);

CREATE TABLE related_neighbours (
    essay_id     INTEGER NOT NULL REFERENCES related_lists(essay_id) ON DELETE CASCADE,
    neighbour_id INTEGER NOT NULL REFERENCES essays(id) ON DELETE CASCADE,
    score        REAL NOT NULL,  -- similarity plus nearness in time, as the essay itself sees the neighbour
    PRIMARY KEY (essay_id, neighbour_id)
) WITHOUT ROWID;

CREATE INDEX related_neighbours_neighbour ON related_neighbours(neighbour_id);
