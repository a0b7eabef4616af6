"""Migration 0009: the section threads that exist at the upgrade are queued to have their history read once."""

from __future__ import annotations

from pathlib import Path

import aiosqlite

from bot.store import open_store
from bot.store.migrate import bundled_migrations, migrate


async def test_threads_known_at_the_upgrade_are_queued_for_one_backfill(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    before = [m for m in bundled_migrations() if m.name < "0009"]
    async with aiosqlite.connect(path, isolation_level=None) as db:
        await db.execute("PRAGMA foreign_keys = ON")
        await migrate(db, before)
        await db.executescript(
            """
            INSERT INTO essays(id, key, source, title, labels, blocks, word_count, content_hash,
                               first_seen_at, updated_at)
                VALUES (1, 'levy', 'feed', 'The Harbour Levy', '[]', '[]', 0, 'h', '2025-03-01', '2025-03-01');
            INSERT INTO destinations(id, guild_id, channel_id, kind) VALUES (1, 101, 1101, 'text');
            INSERT INTO publications(id, essay_id, destination_id, revision, state, created_at)
                VALUES (1, 1, 1, 1, 'done', '2025-03-01');
            INSERT INTO publication_steps(publication_id, seq, action, section, nonce, state, message_id, thread_id)
                VALUES (1, 0, 'card', NULL, 'a', 'done', 500, NULL),
                       (1, 1, 'thread', 1, 'b', 'done', 501, 501),
                       (1, 2, 'thread', 2, 'c', 'done', 502, 502),
                       (1, 3, 'thread', 3, 'd', 'attempted', NULL, NULL);
            INSERT INTO thread_activity(thread_id, messages, last_activity) VALUES (501, 7, '2025-03-02');
            """
        )
    async with await open_store(path) as store:
        assert await store.pending_backfills() == [501, 502]
        async with store.connection.execute("SELECT name FROM sqlite_master WHERE name = 'thread_activity'") as cur:
            assert await cur.fetchone() is None, "the old totals are rebuilt from history, not kept"
        assert await store.section_activity(1) == {}
