-- Each server sees and changes only its own blogs (see bot/store/scope.py).

-- A server pauses its own follow of a feed; the feed is still polled for the others.
ALTER TABLE guild_feeds ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
-- 1 from the moment a server follows a feed until its newest essays are queued for that server,
-- which waits for the server's first channel and for the feed's first poll, whichever comes last.
ALTER TABLE guild_feeds ADD COLUMN welcome_pending INTEGER NOT NULL DEFAULT 0;
CREATE INDEX guild_feeds_feed ON guild_feeds(feed_id, guild_id);

-- The essays a server may see: every essay of a feed it follows, and every essay posted in one of
-- its channels (a moderator's post of a page that no feed of the server lists). Derived, never stored,
-- so following, unfollowing, posting and removing a channel can never leave it out of date.
CREATE VIEW guild_essays(guild_id, essay_id) AS
    SELECT gf.guild_id, fe.essay_id FROM guild_feeds gf JOIN feed_entries fe ON fe.feed_id = gf.feed_id
    WHERE fe.essay_id IS NOT NULL
    UNION ALL
    SELECT gf.guild_id, e.id FROM guild_feeds gf JOIN essays e ON e.feed_id = gf.feed_id
    UNION ALL
    SELECT d.guild_id, p.essay_id FROM destinations d JOIN publications p ON p.destination_id = d.id;
CREATE INDEX publications_destination ON publications(destination_id, essay_id);

-- The card shows the essay's lead picture, and the blog's name and icon (bot/essays/images.py).
ALTER TABLE essays ADD COLUMN image TEXT;
ALTER TABLE essays ADD COLUMN site_name TEXT;
ALTER TABLE essays ADD COLUMN site_icon TEXT;
