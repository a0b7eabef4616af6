-- Unresolved references are looked up by date and URL whenever a new essay arrives.
CREATE INDEX essay_references_waiting_date ON essay_references(ref_date) WHERE resolved_key IS NULL;
CREATE INDEX essay_references_waiting_url ON essay_references(url) WHERE resolved_key IS NULL;
