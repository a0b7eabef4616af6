"""The PostgreSQL floor of a search of common words is the lookup's newest-first answer, by the same rule."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

import bot.store.postgres.floors as floors
import bot.store.postgres.lookup as pg_lookup
from bench.generate import generate
from bot.intake import store_essay
from bot.store.postgres import PostgresStore
from tests.pg_server import fresh_database


@pytest.fixture
async def archive(pg_admin_url: str) -> AsyncIterator[tuple[PostgresStore, str]]:
    """Eight generated essays (original text of bench.generate) stored through the intake."""
    async with fresh_database(pg_admin_url, migrated=True) as url, await PostgresStore.open(url, worker="t") as store:
        for post in generate(8, seed=4, words=600):
            await store_essay(store, post.to_essay())
        yield store, url


@pytest.mark.parametrize("label", ["quote", "figures"])
async def test_a_common_words_floor_is_the_newest_matches_the_lookup_answers(
    archive: tuple[PostgresStore, str], monkeypatch: pytest.MonkeyPatch, label: str
) -> None:
    store, url = archive
    monkeypatch.setattr(floors, "MATCH_WINDOW", 1)  # every word that matches at all is common
    monkeypatch.setattr(pg_lookup, "MATCH_WINDOW", 1)
    table = "quotes" if label == "quote" else "figures"
    word = await store._value(
        f"SELECT word FROM ts_stat('SELECT document FROM {table}') ORDER BY ndoc DESC, word LIMIT 1"
    )
    assert word, "the fixture has searchable words"
    connection = await asyncpg.connect(url)
    try:
        assert await floors.common_search(connection, label, {"search": word}, floors.WordStatistics())
        ids = await floors.floor_ids(connection, label, {"search": word})
        assert ids, "the word matches"
        assert ids == sorted(ids, reverse=True)  # newest first
        if label == "quote":
            found = await store.search_quotes(word, guild_id=None, limit=floors.CANDIDATES)
            keys = [ref.key for _, ref in found]
        else:
            found_figures = await store.search_figures(word, guild_id=None, limit=floors.CANDIDATES)
            keys = [ref.key for _, ref in found_figures]
        rows = await connection.fetch(
            f"SELECT e.key FROM {table} t JOIN essays e ON e.id = t.essay_id WHERE t.id = ANY($1::bigint[])", ids
        )
        assert sorted(keys) == sorted(r["key"] for r in rows)
    finally:
        await connection.close()
