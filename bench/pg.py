"""The PostgreSQL side of the benches: which server (``--database-url``), and its databases by name.

A bench given ``--database-url postgresql://user@host/admin_db`` keeps its archives on that server as
databases of their own, named for what they hold (as the SQLite archives are files named so under
``bench/out/``), and copies one for each run with ``CREATE DATABASE … TEMPLATE``. The database named in
the URL is only where the bench connects to create, copy, measure and drop the others; its user must be
allowed to create databases. Without the option the benches run on SQLite, as before.
"""

from __future__ import annotations

import argparse
import contextlib
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bot.store.backends import is_postgres_url

DATABASE_URL_HELP = (
    "run on PostgreSQL: a postgresql:// address of a server where the bench may create databases "
    "(the database it names is only used to create, copy and drop the bench's own); default: SQLite files"
)

WARM_HELP = (
    "with --database-url: load the run's copy into the server's shared buffers before timing (pg_prewarm), as a "
    "server that has answered for a while holds its pages; what that holds depends on the server's shared_buffers"
)


def database_url_option(text: str) -> str:
    """argparse's type for ``--database-url``: a postgresql:// (or postgres://) address naming a host or socket."""
    text = text.strip()
    if not is_postgres_url(text):
        raise argparse.ArgumentTypeError(f"not a postgresql:// address: {text!r}")
    parts = urlsplit(text)
    if not parts.path.strip("/"):
        raise argparse.ArgumentTypeError("the address must name a database to connect to, e.g. /postgres")
    return text


def with_database(url: str, name: str) -> str:
    """The same server's address for the database ``name`` (the query, e.g. ``?host=/socket``, kept)."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def _connect(url: str) -> Any:
    import asyncpg  # the 'postgres' extra: the SQLite default needs no driver

    return await asyncpg.connect(url)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def database_exists(admin_url: str, name: str) -> bool:
    admin = await _connect(admin_url)
    try:
        return bool(await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await admin.close()


async def create_database(admin_url: str, name: str, *, template: str | None = None) -> str:
    """Create the database ``name`` (empty, or a copy of ``template``); its address."""
    admin = await _connect(admin_url)
    try:
        if template is None:
            await admin.execute(f"CREATE DATABASE {_quoted(name)}")
        else:
            # FILE_COPY copies the files after a checkpoint: far quicker than WAL_LOG for a large archive.
            await admin.execute(f"CREATE DATABASE {_quoted(name)} TEMPLATE {_quoted(template)} STRATEGY FILE_COPY")
    finally:
        await admin.close()
    return with_database(admin_url, name)


async def drop_database(admin_url: str, name: str) -> None:
    admin = await _connect(admin_url)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)")
    finally:
        await admin.close()


async def rename_database(admin_url: str, old: str, new: str) -> None:
    admin = await _connect(admin_url)
    try:
        await admin.execute(f"ALTER DATABASE {_quoted(old)} RENAME TO {_quoted(new)}")
    finally:
        await admin.close()


async def prewarm(url: str) -> tuple[int, int]:
    """Load the database's tables, indexes and TOAST into the server's shared buffers (``pg_prewarm``, in
    Debian's ``postgresql`` package), as a server that has answered for a while holds its pages: (pages read,
    pages the shared buffers hold). With fewer buffers than pages only the last relations read stay."""
    connection = await _connect(url)
    try:
        await connection.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        read = await connection.fetchval(
            "WITH own AS (SELECT oid, reltoastrelid FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
            "AND relkind IN ('r', 'i', 'm') AND relpersistence = 'p'), "
            "toast AS (SELECT reltoastrelid AS oid FROM own WHERE reltoastrelid <> 0) "
            "SELECT coalesce(sum(pg_prewarm(oid)), 0) FROM (SELECT oid FROM own UNION ALL SELECT oid FROM toast "
            "UNION ALL SELECT indexrelid FROM pg_index WHERE indrelid IN (SELECT oid FROM toast)) AS relations"
        )
        held = await connection.fetchval("SELECT setting::bigint FROM pg_settings WHERE name = 'shared_buffers'")
        return int(read), int(held)
    finally:
        await connection.close()


async def settle(url: str) -> list[str]:
    """Vacuum and analyze the tables written since they last were (a server's follow gives it every essay of a
    feed at once: 100,000 rows of ``guild_essays``), as autovacuum does within its minute's nap: otherwise it
    does so during the timings, on one of their cores, and until then each index-only probe of the new rows
    reads the table too. The tables settled. (The server's statistics of what a connection wrote are complete
    once it closed, as the setup's bot has by then.)"""
    connection = await _connect(url)
    try:
        tables = [
            str(r["relname"])
            for r in await connection.fetch(
                "SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema() "
                "AND (n_mod_since_analyze > 0 OR n_ins_since_vacuum > 0 OR n_dead_tup > 0) ORDER BY relname"
            )
        ]
        for table in tables:
            await connection.execute(f"VACUUM (ANALYZE) {_quoted(table)}")
        return tables
    finally:
        await connection.close()


async def database_bytes(admin_url: str, name: str) -> int:
    """The database's size on disk (``pg_database_size``: tables, indexes, TOAST), after a checkpoint."""
    import asyncpg

    admin = await _connect(admin_url)
    try:
        with contextlib.suppress(asyncpg.InsufficientPrivilegeError):  # CHECKPOINT wants a superuser
            await admin.execute("CHECKPOINT")
        return int(await admin.fetchval("SELECT pg_database_size($1)", name))
    finally:
        await admin.close()
