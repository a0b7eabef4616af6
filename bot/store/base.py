"""The connections every query module builds on: one aiosqlite connection for writes, WAL, foreign keys; a
read-only connection for the reads made outside a transaction (see ``StoreBase._all``); and, once a bulk ingest
asks for one, a connection for its batches (``StoreBase.write_batch``)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sqlite3
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self, TypeGuard

import aiosqlite

from bot.store.direct import Connection, Direct
from bot.store.migrate import migrate
from bot.store.packing import sql_pack, sql_unpack
from bot.store.vectors import sql_vector, sql_vector_ids, sql_vector_places

logger = logging.getLogger(__name__)


class StoreError(Exception):
    """A storage failure worth telling the user about (disk full, locked, corrupt)."""


class BackupCheckError(StoreError):
    """A backup copy failed its integrity check (and was removed); ``problem`` says what the check found."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"the backup failed its integrity check: {problem}")
        self.problem = problem


def utcnow() -> datetime:
    return datetime.now(UTC)


def worker_name() -> str:
    """A name for this process in the leases it takes: host, process id, and a random part (a reused pid)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def to_iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds")


def from_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# Statements that may go to the read connection (``query_only`` refuses any that would write).
_READS = ("SELECT", "WITH")


# Every writing connection's settings. SQLite's default page cache is 2 MB; lookups in an archive of thousands
# of essays read far more. The cache grows only as pages are read (up to 64 MB); the memory map is file-backed,
# shared with the operating system's own cache.
_WRITER_PRAGMAS = (
    "PRAGMA foreign_keys = ON",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA busy_timeout = 5000",
    "PRAGMA cache_size = -65536",
    "PRAGMA mmap_size = 268435456",
    "PRAGMA temp_store = MEMORY",
)
# Migrations 0011 and 0013 pack what older versions stored plain; the related-term triggers (0013, 0017, 0018,
# 0020) unpack and read vectors on every write, so these live on every writing connection.
_WRITER_FUNCTIONS: tuple[tuple[str, int, Any], ...] = (
    ("marginalia_pack", 1, sql_pack),
    ("marginalia_unpack", 1, sql_unpack),
    ("marginalia_vector", 2, sql_vector),
    ("marginalia_vector_ids", 1, sql_vector_ids),
    ("marginalia_vector_places", 2, sql_vector_places),
)


def _reader_busy(exc: sqlite3.OperationalError) -> bool:
    """The read connection cannot run this now (a lock a checkpoint holds) or at all (a write): use the writer's."""
    text = str(exc).lower()
    return "locked" in text or "busy" in text or "readonly" in text


class StoreBase:
    """Owns the database connections of the process.

    Writes go through ``transaction()``, which serialises them with a lock:
    aiosqlite runs one connection on one thread, and interleaved transactions
    from several tasks on one connection would mix their statements.
    Reads outside a transaction run on a second, read-only connection in the caller's thread (``_all``);
    a batch's statements run on a third, in the caller's thread too (``write_batch``).
    ``worker`` names this store's owner in the leases it takes (bot/store/leases.py).
    """

    # A read outside a transaction is answered at once, in the caller's thread (``_all``).
    concurrent_reads = False

    def __init__(
        self,
        db: aiosqlite.Connection,
        path: Path,
        worker: str | None = None,
        reader: sqlite3.Connection | None = None,
    ) -> None:
        self._db = db
        self.path = path
        self.worker = worker or worker_name()
        self._write_lock = asyncio.Lock()
        # The task whose transaction is open: its own nested ``transaction()`` calls become savepoints.
        self._holder: asyncio.Task[Any] | None = None
        self._reader = reader
        # The connection of a bulk batch (``write_batch``), opened at the first and kept: its cache stays warm.
        self._batcher: Direct | None = None
        # The holder's connection while a batch is open: its statements and reads go there.
        self._batch: Direct | None = None

    @classmethod
    async def open(cls, path: Path | str, *, worker: str | None = None) -> Self:
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the database at {path}: {exc}") from exc
        try:
            db.row_factory = sqlite3.Row
            await db.execute("PRAGMA journal_mode = WAL")
            for pragma in _WRITER_PRAGMAS:
                await db.execute(pragma)
            for name, arity, function in _WRITER_FUNCTIONS:
                await db.create_function(name, arity, function, deterministic=True)
            await migrate(db)
            reader = _open_reader(path) if str(path) != ":memory:" else None
        except BaseException:
            await db.close()
            raise
        return cls(db, path, worker, reader)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._batcher is not None:
            self._batcher.close()
            self._batcher = None
        await self._db.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def connection(self) -> aiosqlite.Connection:
        """For tests that check the database itself; other code uses the typed methods."""
        return self._db

    async def backup(self, target: Path) -> None:
        """Copy the live database with SQLite's online backup, then verify the copy.

        The copy is written beside the target and renamed into place only once it passes
        ``PRAGMA integrity_check``, so a failed backup never leaves a half-written file
        under the asked-for name.
        """
        partial = target.with_name(target.name + ".partial")
        await asyncio.to_thread(partial.unlink, missing_ok=True)
        # aiosqlite runs the backup on the store's own thread, so the target must allow that thread.
        copy = sqlite3.connect(partial, check_same_thread=False)
        try:
            await self._db.backup(copy)
        finally:
            copy.close()
        problems = await asyncio.to_thread(_file_integrity_problems, partial)
        if problems:
            await asyncio.to_thread(partial.unlink, missing_ok=True)
            raise BackupCheckError("; ".join(problems)[:500])
        await asyncio.to_thread(partial.replace, target)

    async def ranking_version(self) -> int | None:
        """The counter migration 0019's triggers move, read on the read connection: it sees the last commit of
        every connection and process, and commits its triggers' moves with their changes (see the protocol)."""
        if self._reader is None or self._db.in_transaction or self._batch is not None:
            return None
        row = self._reader.execute("SELECT version FROM ranking_version").fetchone()
        return int(row[0]) if row is not None else None

    async def integrity_check(self) -> list[str]:
        """What ``PRAGMA integrity_check`` finds wrong with the live database; empty when it says ok."""
        async with self._db.execute("PRAGMA integrity_check") as cursor:
            return _problems([str(row[0]) for row in await cursor.fetchall()])

    async def checkpoint(self) -> None:
        """Fold the write-ahead log into the database file and empty it: the file alone is then complete."""
        await self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """One write transaction, committed at the end and rolled back on any exception.

        Called again by the task that holds it (``write_batch``), it is a savepoint inside that
        transaction: the inner part is undone alone on an exception, and only the outer one commits.
        Another task waits for the lock, so a task must not hold it while awaiting one that writes.
        """
        if self._holder is not None and self._holder is asyncio.current_task():
            db = self._batch or self._db
            async with self._savepoint(db):
                yield db
            return
        async with self._write_lock, self._held(self._db):
            yield self._db

    @asynccontextmanager
    async def write_batch(self) -> AsyncIterator[None]:
        """Every write this task makes inside goes into one transaction: one commit for the lot (see the protocol).

        The batch's statements, reads included, run at once in this thread on a connection of its own
        (``bot.store.direct``): a bulk ingest sends dozens per essay, and the hops to aiosqlite's thread
        cost more than most of them. They block the event loop while they run, which bulk work can afford.
        Other tasks read the last commit meanwhile, and wait for the batch to write.
        """
        nested = self._holder is not None and self._holder is asyncio.current_task()
        if nested or str(self.path) == ":memory:":  # in memory, a second connection would open another database
            async with self.transaction():
                yield
            return
        async with self._write_lock:
            try:
                self._batcher = self._batcher or self._open_batcher()
            except sqlite3.Error as exc:
                raise StoreError(f"the database is busy or unwritable: {exc}") from exc
            self._batch = self._batcher
            try:
                async with self._held(self._batch):
                    yield
            finally:
                self._batch = None

    @asynccontextmanager
    async def _held(self, db: Connection) -> AsyncIterator[None]:
        """This task's transaction on ``db`` (the write lock taken): committed at its end, undone on an exception."""
        try:
            await db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"the database is busy or unwritable: {exc}") from exc
        self._holder = asyncio.current_task()
        try:
            yield
        except BaseException as exc:
            await self._rollback(db)
            if _is_storage_failure(exc):
                # A full disk or an I/O error inside a statement, not only at COMMIT.
                raise StoreError(_explain_write_error(exc)) from exc
            raise
        finally:
            self._holder = None
        try:
            await db.execute("COMMIT")
        except sqlite3.Error as exc:
            await self._rollback(db)
            raise StoreError(_explain_write_error(exc)) from exc

    def _open_batcher(self) -> Direct:
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            connection.row_factory = sqlite3.Row
            for pragma in _WRITER_PRAGMAS:
                connection.execute(pragma)
            for name, arity, function in _WRITER_FUNCTIONS:
                connection.create_function(name, arity, function, deterministic=True)
        except BaseException:
            connection.close()
            raise
        return Direct(connection)

    @asynccontextmanager
    async def _savepoint(self, db: Connection) -> AsyncIterator[None]:
        await db.execute("SAVEPOINT nested")
        try:
            yield
        except BaseException:
            if db.in_transaction:  # SQLite may have rolled the whole transaction back itself
                await db.execute("ROLLBACK TO nested")
                await db.execute("RELEASE nested")
            raise
        await db.execute("RELEASE nested")

    async def _rollback(self, db: Connection) -> None:
        """Roll back if a transaction is still open.

        SQLite rolls back by itself on some errors (SQLITE_FULL, SQLITE_IOERR); a second
        ROLLBACK would then fail and hide the error that matters.
        """
        if not db.in_transaction:
            return
        try:
            await db.execute("ROLLBACK")
        except sqlite3.Error:
            logger.exception("rolling back a failed transaction failed too")

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        rows = await self._all(sql, params)
        return rows[0] if rows else None

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """The rows of one statement.

        A read outside a transaction runs at once on the read connection, in this thread: a lookup's
        statements take 0.01-2 ms each, and the hop to aiosqlite's thread and back cost more than that
        (about 0.2 ms, and the two threads taking turns at the GIL as much again: /related made 18
        statements). Every read is bounded (the lookups' budgets and windows), so the event loop waits
        at most milliseconds. Inside a transaction, and for writes, the statement goes to the writer's
        thread, which sees the transaction's own changes; inside a batch, the holder's statements go to the
        batch's connection, in this thread.
        """
        if self._batch is not None and self._holder is asyncio.current_task():
            return self._batch.raw.execute(sql, params).fetchall()
        reader = self._reader
        if reader is not None and not self._db.in_transaction and sql.lstrip()[:6].upper().startswith(_READS):
            try:
                return reader.execute(sql, params).fetchall()
            except sqlite3.OperationalError as exc:
                if not _reader_busy(exc):
                    raise
        # One hop to the connection's thread (a cursor's execute, fetch and close would be three).
        return list(await self._db.execute_fetchall(sql, params))


def _open_reader(path: Path) -> sqlite3.Connection:
    """The read-only connection: autocommit (each statement sees the latest commit), the writer's caches."""
    reader = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        reader.row_factory = sqlite3.Row
        reader.execute("PRAGMA query_only = ON")
        reader.execute("PRAGMA cache_size = -65536")
        reader.execute("PRAGMA mmap_size = 268435456")
        reader.execute("PRAGMA temp_store = MEMORY")
        reader.create_function("marginalia_unpack", 1, sql_unpack, deterministic=True)
        reader.create_function("marginalia_vector_ids", 1, sql_vector_ids, deterministic=True)
    except BaseException:
        reader.close()
        raise
    return reader


def _is_storage_failure(exc: BaseException) -> TypeGuard[sqlite3.Error]:
    """An error of the database file or disk rather than of the statement (a constraint, a bug)."""
    return isinstance(exc, sqlite3.OperationalError) or type(exc) is sqlite3.DatabaseError


def _explain_write_error(exc: sqlite3.Error) -> str:
    message = str(exc)
    if "full" in message.lower():
        return "the disk holding the database is full; free some space and try again"
    return f"the database could not be written: {message}"


def _problems(results: list[str]) -> list[str]:
    return [] if results == ["ok"] else results


def _file_integrity_problems(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute("PRAGMA integrity_check").fetchall()
    finally:
        connection.close()
    return _problems([str(row[0]) for row in rows])
