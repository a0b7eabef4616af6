"""Migrations: a fresh database reaches the latest version; failures leave nothing half-done."""

from __future__ import annotations

from pathlib import Path

import aiosqlite
import pytest

from bot.store import SchemaError, Store
from bot.store.migrate import Migration, bundled_migrations, migrate, schema_version


async def test_fresh_database_reaches_latest_version(tmp_path: Path) -> None:
    latest = bundled_migrations()[-1].version
    store = await Store.open(tmp_path / "fresh.sqlite3")
    try:
        assert await schema_version(store.connection) == latest
        async with store.connection.execute("PRAGMA journal_mode") as cursor:
            assert (await cursor.fetchone())[0] == "wal"  # type: ignore[index]
        async with store.connection.execute("PRAGMA foreign_keys") as cursor:
            assert (await cursor.fetchone())[0] == 1  # type: ignore[index]
        async with store.connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cursor:
            tables = {row[0] for row in await cursor.fetchall()}
        assert {"feeds", "essays", "sections", "quotes", "figures", "essay_references"} <= tables
        assert {"destinations", "publications", "publication_steps"} <= tables
    finally:
        await store.close()


async def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    await (await Store.open(path)).close()
    store = await Store.open(path)  # would fail on CREATE TABLE if re-applied
    await store.close()


async def test_failing_migration_leaves_no_partial_change(tmp_path: Path) -> None:
    async with aiosqlite.connect(tmp_path / "m.sqlite3", isolation_level=None) as db:
        good = Migration(1, "0001_good.sql", "CREATE TABLE a (x INTEGER);")
        bad = Migration(2, "0002_bad.sql", "CREATE TABLE b (y INTEGER);\nINSERT INTO a VALUES (1);\nTHIS IS NOT SQL;")
        with pytest.raises(SchemaError, match=r"0002_bad\.sql"):
            await migrate(db, [good, bad])
        assert await schema_version(db) == 1
        async with db.execute("SELECT name FROM sqlite_master WHERE name = 'b'") as cursor:
            assert await cursor.fetchone() is None
        async with db.execute("SELECT count(*) FROM a") as cursor:
            assert (await cursor.fetchone()) == (0,)


async def test_database_newer_than_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    async with aiosqlite.connect(path) as db:
        await db.execute("PRAGMA user_version = 999")
        await db.commit()
    with pytest.raises(SchemaError, match="newer than this Marginalia"):
        await Store.open(path)


def test_bundled_migrations_are_numbered_in_sequence() -> None:
    versions = [m.version for m in bundled_migrations()]
    assert versions == list(range(1, len(versions) + 1))
