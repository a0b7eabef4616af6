"""The connection pool every PostgreSQL query module builds on, and the helpers they share."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Self

import asyncpg

from bot.store import backends
from bot.store.base import StoreError
from bot.store.postgres.migrate import Db, migrate
from bot.store.postgres.words import WordStatistics

logger = logging.getLogger(__name__)

Record = asyncpg.Record


def stamp(value: datetime | None) -> datetime | None:
    """A time as the SQLite store keeps it: UTC, whole seconds (a naive time is taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0)


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def utc(value: datetime | None) -> datetime | None:
    """A time read back, in UTC (asyncpg returns the session's zone)."""
    return value.astimezone(UTC) if value is not None else None


# Each connection's settings. No JIT: the planner's cost of a LIMIT query whose filter it thinks rare (a title
# typed into autocomplete, a search word) runs past jit_above_cost, and compiling then took 270 ms of a 330 ms
# answer whose execution was 4 ms (measured at 10,000 essays); the bot's queries are all short.
SESSION_SETTINGS = {"timezone": "UTC", "jit": "off"}


async def _keep_session(db: asyncpg.Connection) -> None:
    """The pool's reset of a connection given back: nothing beyond the rollback asyncpg always does.

    asyncpg's default sends ``RESET ALL``, ``CLOSE ALL``, ``UNLISTEN *`` and an advisory unlock after
    every pooled query, a second round trip each time (half of a lookup's waits, measured by
    bench.commands). This store leaves nothing of that kind in a session: no SET, cursor, LISTEN or
    advisory lock (its leases are rows), and an open transaction is still rolled back on release.
    """


# The array types the store binds and reads. asyncpg learns such a type by asking the server (its introspection
# query) on each connection's first use of it: 6-26 ms each, measured, in whichever lookup came first. One prepared
# statement asks for all of them as the connection opens.
ARRAY_TYPES = (
    "SELECT NULL::smallint[], NULL::integer[], NULL::bigint[], NULL::float4[], NULL::float8[], NULL::timestamptz[]"
)


class _NewConnection:
    """Each connection's set-up as the pool opens it (asyncpg's ``init``): the array types, and, once the store
    is open, the warm-up. The store's first connections are warmed together after the schema is brought up to
    date (``_warm_up``); this warms those the pool opens later, in place of one that was lost."""

    def __init__(self) -> None:
        self.store_open = False

    async def __call__(self, db: asyncpg.Connection) -> None:
        await db.prepare(ARRAY_TYPES)
        if self.store_open:
            try:  # a head start only: its failure (a lock it waited on, a cancel) must not fail the acquire
                await _warm(db)
            except asyncpg.PostgresError as exc:
                logger.warning("a new connection not warmed: %s", exc)


# A new server process loads the text search dictionaries, and each table's catalog entries and statistics, on
# the first query that needs them: 6-11 ms over a connection's first lookups (measured at 30,000 essays), paid by
# whichever lookup came first. Every connection loads them as the store opens (EXPLAIN: planned, not run).
WARM_UP = "; ".join(
    [
        "SELECT websearch_to_tsquery('marginalia', 'warm'), to_tsvector('marginalia', 'warm')",
        *(
            f"EXPLAIN SELECT 1 FROM {table} WHERE document @@ websearch_to_tsquery('marginalia', 'warm')"
            for table in ("quotes", "figures", "essay_search")
        ),
        "EXPLAIN SELECT 1 FROM essays, guild_essays, essay_bodies, essay_contexts, sections, essay_labels, "
        "essay_references, quote_speakers, related_terms, related_df, related_lists, related_neighbours, "
        "stem_champions WHERE false",
    ]
)


async def _warm(db: asyncpg.Connection | Db) -> None:
    """Run ``WARM_UP``. Only a head start: a schema it does not know (a test's older migrations) leaves the
    connection to load what it needs when it needs it."""
    try:
        await db.execute(WARM_UP)
    except (asyncpg.UndefinedTableError, asyncpg.UndefinedObjectError) as exc:
        logger.debug("a connection not warmed: %s", exc)


async def _warm_up(pool: asyncpg.Pool) -> None:
    """Warm each of the pool's connections, at once."""
    held = [await pool.acquire() for _ in range(pool.get_size())]
    try:
        # Every one ends before the connections go back, whatever the others did.
        done = await asyncio.gather(*(_warm(db) for db in held), return_exceptions=True)
        for outcome in done:
            if isinstance(outcome, BaseException):
                raise outcome
    finally:
        for db in held:
            await pool.release(db)


class Args:
    """Numbered parameters ($1, $2, …) for a query built from parts."""

    def __init__(self, *values: Any) -> None:
        self.values: list[Any] = list(values)

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


class PostgresBase:
    """Owns a pool of connections to one PostgreSQL database.

    Unlike the SQLite store there is no process-wide write lock: PostgreSQL serialises what must be
    (row locks, unique keys), and several processes share the database. ``worker`` names this process
    in the leases it takes (bot/store/postgres/leases.py).
    """

    # Reads awaited together go to the pool's connections at once: their round trips overlap.
    concurrent_reads = True

    def __init__(self, pool: asyncpg.Pool, url: str, worker: str) -> None:
        self._pool = pool
        self.url = url
        self.worker = worker
        # The searched columns' word statistics, read now and then (bot/store/postgres/words.py).
        self.word_statistics = WordStatistics()
        # How many essays carry each label, as read (bot/store/postgres/related.py ``label_counts``).
        self.label_counts_read: dict[str, tuple[float, int]] = {}

    @classmethod
    async def open(cls, url: str, *, worker: str | None = None, max_size: int | None = None) -> Self:
        """Connect (``postgresql://…``), bring the schema up to date, and return the store.

        Every connection of the pool opens here, warmed (``WARM_UP``), and stays open (a pool's floor is
        never closed for idleness): a lookup gathers up to six reads, and each connection opened on demand
        cost it a connection's start, its types' introspection and its first plans.
        """
        max_size = max_size or backends.DEFAULT_POOL_SIZE
        new_connection = _NewConnection()
        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=max_size,
                max_size=max_size,
                server_settings=SESSION_SETTINGS,
                reset=_keep_session,
                init=new_connection,
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise StoreError(f"cannot connect to the database: {exc}") from exc
        try:
            async with pool.acquire() as db:
                await migrate(db)
            await _warm_up(pool)
            new_connection.store_open = True
        except BaseException:
            await pool.close()
            raise
        return cls(pool, url, worker or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}")

    async def close(self) -> None:
        await self._pool.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def ranking_version(self) -> int | None:
        """None: several processes commit at once, and a shared counter would be a row every writer waits on (or,
        as a sequence, would move before the changes it counts were visible); every answer is computed."""
        return None

    @asynccontextmanager
    async def write_batch(self) -> AsyncIterator[None]:
        """Each write commits by itself, as outside a batch: the pool hands each its own connection."""
        yield

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Db]:
        async with self._pool.acquire() as db:
            try:
                async with db.transaction():
                    yield db
            except (asyncpg.DiskFullError, asyncpg.InsufficientResourcesError) as exc:
                raise StoreError(f"the database could not be written: {exc}") from exc

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> Record | None:
        return await self._pool.fetchrow(sql, *params)

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Record]:
        return list(await self._pool.fetch(sql, *params))

    async def _value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return await self._pool.fetchval(sql, *params)
