-- What the publisher needs to recover after a crash and to correct revised essays.

-- When a step's request was last attempted: after a crash, only messages created around or
-- after this moment can be the step's own.
ALTER TABLE publication_steps ADD COLUMN attempted_at TEXT;

-- JSON snapshot of the analysis a publication posted (section titles and text hashes,
-- quotes and figures), compared with a new revision to tell each thread what changed.
ALTER TABLE publications ADD COLUMN posted_snapshot TEXT;

-- Correction notices already posted, so a resumed correction posts each one once.
CREATE TABLE correction_notices (
    publication_id INTEGER NOT NULL REFERENCES publications(id) ON DELETE CASCADE,
    revision       INTEGER NOT NULL,
    section        INTEGER NOT NULL,
    message_id     INTEGER,
    PRIMARY KEY (publication_id, revision, section)
) WITHOUT ROWID;
