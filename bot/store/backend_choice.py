"""Which database a deployment uses: a SQLite file (the default, needs nothing) or a PostgreSQL server.

``open_store`` takes what ``DATABASE_URL`` (or the database path setting) holds: a ``postgresql://`` or
``postgres://`` address opens the PostgreSQL backend, which several bot processes can share; anything
else is the path of a SQLite file. The PostgreSQL driver is imported only when asked for (the
``postgres`` extra: ``pip install 'marginalia[postgres]'``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from bot.store.base import StoreError
from bot.store.store import Store

if TYPE_CHECKING:
    from bot.store.postgres import PostgresStore

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(target: str | os.PathLike[str]) -> bool:
    return os.fspath(target).lower().startswith(POSTGRES_SCHEMES)


async def open_store(target: str | os.PathLike[str]) -> Store | PostgresStore:
    """Open (creating and migrating as needed) the database ``target`` names."""
    if not is_postgres_url(target):
        return await Store.open(Path(target))
    try:
        from bot.store.postgres import PostgresStore
    except ImportError as exc:
        raise StoreError(
            "DATABASE_URL names a PostgreSQL server, but its driver is not installed: "
            "pip install 'marginalia[postgres]'"
        ) from exc
    return await PostgresStore.open(os.fspath(target))
