-- What the activity chart and the weekly digest read (bot/activity.py, bot/digest.py).

-- One row per member's message in a section thread, for as long as the message exists: the count,
-- the distinct participants and the last message's time all derive from it, an edit changes nothing
-- and a deleted message is simply removed. Ids and times only: the bot has no message-content intent.
CREATE TABLE thread_messages (
    message_id INTEGER PRIMARY KEY,
    thread_id  INTEGER NOT NULL,
    author_id  INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX thread_messages_thread ON thread_messages(thread_id, author_id);
CREATE INDEX thread_messages_time ON thread_messages(created_at, thread_id);

-- Section threads whose history is read once, because they existed before messages were kept one
-- by one: every thread known now. Threads made later are counted from their first message.
CREATE TABLE thread_backfill (
    thread_id INTEGER PRIMARY KEY,
    done_at   TEXT              -- NULL: still to read
);
INSERT OR IGNORE INTO thread_backfill(thread_id)
    SELECT DISTINCT thread_id FROM publication_steps
    WHERE thread_id IS NOT NULL AND state = 'done' AND action IN ('thread', 'forum_post');

-- Messages deleted in a thread still waiting for its backfill: a history page read just before the
-- deletion must not bring them back. Dropped when the thread's backfill is done.
CREATE TABLE thread_message_tombstones (
    message_id INTEGER PRIMARY KEY,
    thread_id  INTEGER NOT NULL
);

-- The per-thread totals kept so far (no authors, edits never seen, deletions never subtracted) are
-- replaced by the rows above: the backfill rebuilds them from each thread's history.
DROP TABLE thread_activity;

-- A server's weekly digest: where it goes, and when it next runs (stored, so a restart keeps it).
CREATE TABLE digest_schedules (
    guild_id    INTEGER PRIMARY KEY,
    channel_id  INTEGER NOT NULL,
    next_run_at TEXT NOT NULL
);

-- Each week's digest of a server, recorded before it is sent: the body and nonce are fixed then, so a
-- resend after a crash is the same request (Discord drops it by its nonce) and the first message can
-- be recognised in the channel. One row per (server, week): a week is never posted twice.
CREATE TABLE digests (
    guild_id     INTEGER NOT NULL,
    week         TEXT NOT NULL,       -- the first day of the week covered (YYYY-MM-DD, UTC)
    channel_id   INTEGER NOT NULL,
    nonce        TEXT NOT NULL,
    body         TEXT,                -- the JSON request; NULL when the week had nothing to tell
    state        TEXT NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'attempted', 'done', 'empty', 'failed')),
    attempted_at TEXT,
    message_id   INTEGER,
    error        TEXT,
    PRIMARY KEY (guild_id, week)
) WITHOUT ROWID;
