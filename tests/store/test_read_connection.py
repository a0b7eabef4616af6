"""SQLite reads outside a transaction run on the read-only connection, and see exactly what the writer committed."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.store import open_store
from bot.store.store import SQLiteStore


async def open_sqlite(tmp_path: Path) -> SQLiteStore:
    store = await open_store(tmp_path / "read.sqlite3")
    assert isinstance(store, SQLiteStore)
    return store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    opened = await open_sqlite(tmp_path)
    try:
        yield opened
    finally:
        await opened.close()


def count_writer_reads(store: SQLiteStore, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The statements that went to the writer's thread."""
    sent: list[str] = []
    writer = store._db.execute_fetchall

    async def counted(sql: str, params: Sequence[Any] = ()) -> Any:
        sent.append(sql)
        return await writer(sql, params)

    monkeypatch.setattr(store._db, "execute_fetchall", counted)
    return sent


async def test_a_read_runs_on_the_reader_and_sees_the_last_commit(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = count_writer_reads(store, monkeypatch)
    await store.set_state("cursor", "one")
    assert await store.get_state("cursor") == "one"
    await store.set_state("cursor", "two")
    assert await store.get_state("cursor") == "two"
    assert sent == []


async def test_a_read_inside_a_transaction_sees_its_own_changes(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = count_writer_reads(store, monkeypatch)
    async with store.transaction() as db:
        await db.execute("INSERT INTO bot_state(key, value) VALUES ('pending', 'yes')")
        assert await store.get_state("pending") == "yes"
    assert len(sent) == 1
    await store.set_state("other", "x")
    async with store.transaction() as db:
        await db.execute("DELETE FROM bot_state WHERE key = 'pending'")
        assert await store.get_state("pending") is None
    assert await store.get_state("other") == "x"  # committed, outside: the reader
    assert len(sent) == 2


class LockedReader:
    """A read connection that finds the database locked (a checkpoint resetting the log holds it)."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        raise sqlite3.OperationalError("database is locked")

    def close(self) -> None:
        pass


async def test_a_locked_or_refused_read_goes_to_the_writer(store: SQLiteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    await store.set_state("cursor", "one")
    sent = count_writer_reads(store, monkeypatch)
    # A statement that writes is refused by the read-only connection, then run by the writer.
    rows = await store._all(
        "WITH v(value) AS (SELECT 'two') UPDATE bot_state SET value = (SELECT value FROM v) "
        "WHERE key = 'cursor' RETURNING value"
    )
    assert [row["value"] for row in rows] == ["two"]
    monkeypatch.setattr(store, "_reader", LockedReader())
    assert await store.get_state("cursor") == "two"
    assert len(sent) == 2


async def test_a_broken_statement_fails_as_before(tmp_path: Path) -> None:
    store = await open_sqlite(tmp_path)
    try:
        with pytest.raises(sqlite3.OperationalError, match="no such table"):
            await store._all("SELECT * FROM no_such_table")
    finally:
        await store.close()
    assert store._reader is None
