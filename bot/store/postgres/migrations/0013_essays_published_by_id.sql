-- An essay's date by its id, from the index alone. The searches that keep to essays published before a date
-- (a /related of an older essay, its rarest word's newest matches) probe each match's essay for it: at
-- 100,000 essays, 6,000 probes that each read the table's row took 15 of a query's 30 ms (7 from the index).
CREATE INDEX essays_id_published ON essays(id) INCLUDE (published);
