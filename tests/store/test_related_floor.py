"""bench.commands' floor of an essay's /related is the first index read the lookup makes: its stored neighbourhood."""

from __future__ import annotations

import contextlib
import sqlite3

import asyncpg

from bench.generate import generate
from bot.intake import store_essay
from bot.store import Store
from bot.store import floors as sqlite_floors
from bot.store.postgres import PostgresStore
from bot.store.postgres import floors as postgres_floors
from bot.store.store import SQLiteStore


async def test_an_essays_related_floor_reads_its_stored_neighbours(backend_store: Store) -> None:
    # Lists hold 5 % of the archive: 60 posts make lists of 3.
    posts = [post.to_essay() for post in generate(60, seed=5, words=150)]
    for post in posts:
        await store_essay(backend_store, post)
    chosen = await backend_store.get_essay(posts[3].key)
    assert chosen is not None
    wanted = await backend_store.neighbours(chosen.id)
    newest = max(posts, key=lambda post: post.published or 0)
    newest_row = await backend_store.get_essay(newest.key)
    assert wanted and newest_row is not None
    cases = (({"essay": chosen.essay.key}, wanted), ({}, await backend_store.neighbours(newest_row.id)))
    for options, expected in cases:
        if isinstance(backend_store, PostgresStore):
            connection = await asyncpg.connect(backend_store.url)
            try:
                found = await postgres_floors.floor_ids(connection, "related", options)
            finally:
                await connection.close()
        else:
            assert isinstance(backend_store, SQLiteStore)
            query = sqlite_floors.floor_query("related", options)
            assert query is not None
            with contextlib.closing(sqlite3.connect(backend_store.path)) as connection:
                found = [row[0] for row in connection.execute(*query)]
        assert found == expected
