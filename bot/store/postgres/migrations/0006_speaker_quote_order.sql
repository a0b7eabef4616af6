-- A random quote of a speaker read every quote id of the speaker to sample a few (48-125 ms for a generated
-- speaker quoted 47,000 times at 100,000 essays). In this index each speaker's quotes are in id order, so a
-- random run of them is a seek and a short read (bot/store/postgres/lookup.py, _speaker_pool).
CREATE INDEX quotes_speaker_id ON quotes (lower(speaker), id);
