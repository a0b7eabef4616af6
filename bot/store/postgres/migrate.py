"""Numbered, forward-only migrations of the PostgreSQL store, recorded in ``schema_migrations``.

Several bot processes may start at once against one database: the first to take the advisory lock
migrates, the others wait for it and then find nothing left to do.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources
from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from bot.store.migrate import SchemaError

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# Any constant shared by every process of the project: the key of the migration lock.
_MIGRATION_LOCK = 0x6D617267  # "marg"

# A connection lent by the pool: what every query of the backend runs on (generic in the stubs only).
Db: TypeAlias = "PoolConnectionProxy[asyncpg.Record]"


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def bundled_migrations() -> list[Migration]:
    """The migrations shipped in ``bot/store/postgres/migrations``, in order, numbered 1..N."""
    found: list[Migration] = []
    for item in resources.files("bot.store.postgres").joinpath("migrations").iterdir():
        match = _NAME.match(item.name)
        if match:
            found.append(Migration(int(match.group(1)), item.name, item.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise SchemaError(f"migration {migration.name} is out of sequence (expected {expected:04d})")
    return found


async def schema_version(db: Db) -> int:
    exists = await db.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if not exists:
        return 0
    return int(await db.fetchval("SELECT COALESCE(max(version), 0) FROM schema_migrations"))


async def migrate(db: Db, migrations: list[Migration] | None = None) -> int:
    """Bring the database to the latest version; return it.

    The whole run is one transaction (PostgreSQL's DDL is transactional), each migration with its
    record in ``schema_migrations``: a failure leaves the database exactly as it was.
    """
    migrations = bundled_migrations() if migrations is None else migrations
    latest = migrations[-1].version if migrations else 0
    async with db.transaction():
        await db.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
        await db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        current = await schema_version(db)
        if current > latest:
            raise SchemaError(
                f"the database is at schema version {current}, newer than this Marginalia "
                f"understands ({latest}); upgrade Marginalia or use a backup made for this version"
            )
        for migration in migrations:
            if migration.version <= current:
                continue
            logger.info("applying migration %s", migration.name)
            try:
                await db.execute(migration.sql)
                await db.execute(
                    "INSERT INTO schema_migrations(version, name) VALUES ($1, $2)", migration.version, migration.name
                )
            except asyncpg.PostgresError as exc:
                raise SchemaError(f"migration {migration.name} failed and was rolled back: {exc}") from exc
            current = migration.version
    return current
