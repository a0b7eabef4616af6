-- The server scope kept as a table, as the SQLite store keeps it (its migration 0007): the rows of the
-- guild_essays_derived view, kept equal to it by the triggers below, so that "may this server see this essay"
-- is one primary-key probe, and the planner knows from the table's statistics how many essays a server sees.
-- Asking the view instead cost a hash of every essay the server sees per query (13-26 ms at 60,000 essays)
-- or two or three index probes per row.
CREATE TABLE guild_essays (
    guild_id BIGINT NOT NULL,
    essay_id BIGINT NOT NULL REFERENCES essays(id) ON DELETE CASCADE,
    PRIMARY KEY (guild_id, essay_id)
);
CREATE INDEX guild_essays_essay ON guild_essays(essay_id);
INSERT INTO guild_essays(guild_id, essay_id) SELECT DISTINCT guild_id, essay_id FROM guild_essays_derived;
ANALYZE guild_essays;

-- Whether the rule still gives the pair: the view's three branches for one server and essay, index probes.
CREATE FUNCTION guild_essay_derived(guild BIGINT, essay BIGINT) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM feed_entries fe JOIN guild_feeds gf ON gf.feed_id = fe.feed_id
                   WHERE fe.essay_id = essay AND gf.guild_id = guild)
        OR EXISTS (SELECT 1 FROM essays e JOIN guild_feeds gf ON gf.feed_id = e.feed_id
                   WHERE e.id = essay AND gf.guild_id = guild)
        OR EXISTS (SELECT 1 FROM publications p JOIN destinations d ON d.id = p.destination_id
                   WHERE p.essay_id = essay AND d.guild_id = guild)
$$;

-- Several processes write at once, and a trigger sees only what was committed before its statement. So
-- that a follow (or unfollow) of a feed and an entry or essay of that feed stored at the same moment do not
-- miss each other's rows, the follow takes the feed's lock exclusively and the entry shared; the second to
-- come waits for the first to commit, and its next statement sees what that one wrote.
CREATE FUNCTION guild_essays_feed_lock(feed BIGINT, exclusive BOOLEAN) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF exclusive THEN
        PERFORM pg_advisory_xact_lock(1935896432, (feed % 2147483647)::integer);
    ELSE
        PERFORM pg_advisory_xact_lock_shared(1935896432, (feed % 2147483647)::integer);
    END IF;
END $$;

-- Rows an essay no longer has a reason for (its entry, feed or post gone).
CREATE FUNCTION guild_essays_recheck(essay BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM guild_essays g WHERE g.essay_id = essay AND NOT guild_essay_derived(g.guild_id, essay);
END $$;

CREATE FUNCTION guild_essays_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.essay_id IS NOT NULL THEN
        PERFORM guild_essays_feed_lock(NEW.feed_id, false);
        INSERT INTO guild_essays(guild_id, essay_id)
        SELECT guild_id, NEW.essay_id FROM guild_feeds WHERE feed_id = NEW.feed_id
        ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') AND OLD.essay_id IS NOT NULL
       AND (TG_OP = 'DELETE' OR (OLD.essay_id, OLD.feed_id) IS DISTINCT FROM (NEW.essay_id, NEW.feed_id)) THEN
        PERFORM guild_essays_recheck(OLD.essay_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER guild_essays_entry AFTER INSERT OR DELETE OR UPDATE OF essay_id, feed_id ON feed_entries
    FOR EACH ROW EXECUTE FUNCTION guild_essays_entry();

CREATE FUNCTION guild_essays_essay() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.feed_id IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.feed_id IS DISTINCT FROM NEW.feed_id) THEN
        PERFORM guild_essays_feed_lock(NEW.feed_id, false);
        INSERT INTO guild_essays(guild_id, essay_id)
        SELECT guild_id, NEW.id FROM guild_feeds WHERE feed_id = NEW.feed_id
        ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.feed_id IS NOT NULL AND OLD.feed_id IS DISTINCT FROM NEW.feed_id THEN
        PERFORM guild_essays_recheck(NEW.id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER guild_essays_essay AFTER INSERT OR UPDATE OF feed_id ON essays
    FOR EACH ROW EXECUTE FUNCTION guild_essays_essay();

CREATE FUNCTION guild_essays_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM guild_essays_feed_lock(NEW.feed_id, true);
        INSERT INTO guild_essays(guild_id, essay_id)
        SELECT NEW.guild_id, essay_id FROM feed_entries WHERE feed_id = NEW.feed_id AND essay_id IS NOT NULL
        ON CONFLICT DO NOTHING;
        INSERT INTO guild_essays(guild_id, essay_id)
        SELECT NEW.guild_id, id FROM essays WHERE feed_id = NEW.feed_id
        ON CONFLICT DO NOTHING;
    ELSE
        PERFORM guild_essays_feed_lock(OLD.feed_id, true);
        -- The feed's essays only; an entry or essay already gone (a feed deleted) was rechecked as it went.
        DELETE FROM guild_essays g WHERE g.guild_id = OLD.guild_id
            AND g.essay_id IN (SELECT essay_id FROM feed_entries WHERE feed_id = OLD.feed_id AND essay_id IS NOT NULL
                               UNION SELECT id FROM essays WHERE feed_id = OLD.feed_id)
            AND NOT guild_essay_derived(OLD.guild_id, g.essay_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER guild_essays_follow AFTER INSERT OR DELETE ON guild_feeds
    FOR EACH ROW EXECUTE FUNCTION guild_essays_follow();

-- A post: the destination's row is locked by the publication's foreign key, so a channel removed at the same
-- moment waits for it (and its publications go by cascade, rechecked below).
CREATE FUNCTION guild_essays_post() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO guild_essays(guild_id, essay_id)
        SELECT guild_id, NEW.essay_id FROM destinations WHERE id = NEW.destination_id
        ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        PERFORM guild_essays_recheck(OLD.essay_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER guild_essays_post AFTER INSERT OR DELETE OR UPDATE OF essay_id, destination_id ON publications
    FOR EACH ROW EXECUTE FUNCTION guild_essays_post();
