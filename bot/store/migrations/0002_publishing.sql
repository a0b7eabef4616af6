-- Servers, destinations and what was posted where.

CREATE TABLE guilds (
    guild_id          INTEGER PRIMARY KEY,
    modlog_channel_id INTEGER,
    removed           INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE destinations (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    channel_id      INTEGER NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('text', 'announcement', 'forum')),
    feed_id         INTEGER REFERENCES feeds(id) ON DELETE CASCADE,  -- NULL: every feed of the server
    archive_minutes INTEGER NOT NULL DEFAULT 10080,
    slowmode        INTEGER NOT NULL DEFAULT 0,
    forum_tags      TEXT NOT NULL DEFAULT '[]',   -- JSON array of tag ids
    mention_role_id INTEGER,
    stopped_reason  TEXT,                         -- set when Discord refused; cleared on resume
    UNIQUE (guild_id, channel_id)
);

-- One essay revision planned for one destination.
CREATE TABLE publications (
    id             INTEGER PRIMARY KEY,
    essay_id       INTEGER NOT NULL REFERENCES essays(id) ON DELETE CASCADE,
    destination_id INTEGER NOT NULL REFERENCES destinations(id) ON DELETE CASCADE,
    revision       INTEGER NOT NULL,
    state          TEXT NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'done', 'stopped')),
    error          TEXT,
    created_at     TEXT NOT NULL,
    finished_at    TEXT,
    UNIQUE (essay_id, destination_id)
);
CREATE INDEX publications_state ON publications(state);

-- Each Discord request of a publication, recorded when it succeeds.
CREATE TABLE publication_steps (
    publication_id INTEGER NOT NULL REFERENCES publications(id) ON DELETE CASCADE,
    seq            INTEGER NOT NULL,
    action         TEXT NOT NULL,    -- card, crosspost, anchor, thread, thread_text, forum_post, forum_links
    section        INTEGER,
    chunk          INTEGER,
    nonce          TEXT NOT NULL,
    state          TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'attempted', 'done')),
    channel_id     INTEGER,          -- where the step's result lives
    message_id     INTEGER,
    thread_id      INTEGER,
    done_at        TEXT,
    PRIMARY KEY (publication_id, seq)
) WITHOUT ROWID;
CREATE INDEX publication_steps_thread ON publication_steps(thread_id);

-- Message counts per section thread, from gateway events.
CREATE TABLE thread_activity (
    thread_id     INTEGER PRIMARY KEY,
    messages      INTEGER NOT NULL DEFAULT 0,
    last_activity TEXT
);
