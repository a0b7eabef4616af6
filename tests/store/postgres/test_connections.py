"""The pool's connections: opened with the store, each knowing the array types before its first lookup."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from bot.related import related_to_text
from bot.store import open_store
from bot.store.postgres import PostgresStore
from tests.store.postgres.test_search_rule import save_figures, save_quotes


async def test_a_lookup_opens_no_connection_and_asks_the_server_for_no_type(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # asyncpg asks the server about a type it lacks (an int or float array) once per connection: counted here.
    asked: list[object] = []
    introspect = asyncpg.connection.Connection._introspect_types

    async def counted(self: asyncpg.connection.Connection, typeoids: object, *args: object) -> object:
        asked.append(typeoids)
        return await introspect(self, typeoids, *args)

    monkeypatch.setattr(asyncpg.connection.Connection, "_introspect_types", counted)
    async with await PostgresStore.open(pg_url, worker="test", max_size=4) as store:
        assert store._pool.get_size() == 4
        at_open = len(asked)
        await save_figures(store)
        await save_quotes(store, [("The ferries ran late all winter", "Ida Venn")])

        # More reads at once than connections, as lookups gathering theirs: every connection is used.
        answers = await asyncio.gather(
            *(related_to_text(store, "ferries winter", guild_id=None) for _ in range(3)),
            *(store.search_figures("ferries", guild_id=None) for _ in range(3)),
            *(store.search_quotes("ferries", guild_id=None) for _ in range(3)),
        )

        assert all(answers[3:])  # /related finds nothing in three essays; its reads ran all the same
        assert len(asked) == at_open
        assert store._pool.get_size() == 4


async def assert_warmed(store: PostgresStore, connections: int) -> None:
    """Every one of ``connections`` held at once has the dictionaries and search indexes loaded."""
    held = [await store._pool.acquire() for _ in range(connections)]
    try:
        for db in held:  # what each server process has loaded so far (its own memory contexts)
            loaded = {
                (r["name"], r["ident"])
                for r in await db.fetch(
                    "SELECT name, ident FROM pg_backend_memory_contexts WHERE name IN ('TS dictionary', 'index info')"
                )
            }
            assert ("TS dictionary", "marginalia_stem") in loaded
            for index in ("quotes_document", "figures_document", "figures_own_words", "essay_search_document"):
                assert ("index info", index) in loaded
    finally:
        for db in held:
            await store._pool.release(db)


async def test_every_connection_has_its_dictionaries_and_search_indexes_loaded_when_the_store_opens(
    pg_url: str,
) -> None:
    async with await PostgresStore.open(pg_url, worker="test", max_size=3) as store:
        await assert_warmed(store, 3)


async def server_processes(store: PostgresStore, connections: int) -> set[int]:
    held = [await store._pool.acquire() for _ in range(connections)]
    try:
        return {int(await db.fetchval("SELECT pg_backend_pid()")) for db in held}
    finally:
        for db in held:
            await store._pool.release(db)


async def test_a_connection_opened_in_place_of_a_lost_one_is_warmed_too(pg_url: str) -> None:
    async with await PostgresStore.open(pg_url, worker="test", max_size=3) as store:
        before = await server_processes(store, 3)
        await store._pool.expire_connections()  # each connection closed, and opened again as it is next taken
        await assert_warmed(store, 3)
        assert not before & await server_processes(store, 3)  # new server processes, each warmed as it opened


async def test_open_store_keeps_the_pool_size_it_is_given(pg_url: str) -> None:
    async with await open_store(pg_url, pool_size=2) as store:
        assert isinstance(store, PostgresStore)
        assert store._pool.get_size() == store._pool.get_max_size() == 2
