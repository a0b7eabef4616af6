"""``write_batch``: a task's writes grouped in one transaction on SQLite (a bulk ingest's batch), by themselves on
PostgreSQL; nested transactions of the holding task are savepoints."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.store import Store, open_store
from bot.store.store import SQLiteStore


@pytest.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    opened = await open_store(tmp_path / "batch.sqlite3")
    assert isinstance(opened, SQLiteStore)
    try:
        yield opened
    finally:
        await opened.close()


async def test_writes_in_a_batch_are_all_there_after_it(backend_store: Store) -> None:
    async with backend_store.write_batch():
        await backend_store.set_state("first", "1")
        await backend_store.set_state("second", "2")
        await backend_store.set_state("first", "one")
    assert await backend_store.get_state("first") == "one"
    assert await backend_store.get_state("second") == "2"


def record_statements(store: SQLiteStore, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[tuple[str, int]]]:
    """The first word of each statement sent to aiosqlite's thread; and of each a batch ran, with its thread."""
    hopped: list[str] = []
    direct: list[tuple[str, int]] = []
    for method in ("execute", "executemany", "execute_fetchall"):
        sent = getattr(store._db, method)

        def recorded(sql: str, *args: Any, sent: Any = sent) -> Any:
            hopped.append(sql.split()[0].upper())
            return sent(sql, *args)

        monkeypatch.setattr(store._db, method, recorded)
    open_batcher = store._open_batcher

    def traced() -> Any:
        batcher = open_batcher()
        batcher.raw.set_trace_callback(lambda sql: direct.append((sql.split()[0].upper(), threading.get_ident())))
        return batcher

    monkeypatch.setattr(store, "_open_batcher", traced)
    return hopped, direct


async def test_a_batch_commits_once_and_its_writes_are_savepoints_run_in_this_thread(
    sqlite: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    hopped, direct = record_statements(sqlite, monkeypatch)
    async with sqlite.write_batch():
        for number in range(5):
            await sqlite.set_state(f"key{number}", str(number))
            assert await sqlite.get_state(f"key{number}") == str(number)  # the batch reads its own writes
    words = [word for word, _ in direct]
    assert words.count("BEGIN") == 1 and words.count("COMMIT") == 1
    assert words.count("SAVEPOINT") == 5 and words.count("RELEASE") == 5
    assert words.count("SELECT") == 5
    assert {thread for _, thread in direct} == {threading.get_ident()}
    assert hopped == []


async def test_batches_nest_inside_batches_and_transactions(backend_store: Store) -> None:
    async def nested() -> None:
        async with backend_store.write_batch():
            await backend_store.set_state("outer", "1")
            async with backend_store.write_batch():
                await backend_store.set_state("inner", "2")
        async with backend_store.transaction(), backend_store.write_batch():
            await backend_store.set_state("in a transaction", "3")

    await asyncio.wait_for(nested(), timeout=10)  # a lock taken twice would wait forever
    assert [await backend_store.get_state(key) for key in ("outer", "inner", "in a transaction")] == ["1", "2", "3"]


async def test_no_ranking_version_while_a_batch_is_open(sqlite: SQLiteStore) -> None:
    assert await sqlite.ranking_version() is not None
    async with sqlite.write_batch():
        await sqlite.set_state("key", "value")
        assert await sqlite.ranking_version() is None  # the batch's own reads see what is not committed yet
    assert await sqlite.ranking_version() is not None


async def test_other_tasks_read_the_last_commit_during_a_batch(sqlite: SQLiteStore) -> None:
    await sqlite.set_state("kept", "committed")
    seen: list[str | None] = []

    async def reader() -> None:
        seen.append(await sqlite.get_state("kept"))

    async with sqlite.write_batch():
        await sqlite.set_state("kept", "not yet committed")
        await asyncio.create_task(reader())
    await reader()
    assert seen == ["committed", "not yet committed"]


async def test_an_exception_in_a_batch_undoes_all_of_it(sqlite: SQLiteStore) -> None:
    await sqlite.set_state("kept", "before")
    with pytest.raises(RuntimeError):
        async with sqlite.write_batch():
            await sqlite.set_state("kept", "changed")
            await sqlite.set_state("new", "written")
            raise RuntimeError("the batch fails")
    assert await sqlite.get_state("kept") == "before"
    assert await sqlite.get_state("new") is None
    await sqlite.set_state("after", "a store still usable")
    assert await sqlite.get_state("after") == "a store still usable"


async def test_a_failed_write_inside_a_batch_is_undone_alone(sqlite: SQLiteStore) -> None:
    async with sqlite.write_batch():
        await sqlite.set_state("before", "1")
        with pytest.raises(RuntimeError):
            async with sqlite.transaction() as db:
                await db.execute("INSERT INTO bot_state(key, value) VALUES ('inner', 'x')")
                raise RuntimeError("the inner write fails")
        await sqlite.set_state("after", "2")
    assert await sqlite.get_state("before") == "1" and await sqlite.get_state("after") == "2"
    assert await sqlite.get_state("inner") is None


async def test_another_task_writes_after_the_batch(sqlite: SQLiteStore) -> None:
    order: list[str] = []

    async def other() -> None:
        await sqlite.set_state("other", "x")
        order.append("other")

    async with sqlite.write_batch():
        await sqlite.set_state("batch", "1")
        task = asyncio.create_task(other())
        await asyncio.sleep(0.05)  # the other task runs meanwhile, and waits for the lock
        order.append("batch")
    await task
    assert order == ["batch", "other"]
    assert await sqlite.get_state("other") == "x"
