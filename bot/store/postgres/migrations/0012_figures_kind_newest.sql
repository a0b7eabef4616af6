-- A kind's figures, newest first. A search of common words with a kind (/figures kind:money) looks at about the
-- newest FILTERED_WINDOW matches: a walk back through every figure in a window of ids that, at 100,000 generated
-- essays, held some 74,000 figures of every kind (16-24 ms). Walked along this index it reads only the kind's
-- (7-12 ms; the answers the same).
CREATE INDEX figures_kind_id ON figures(kind, id);
