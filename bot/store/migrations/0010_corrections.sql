-- Corrections (issue 22). A correction is planned whole and stored before its first request,
-- then run step by step like a publication, so a crash resumes it without posting anything
-- twice. A corrected publication lists its section threads with the section of the essay's
-- current analysis each one shows: sections keep the number they were posted under.

CREATE TABLE correction_plans (
    publication_id INTEGER PRIMARY KEY REFERENCES publications(id) ON DELETE CASCADE,
    revision       INTEGER NOT NULL,  -- the essay revision the plan brings the publication to
    plan           TEXT NOT NULL,     -- JSON: the steps with their bodies, and the layout once done
    created_at     TEXT NOT NULL
);

CREATE TABLE correction_steps (
    publication_id INTEGER NOT NULL REFERENCES correction_plans(publication_id) ON DELETE CASCADE,
    seq            INTEGER NOT NULL,
    action         TEXT NOT NULL,
    slot           INTEGER,
    chunk          INTEGER,
    nonce          TEXT NOT NULL,
    state          TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'attempted', 'done')),
    channel_id     INTEGER,
    message_id     INTEGER,
    thread_id      INTEGER,
    attempted_at   TEXT,
    done_at        TEXT,
    PRIMARY KEY (publication_id, seq)
) WITHOUT ROWID;

-- When a thread's deferred correction notice falls due (one an hour per thread at most).
ALTER TABLE publications ADD COLUMN notice_due_at TEXT;

CREATE TABLE publication_threads (
    publication_id INTEGER NOT NULL REFERENCES publications(id) ON DELETE CASCADE,
    slot           INTEGER NOT NULL,  -- the number the section was posted under (§N), for good
    section        INTEGER,           -- its section in the essay's current analysis; NULL: removed
    thread_id      INTEGER NOT NULL,
    PRIMARY KEY (publication_id, slot)
) WITHOUT ROWID;
CREATE INDEX publication_threads_thread ON publication_threads(thread_id);

-- Every section thread: a corrected publication's from publication_threads, the others' from
-- the steps that started them (there the posted number is the analysis section).
CREATE VIEW posted_threads AS
    SELECT publication_id, section, thread_id FROM publication_threads
    UNION ALL
    SELECT s.publication_id, s.section, s.thread_id FROM publication_steps s
    WHERE s.thread_id IS NOT NULL AND s.action IN ('thread', 'forum_post')
      AND NOT EXISTS (SELECT 1 FROM publication_threads t WHERE t.publication_id = s.publication_id);
