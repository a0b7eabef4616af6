-- Feeds, essays and their analysis, search indexes.

CREATE TABLE feeds (
    id                   INTEGER PRIMARY KEY,
    url                  TEXT NOT NULL UNIQUE,
    title                TEXT,
    etag                 TEXT,
    last_modified        TEXT,
    added_at             TEXT NOT NULL,
    last_polled_at       TEXT,
    last_ok_at           TEXT,
    last_result          TEXT,
    last_error           TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_poll_at         TEXT,
    paused               INTEGER NOT NULL DEFAULT 0,
    primed               INTEGER NOT NULL DEFAULT 0  -- 1 once the first poll stored the backlog as seen
);

-- Which servers follow which feeds.
CREATE TABLE guild_feeds (
    guild_id INTEGER NOT NULL,
    feed_id  INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    added_at TEXT NOT NULL,
    PRIMARY KEY (guild_id, feed_id)
);

CREATE TABLE essays (
    id            INTEGER PRIMARY KEY,
    key           TEXT NOT NULL UNIQUE,
    feed_id       INTEGER REFERENCES feeds(id) ON DELETE SET NULL,
    source        TEXT NOT NULL,
    url           TEXT,
    title         TEXT NOT NULL,
    author        TEXT,
    published     TEXT,             -- ISO 8601, UTC
    labels        TEXT NOT NULL,    -- JSON array
    blocks        TEXT NOT NULL,    -- JSON array of [kind, text]
    word_count    INTEGER NOT NULL,
    content_hash  TEXT NOT NULL,
    revision      INTEGER NOT NULL DEFAULT 1,
    first_seen_at TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX essays_published ON essays(published);
CREATE INDEX essays_url ON essays(url);
CREATE INDEX essays_feed ON essays(feed_id);

-- Labels, normalised to lower case, for "shares labels" and label filters.
CREATE TABLE essay_labels (
    essay_id INTEGER NOT NULL REFERENCES essays(id) ON DELETE CASCADE,
    label    TEXT NOT NULL,
    PRIMARY KEY (label, essay_id)
) WITHOUT ROWID;
CREATE INDEX essay_labels_essay ON essay_labels(essay_id);

-- Entry identities a feed has shown, so a re-poll or a re-dated entry adds nothing.
CREATE TABLE feed_entries (
    feed_id    INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    identity   TEXT NOT NULL,
    essay_id   INTEGER REFERENCES essays(id) ON DELETE CASCADE,
    first_seen TEXT NOT NULL,
    PRIMARY KEY (feed_id, identity)
);

CREATE TABLE sections (
    essay_id     INTEGER NOT NULL REFERENCES essays(id) ON DELETE CASCADE,
    idx          INTEGER NOT NULL,
    title        TEXT NOT NULL,
    start_block  INTEGER NOT NULL,
    end_block    INTEGER NOT NULL,
    from_heading INTEGER NOT NULL,
    word_count   INTEGER NOT NULL,
    PRIMARY KEY (essay_id, idx)
) WITHOUT ROWID;

CREATE TABLE quotes (
    id       INTEGER PRIMARY KEY,
    essay_id INTEGER NOT NULL REFERENCES essays(id) ON DELETE CASCADE,
    section  INTEGER NOT NULL,
    kind     TEXT NOT NULL,
    text     TEXT NOT NULL,
    speaker  TEXT,
    score    REAL NOT NULL DEFAULT 0
);
CREATE INDEX quotes_essay ON quotes(essay_id);
CREATE INDEX quotes_speaker ON quotes(speaker COLLATE NOCASE);

CREATE TABLE figures (
    id         INTEGER PRIMARY KEY,
    essay_id   INTEGER NOT NULL REFERENCES essays(id) ON DELETE CASCADE,
    section    INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    text       TEXT NOT NULL,
    value      REAL,
    value_high REAL,
    unit       TEXT,
    qualifier  TEXT,
    subject    TEXT,
    context    TEXT NOT NULL
);
CREATE INDEX figures_essay ON figures(essay_id);
CREATE INDEX figures_kind ON figures(kind);

CREATE TABLE essay_references (
    id           INTEGER PRIMARY KEY,
    essay_id     INTEGER NOT NULL REFERENCES essays(id) ON DELETE CASCADE,
    section      INTEGER NOT NULL,
    text         TEXT NOT NULL,
    ref_date     TEXT,
    title        TEXT,
    url          TEXT,
    resolved_key TEXT
);
CREATE INDEX essay_references_essay ON essay_references(essay_id);

-- Full-text indexes; rowid is the row id of the table each one indexes.
CREATE VIRTUAL TABLE essay_fts USING fts5(
    title, body, labels, tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE quote_fts USING fts5(
    text, speaker, tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE figure_fts USING fts5(
    text, subject, context, tokenize = 'porter unicode61 remove_diacritics 2'
);

-- Small key/value state (command-definition hash and the like).
CREATE TABLE bot_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
