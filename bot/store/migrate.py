"""Numbered, forward-only schema migrations recorded in ``PRAGMA user_version``."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources

import aiosqlite

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# A line in a migration asking for VACUUM once it is committed.
_VACUUM_AFTER = "-- then: VACUUM"


class SchemaError(Exception):
    """The database cannot be used by this version of the code."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def bundled_migrations() -> list[Migration]:
    """The migrations shipped in ``bot/store/migrations``, in order, numbered 1..N."""
    found: list[Migration] = []
    for item in resources.files("bot.store").joinpath("migrations").iterdir():
        match = _NAME.match(item.name)
        if match:
            found.append(Migration(int(match.group(1)), item.name, item.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise SchemaError(f"migration {migration.name} is out of sequence (expected {expected:04d})")
    return found


async def schema_version(db: aiosqlite.Connection) -> int:
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def migrate(db: aiosqlite.Connection, migrations: list[Migration] | None = None) -> int:
    """Bring the database to the latest version; return it.

    Each migration runs in one transaction together with its ``user_version``
    bump, so a failure leaves the database exactly at the previous version.
    The connection must be in autocommit mode (``isolation_level=None``).
    """
    migrations = bundled_migrations() if migrations is None else migrations
    latest = migrations[-1].version if migrations else 0
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
        script = f"BEGIN IMMEDIATE;\n{migration.sql}\n;PRAGMA user_version = {migration.version};\nCOMMIT;"
        try:
            await db.executescript(script)
        except Exception as exc:
            if db.in_transaction:
                await db.execute("ROLLBACK")
            raise SchemaError(f"migration {migration.name} failed and was rolled back: {exc}") from exc
        current = migration.version
        if _VACUUM_AFTER in migration.sql:
            # A migration that rewrote most of the file gives the freed pages back (outside a transaction).
            logger.info("compacting the database file after %s", migration.name)
            await db.execute("VACUUM")
    return current
