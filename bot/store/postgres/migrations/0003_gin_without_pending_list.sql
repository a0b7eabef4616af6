-- The full-text indexes without a pending list. By default a GIN index queues new entries in a list that
-- every search reads through linearly until a vacuum merges it (up to 4 MB): measured at 10,000 generated
-- essays right after their ingest, a quote search's bare query took 4.4 ms at the median with the lists
-- as ingested and 2.5 ms once merged, a /related text query 58 and 15 ms. Essays are written once and
-- searched often, so entries now go straight into the index, at some cost to each insert.
ALTER INDEX essay_search_document SET (fastupdate = off);
ALTER INDEX quotes_document SET (fastupdate = off);
ALTER INDEX figures_document SET (fastupdate = off);
-- Turning the list off does not empty it: merge what is queued now.
SELECT gin_clean_pending_list('essay_search_document'::regclass);
SELECT gin_clean_pending_list('quotes_document'::regclass);
SELECT gin_clean_pending_list('figures_document'::regclass);
