-- A search decides from the planner's statistics whether any of its words is common (in MATCH_WINDOW rows or
-- more): then it answers newest first, as the SQLite store does, else it ranks every match
-- (bot/store/postgres/words.py). The default target keeps about 1,000 lexemes per column, the commonest only
-- (at 100,000 generated essays the least of them is in 5,000 figures): words between that and MATCH_WINDOW
-- would be unknown. Ten times the target keeps about 10,000 (down to 500 figures there); ANALYZE samples
-- 300,000 rows for it (3 s for the 5 million figures of 100,000 essays), and autovacuum keeps it as they grow.
ALTER TABLE quotes ALTER COLUMN document SET STATISTICS 1000;
ALTER TABLE figures ALTER COLUMN document SET STATISTICS 1000;
ANALYZE quotes;
ANALYZE figures;
