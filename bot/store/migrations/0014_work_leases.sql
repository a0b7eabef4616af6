-- Work claimed with a lease (issue 21): a feed poll or a publication is held by one worker until its
-- lease runs out; the same claims run on PostgreSQL, where several processes share the database.
-- Lease ends are Unix times in seconds (REAL): one SQLite file belongs to one machine's clock.

ALTER TABLE feeds ADD COLUMN poll_owner TEXT;
ALTER TABLE feeds ADD COLUMN poll_lease_until REAL;

ALTER TABLE publications ADD COLUMN lease_owner TEXT;
ALTER TABLE publications ADD COLUMN lease_until REAL;
