-- Each server sees and changes only its own blogs (see bot/store/scope.py).

-- A server pauses its own follow of a feed; the feed is still polled for the others.
ALTER TABLE guild_feeds ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
-- 1 from the moment a server follows a feed until its newest essays are queued for that server,
-- which waits for the server's first channel and for the feed's first poll, whichever comes last.
ALTER TABLE guild_feeds ADD COLUMN welcome_pending INTEGER NOT NULL DEFAULT 0;
CREATE INDEX guild_feeds_feed ON guild_feeds(feed_id, guild_id);
CREATE INDEX feed_entries_essay ON feed_entries(essay_id) WHERE essay_id IS NOT NULL;
CREATE INDEX publications_destination ON publications(destination_id, essay_id);

-- The essays a server may see, by definition: every essay of a feed it follows, and every essay posted
-- in one of its channels (a moderator's post of a page that no feed of the server lists).
CREATE VIEW guild_essays_derived(guild_id, essay_id) AS
    SELECT gf.guild_id, fe.essay_id FROM guild_feeds gf JOIN feed_entries fe ON fe.feed_id = gf.feed_id
    WHERE fe.essay_id IS NOT NULL
    UNION ALL
    SELECT gf.guild_id, e.id FROM guild_feeds gf JOIN essays e ON e.feed_id = gf.feed_id
    UNION ALL
    SELECT d.guild_id, p.essay_id FROM destinations d JOIN publications p ON p.destination_id = d.id;

-- (Inserts in the triggers use ON CONFLICT DO NOTHING, not OR IGNORE: an upsert that fires a trigger
-- overrides the trigger's OR clause.)
-- The same rows kept as a table, so that a scoped lookup is one primary-key probe per row rather than
-- the union above built anew for every query. The triggers below keep it equal to the view: a source row
-- that appears adds its rows; one that disappears makes the server's rows be checked against the view
-- again (following, unfollowing and removing a channel are rare; lookups are not).
CREATE TABLE guild_essays (
    guild_id INTEGER NOT NULL,
    essay_id INTEGER NOT NULL REFERENCES essays(id) ON DELETE CASCADE,
    PRIMARY KEY (guild_id, essay_id)
) WITHOUT ROWID;
CREATE INDEX guild_essays_essay ON guild_essays(essay_id);
INSERT INTO guild_essays(guild_id, essay_id) SELECT DISTINCT guild_id, essay_id FROM guild_essays_derived;

CREATE TRIGGER guild_essays_entry_seen AFTER INSERT ON feed_entries WHEN NEW.essay_id IS NOT NULL
BEGIN
    INSERT INTO guild_essays(guild_id, essay_id)
    SELECT guild_id, NEW.essay_id FROM guild_feeds WHERE feed_id = NEW.feed_id
    ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER guild_essays_entry_stored AFTER UPDATE OF essay_id ON feed_entries WHEN NEW.essay_id IS NOT NULL
BEGIN
    INSERT INTO guild_essays(guild_id, essay_id)
    SELECT guild_id, NEW.essay_id FROM guild_feeds WHERE feed_id = NEW.feed_id
    ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER guild_essays_essay_stored AFTER INSERT ON essays WHEN NEW.feed_id IS NOT NULL
BEGIN
    INSERT INTO guild_essays(guild_id, essay_id)
    SELECT guild_id, NEW.id FROM guild_feeds WHERE feed_id = NEW.feed_id
    ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER guild_essays_essay_feed AFTER UPDATE OF feed_id ON essays WHEN NEW.feed_id IS NOT NULL
BEGIN
    INSERT INTO guild_essays(guild_id, essay_id)
    SELECT guild_id, NEW.id FROM guild_feeds WHERE feed_id = NEW.feed_id
    ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER guild_essays_follow AFTER INSERT ON guild_feeds
BEGIN
    INSERT INTO guild_essays(guild_id, essay_id)
    SELECT NEW.guild_id, essay_id FROM feed_entries WHERE feed_id = NEW.feed_id AND essay_id IS NOT NULL
    ON CONFLICT DO NOTHING;
    INSERT INTO guild_essays(guild_id, essay_id)
    SELECT NEW.guild_id, id FROM essays WHERE feed_id = NEW.feed_id
    ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER guild_essays_posted AFTER INSERT ON publications
BEGIN
    INSERT INTO guild_essays(guild_id, essay_id)
    SELECT guild_id, NEW.essay_id FROM destinations WHERE id = NEW.destination_id
    ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER guild_essays_unfollow AFTER DELETE ON guild_feeds
BEGIN
    DELETE FROM guild_essays WHERE guild_id = OLD.guild_id AND NOT EXISTS (
        SELECT 1 FROM guild_essays_derived d WHERE d.guild_id = OLD.guild_id AND d.essay_id = guild_essays.essay_id
    );
END;

CREATE TRIGGER guild_essays_channel_removed AFTER DELETE ON destinations
BEGIN
    DELETE FROM guild_essays WHERE guild_id = OLD.guild_id AND NOT EXISTS (
        SELECT 1 FROM guild_essays_derived d WHERE d.guild_id = OLD.guild_id AND d.essay_id = guild_essays.essay_id
    );
END;

CREATE TRIGGER guild_essays_unposted AFTER DELETE ON publications
BEGIN
    DELETE FROM guild_essays WHERE essay_id = OLD.essay_id AND NOT EXISTS (
        SELECT 1 FROM guild_essays_derived d WHERE d.guild_id = guild_essays.guild_id AND d.essay_id = OLD.essay_id
    );
END;

-- The card shows the essay's lead picture, and the blog's name and icon (bot/essays/images.py).
ALTER TABLE essays ADD COLUMN image TEXT;
ALTER TABLE essays ADD COLUMN site_name TEXT;
ALTER TABLE essays ADD COLUMN site_icon TEXT;
