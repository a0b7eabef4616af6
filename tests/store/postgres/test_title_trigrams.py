"""Migration 0009 on a database of the previous version: titles found by their pieces, through the index."""

from __future__ import annotations

from typing import Any

import pytest

import bot.store.postgres.base as postgres_base
from bot.essays.model import Analysis, Block, Essay
from bot.store.postgres import PostgresStore
from bot.store.postgres.migrate import bundled_migrations, migrate

TITLES = ["The Harbour Wall", "Regional Rail", "Tourist Season"]


async def test_titles_of_a_previous_version_are_found_by_their_pieces(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    version = next(m.version for m in bundled_migrations() if m.name.endswith("_title_trigrams.sql"))

    async def migrate_before(db: Any) -> int:
        return await migrate(db, [m for m in bundled_migrations() if m.version < version])

    with monkeypatch.context() as patch:
        patch.setattr(postgres_base, "migrate", migrate_before)
        async with await PostgresStore.open(pg_url, worker="t") as old:
            for n, title in enumerate(TITLES):
                await old.save_essay(Essay(f"e{n}", title, (Block("paragraph", "Text."),)), Analysis())
            assert await old._value("SELECT to_regclass('essays_title_trigrams') IS NULL")

    async with await PostgresStore.open(pg_url, worker="t") as store:
        assert [c.title for c in await store.essay_choices("bour", guild_id=None)] == ["The Harbour Wall"]
        assert [c.title for c in await store.essay_choices("IONAL", guild_id=None)] == ["Regional Rail"]
        # With sequential scans priced out, the planner still has a way in: the trigram index.
        async with store._pool.acquire() as db, db.transaction():
            await db.execute("SET LOCAL enable_seqscan = off")
            plan = "\n".join(r[0] for r in await db.fetch("EXPLAIN SELECT id FROM essays WHERE title ILIKE '%ouri%'"))
        assert "essays_title_trigrams" in plan
