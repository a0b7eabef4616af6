-- Essay titles by their three-letter pieces (FTS5's trigram tokenizer), for the autocomplete's
-- "title contains what was typed": without it that search read every title (30 ms at 100,000 essays).
-- External content: the titles stay in essays, the index is kept equal to them by the triggers.
CREATE VIRTUAL TABLE essay_titles USING fts5(title, content='essays', content_rowid='id', tokenize='trigram');

INSERT INTO essay_titles(essay_titles) VALUES ('rebuild');

CREATE TRIGGER essay_titles_insert AFTER INSERT ON essays
BEGIN
    INSERT INTO essay_titles(rowid, title) VALUES (NEW.id, NEW.title);
END;

CREATE TRIGGER essay_titles_delete AFTER DELETE ON essays
BEGIN
    INSERT INTO essay_titles(essay_titles, rowid, title) VALUES ('delete', OLD.id, OLD.title);
END;

CREATE TRIGGER essay_titles_update AFTER UPDATE OF title ON essays
BEGIN
    INSERT INTO essay_titles(essay_titles, rowid, title) VALUES ('delete', OLD.id, OLD.title);
    INSERT INTO essay_titles(rowid, title) VALUES (NEW.id, NEW.title);
END;
