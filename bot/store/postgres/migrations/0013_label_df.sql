-- How many essays carry each label, kept by triggers, as SQLite's migration 0015: the related ranking weighs
-- a label by it on every query, and counting the rows of a label most posts carry grew with the archive
-- (4 ms a /related at 100,000 essays). Statement triggers: one change per label and statement, in label
-- order, so that two processes storing essays lock the same counters in the same order.
CREATE TABLE label_df (
    label  TEXT PRIMARY KEY,
    essays BIGINT NOT NULL
);

INSERT INTO label_df(label, essays) SELECT label, count(*) FROM essay_labels GROUP BY label;

CREATE FUNCTION label_df_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO label_df(label, essays)
    SELECT label, count(*) FROM added GROUP BY label ORDER BY label
    ON CONFLICT (label) DO UPDATE SET essays = label_df.essays + EXCLUDED.essays;
    RETURN NULL;
END $$;

CREATE FUNCTION label_df_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE label_df d SET essays = d.essays - r.n
    FROM (SELECT label, count(*) AS n FROM removed GROUP BY label ORDER BY label) r WHERE d.label = r.label;
    DELETE FROM label_df WHERE essays <= 0 AND label IN (SELECT label FROM removed);
    RETURN NULL;
END $$;

CREATE TRIGGER label_df_added AFTER INSERT ON essay_labels
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION label_df_added();
CREATE TRIGGER label_df_removed AFTER DELETE ON essay_labels
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION label_df_removed();
