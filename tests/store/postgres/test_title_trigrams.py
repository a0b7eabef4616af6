"""Migration 0009 on a database of the previous version: titles found by their pieces, through the index;
and a piece in many titles found among the newest essays first."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import bot.store.postgres.lookup as lookup_queries
from bot.essays.model import Analysis, Block, Essay
from bot.store.postgres import PostgresStore
from tests.store.postgres.statements import sent_statements
from tests.store.postgres.versions import open_before

TITLES = ["The Harbour Wall", "Regional Rail", "Tourist Season"]


async def test_titles_of_a_previous_version_are_found_by_their_pieces(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        open_before(patch, "_title_trigrams.sql")
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


@pytest.mark.parametrize(
    ("typed", "found", "statements"),
    [
        ("arbo", "Harbour 7", 2),  # the prefix, then enough among the walk's newest essays
        ("ridg", "Bridge 0", 3),  # only past the walk: from the trigram index
    ],
)
async def test_titles_holding_a_piece_are_the_newest_whether_walked_for_or_looked_up(
    pg_store: PostgresStore, monkeypatch: pytest.MonkeyPatch, typed: str, found: str, statements: int
) -> None:
    titles = ["Bridge 0", *(f"Harbour {n}" for n in range(1, 8))]
    for day, title in enumerate(titles, start=1):
        essay = Essay(f"e{day}", title, (Block("paragraph", "Text."),), published=datetime(2025, 1, day, tzinfo=UTC))
        await pg_store.save_essay(essay, Analysis())
    monkeypatch.setattr(lookup_queries, "_CHOICE_WALK", 3)  # the three newest essays
    sent = sent_statements(pg_store, monkeypatch)
    choices = await pg_store.essay_choices(typed, guild_id=None, limit=1)
    assert [c.title for c in choices] == [found] and len(sent) == statements
    monkeypatch.setattr(lookup_queries, "_CHOICE_WALK", 0)  # the trigram index alone: the same answer
    assert await pg_store.essay_choices(typed, guild_id=None, limit=1) == choices
