"""Which database a deployment uses: ``open_store`` reads a path or URL and opens that backend."""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

from bot.store.base import StoreError
from bot.store.protocol import Store
from bot.store.store import SQLiteStore

# The connections a PostgreSQL store keeps open (DATABASE_POOL_SIZE): a lookup sends up to six reads at once.
DEFAULT_POOL_SIZE = 10

# URL schemes of the SQLite backend; a bare path (no "://") is a SQLite file too.
SQLITE_SCHEMES = ("sqlite",)
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(target: str | os.PathLike[str]) -> bool:
    return os.fspath(target).lower().startswith(POSTGRES_SCHEMES)


async def open_store(target: str | os.PathLike[str], *, pool_size: int | None = None) -> Store:
    """Open (creating and migrating as needed) the store ``target`` names.

    ``target`` is a file path (the SQLite database, the default) or a URL: ``sqlite:///relative/file``,
    ``sqlite:////absolute/file``, or ``postgresql://user:password@host/database`` (also ``postgres://``)
    for the PostgreSQL backend. Any other scheme is refused with a ``StoreError`` naming it.
    ``pool_size``: PostgreSQL's open connections (default ``DEFAULT_POOL_SIZE``, read when the store opens).
    """
    if is_postgres_url(target):
        return await _open_postgres(os.fspath(target), pool_size)
    return await SQLiteStore.open(sqlite_path(target))


async def _open_postgres(url: str, pool_size: int | None) -> Store:
    # Imported here: the SQLite default needs no PostgreSQL driver installed.
    try:
        from bot.store.postgres import PostgresStore
    except ImportError as exc:
        raise StoreError(
            f"a postgresql:// database needs the PostgreSQL driver ({exc.name or exc}); "
            "install it with: pip install 'marginalia[postgres]'"
        ) from exc
    return await PostgresStore.open(url, max_size=pool_size)


def sqlite_path(target: str | os.PathLike[str]) -> str:
    """The SQLite file ``target`` names, or a ``StoreError`` when it names another kind of database."""
    text = os.fspath(target)
    if "://" not in text:
        return text
    parts = urlsplit(text)
    if parts.scheme.lower() not in SQLITE_SCHEMES:
        raise StoreError(f"no store for {parts.scheme}:// addresses; give a SQLite file path or a sqlite:/// URL")
    if parts.netloc:
        raise StoreError(f"a sqlite:/// URL names a file, not a host: {text}")
    # sqlite:///data/x.sqlite3 is the relative path data/x.sqlite3; sqlite:////srv/x is /srv/x.
    path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
    if not path:
        raise StoreError(f"no database file in {text}")
    return path
