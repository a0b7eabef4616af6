"""A plain sqlite3 connection that answers like aiosqlite's, for the writes of a bulk batch (``write_batch``).

aiosqlite runs every statement on its own thread: a hop there and back costs about 0.09 ms of wall time and
0.07 ms of CPU, more than most of an ingest's statements take to run (35 per essay stored, about 3 ms per
essay in all). A batch's statements run here instead, in the caller's thread, each at once. That blocks the
event loop for as long as a statement runs, so only bulk work that nothing else waits on uses it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Generator, Iterable
from typing import Any, Protocol


class Connection(Protocol):
    """What the query modules ask of the connection a transaction gives them: aiosqlite's, or ``Direct``."""

    @property
    def in_transaction(self) -> bool: ...

    def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> Any: ...

    def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> Any: ...

    def execute_fetchall(self, sql: str, parameters: Iterable[Any] | None = None) -> Any: ...


class DirectCursor:
    """A finished statement's cursor, with aiosqlite's cursor methods (awaited, though nothing waits)."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class _Done:
    """A statement already run: awaited, it gives its cursor; entered with ``async with``, it closes it after."""

    def __init__(self, cursor: DirectCursor) -> None:
        self._cursor = cursor

    def __await__(self) -> Generator[Any, None, DirectCursor]:
        return _value(self._cursor).__await__()

    async def __aenter__(self) -> DirectCursor:
        return self._cursor

    async def __aexit__(self, *exc: object) -> None:
        await self._cursor.close()


async def _value(cursor: DirectCursor) -> DirectCursor:
    return cursor


class Direct:
    """``connection``'s statements run at once in this thread, behind aiosqlite's methods."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.raw = connection

    @property
    def in_transaction(self) -> bool:
        return self.raw.in_transaction

    def execute(self, sql: str, parameters: Any = None) -> _Done:
        return _Done(DirectCursor(self.raw.execute(sql, () if parameters is None else parameters)))

    def executemany(self, sql: str, parameters: Any) -> _Done:
        return _Done(DirectCursor(self.raw.executemany(sql, parameters)))

    async def execute_fetchall(self, sql: str, parameters: Any = None) -> list[Any]:
        return self.raw.execute(sql, () if parameters is None else parameters).fetchall()

    def close(self) -> None:
        self.raw.close()
