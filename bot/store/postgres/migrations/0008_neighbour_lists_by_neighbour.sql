-- /related counts the posts whose neighbour lists hold the target's neighbours (co_listed): a neighbour
-- listed by thousands of posts (52,600 list rows for 20 neighbours at 100,000 essays) was read row by row
-- from the table. With the listing post in the index too, the count is read from the index alone (where
-- vacuum has marked the pages all-visible): 14 -> 8 ms for those 52,600 rows. It serves every query the
-- neighbour-only index served.
CREATE INDEX related_neighbours_neighbour_essay ON related_neighbours(neighbour_id, essay_id);
DROP INDEX related_neighbours_neighbour;
