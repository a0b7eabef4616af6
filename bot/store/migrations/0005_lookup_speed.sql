-- Lookups that stay fast at 10,000 essays (see bench/commands.py).

-- /figures without a search lists the newest essays' figures: essays are walked newest first
-- (essays_published) and each one's figures, of a kind or all, read from this index in order.
CREATE INDEX figures_essay_kind ON figures(essay_id, kind);

-- Every quoted speaker once, with how many quotes name them, kept by the triggers below:
-- speaker autocomplete and the speaker filter of /quote read a few hundred names instead of
-- counting every quote of the archive.
CREATE TABLE quote_speakers (
    speaker TEXT PRIMARY KEY COLLATE NOCASE,
    quotes  INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO quote_speakers(speaker, quotes)
SELECT min(speaker), count(*) FROM quotes WHERE speaker IS NOT NULL GROUP BY speaker COLLATE NOCASE;

CREATE TRIGGER quote_speakers_insert AFTER INSERT ON quotes WHEN NEW.speaker IS NOT NULL
BEGIN
    INSERT INTO quote_speakers(speaker, quotes) VALUES (NEW.speaker, 1)
    ON CONFLICT(speaker) DO UPDATE SET quotes = quotes + 1;
END;

CREATE TRIGGER quote_speakers_delete AFTER DELETE ON quotes WHEN OLD.speaker IS NOT NULL
BEGIN
    UPDATE quote_speakers SET quotes = quotes - 1 WHERE speaker = OLD.speaker;
    DELETE FROM quote_speakers WHERE speaker = OLD.speaker AND quotes <= 0;
END;

CREATE TRIGGER quote_speakers_update AFTER UPDATE OF speaker ON quotes
BEGIN
    UPDATE quote_speakers SET quotes = quotes - 1 WHERE OLD.speaker IS NOT NULL AND speaker = OLD.speaker;
    DELETE FROM quote_speakers WHERE OLD.speaker IS NOT NULL AND speaker = OLD.speaker AND quotes <= 0;
    INSERT INTO quote_speakers(speaker, quotes) SELECT NEW.speaker, 1 WHERE NEW.speaker IS NOT NULL
    ON CONFLICT(speaker) DO UPDATE SET quotes = quotes + 1;
END;
