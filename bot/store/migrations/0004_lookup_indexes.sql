-- Indexes for the member commands (/quote, /figures, /related): autocomplete must answer
-- from an index within a few milliseconds, even at 10,000 essays.

-- Essay-title autocomplete: a prefix is a range over this index and a substring a scan of it,
-- and both read only the index (id is the rowid), never the wide essay rows with their bodies.
CREATE INDEX essays_title_lookup ON essays(title COLLATE NOCASE, published, key);

-- Speaker autocomplete and the random quote: distinct speakers and the kinds of their quotes
-- come from the index alone.
CREATE INDEX quotes_speaker_kind ON quotes(speaker COLLATE NOCASE, kind);
