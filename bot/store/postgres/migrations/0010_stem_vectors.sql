-- Related-post vectors by stem id (issue 18), as SQLite's migration 0017: a query scores its candidates
-- from two integer arrays per essay (stem ids ascending, counts capped at 255) instead of parsing each
-- one's JSON object. The stems are numbered by an identity, which never gives an id out twice.
ALTER TABLE related_df ADD COLUMN id BIGINT GENERATED ALWAYS AS IDENTITY;
ALTER TABLE related_terms ADD COLUMN stem_ids BIGINT[], ADD COLUMN stem_counts SMALLINT[];

CREATE FUNCTION related_stem_vector(terms JSONB, OUT stem_ids BIGINT[], OUT stem_counts SMALLINT[])
LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(d.id ORDER BY d.id), '{}'),
           coalesce(array_agg(least(j.value::int, 255)::smallint ORDER BY d.id), '{}')
    FROM jsonb_each_text(terms) AS j JOIN related_df d ON d.term = j.key
$$;

UPDATE related_terms SET (stem_ids, stem_counts) = (SELECT * FROM related_stem_vector(terms));

-- Terms in sorted order, so that two processes storing essays lock the same counters in the same order.
CREATE OR REPLACE FUNCTION related_df_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO related_df(term, essays)
        SELECT key, 1 FROM jsonb_object_keys(NEW.terms) AS key ORDER BY key
        ON CONFLICT (term) DO UPDATE SET essays = related_df.essays + 1;
        UPDATE related_terms SET (stem_ids, stem_counts) = (SELECT * FROM related_stem_vector(NEW.terms))
        WHERE essay_id = NEW.essay_id;
    ELSE
        UPDATE related_df SET essays = essays - 1
        WHERE term IN (SELECT jsonb_object_keys(OLD.terms));
        DELETE FROM related_df WHERE essays <= 0 AND term IN (SELECT jsonb_object_keys(OLD.terms));
    END IF;
    RETURN NULL;
END $$;
