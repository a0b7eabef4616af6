"""The throwaway server itself, and the backend's migrations on it."""

from __future__ import annotations

import asyncio
import sys

import asyncpg
import pytest

from bot.store import SQLiteStore, StoreError
from bot.store.backends import is_postgres_url, open_store
from bot.store.migrate import SchemaError
from bot.store.postgres import PostgresStore
from bot.store.postgres.migrate import Migration, bundled_migrations, migrate, schema_version


async def test_a_fresh_database_is_migrated_to_the_latest_version(pg_store: PostgresStore, pg_url: str) -> None:
    db = await asyncpg.connect(pg_url)
    try:
        assert await schema_version(db) == bundled_migrations()[-1].version
        # Running them again finds nothing to do.
        assert await migrate(db) == bundled_migrations()[-1].version
        assert await db.fetchval("SELECT count(*) FROM schema_migrations") == len(bundled_migrations())
    finally:
        await db.close()


async def test_processes_starting_together_migrate_once(pg_url: str) -> None:
    stores = await asyncio.gather(*(PostgresStore.open(pg_url, worker=f"w{n}") for n in range(4)))
    try:
        versions = await stores[0]._all("SELECT version FROM schema_migrations ORDER BY version")
        assert [r["version"] for r in versions] == [m.version for m in bundled_migrations()]
    finally:
        await asyncio.gather(*(store.close() for store in stores))


async def test_a_database_newer_than_the_code_is_refused(pg_store: PostgresStore, pg_url: str) -> None:
    db = await asyncpg.connect(pg_url)
    try:
        await db.execute("INSERT INTO schema_migrations(version, name) VALUES (999, '0999_future.sql')")
        with pytest.raises(SchemaError, match="newer than this Marginalia"):
            await migrate(db)
    finally:
        await db.close()


async def test_a_failing_migration_leaves_the_database_as_it_was(pg_store: PostgresStore, pg_url: str) -> None:
    db = await asyncpg.connect(pg_url)
    try:
        before = await schema_version(db)
        broken = [*bundled_migrations(), Migration(before + 1, "broken.sql", "CREATE TABLE x(a int); SELECT 1/0;")]
        with pytest.raises(SchemaError, match="rolled back"):
            await migrate(db, broken)
        assert await schema_version(db) == before
        assert await db.fetchval("SELECT to_regclass('x')") is None
    finally:
        await db.close()


@pytest.mark.parametrize(
    ("target", "postgres"),
    [
        ("postgresql://bot@db.example/marginalia", True),
        ("postgres://bot@db.example/marginalia", True),
        ("POSTGRESQL://bot@db.example/marginalia", True),
        ("data/marginalia.sqlite3", False),
        ("/srv/postgresql/marginalia.sqlite3", False),
    ],
)
def test_database_url_selects_the_backend(target: str, postgres: bool) -> None:
    assert is_postgres_url(target) is postgres


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
async def test_open_store_opens_the_postgres_backend_at_a_database_url(
    pg_url: str, tmp_path: object, scheme: str
) -> None:
    url = scheme + pg_url[pg_url.index("://") :]
    async with await open_store(url) as store:
        assert isinstance(store, PostgresStore)
        await store.add_feed("https://blog.example/feed")
    async with await open_store(url) as store:
        assert [feed.url for feed in await store.list_feeds()] == ["https://blog.example/feed"]
    async with await open_store(f"{tmp_path}/x.sqlite3") as sqlite:
        assert isinstance(sqlite, SQLiteStore)


async def test_without_the_driver_open_store_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry in sys.modules makes the import fail as it does when asyncpg is not installed.
    for name in [m for m in sys.modules if m == "asyncpg" or m.startswith(("asyncpg.", "bot.store.postgres"))]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "asyncpg", None)
    with pytest.raises(StoreError, match=r"pip install 'marginalia\[postgres\]'"):
        await open_store("postgresql://bot@db.example/marginalia")
