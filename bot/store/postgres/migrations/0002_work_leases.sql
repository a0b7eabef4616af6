-- Work shared by several bot processes over one database: a feed poll or a publication is claimed by
-- one process for a while (a lease). The owner renews it while it works; when the process dies the lease
-- runs out and another process takes the work over.

ALTER TABLE feeds ADD COLUMN poll_owner TEXT;
ALTER TABLE feeds ADD COLUMN poll_lease_until TIMESTAMPTZ;
CREATE INDEX feeds_due ON feeds(next_poll_at NULLS FIRST, id);

ALTER TABLE publications ADD COLUMN lease_owner TEXT;
ALTER TABLE publications ADD COLUMN lease_until TIMESTAMPTZ;
CREATE INDEX publications_pending ON publications(id) WHERE state = 'pending';
