"""Backup, integrity check and checkpoint of the PostgreSQL store.

A backup is ``pg_dump``'s custom-format archive (restore with ``pg_restore -d NEWDB FILE``): one
repeatable-read snapshot of the whole database, taken while the bot runs. The client tools must be
installed beside the bot (Debian: ``postgresql-client``) at the server's major version or newer.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import asyncpg

from bot.store.base import BackupCheckError, StoreError
from bot.store.postgres.base import PostgresBase
from bot.store.postgres.migrate import bundled_migrations, schema_version

logger = logging.getLogger(__name__)

# Where Debian and Ubuntu install each version's client programs when they are not on PATH.
_DEBIAN_BIN_DIRS = "/usr/lib/postgresql"


def find_client_program(name: str) -> Path | None:
    """``pg_dump`` or ``pg_restore``: from PATH, else the newest of Debian's versioned folders."""
    on_path = shutil.which(name)
    if on_path:
        return Path(on_path)
    versions = sorted(
        Path(_DEBIAN_BIN_DIRS).glob(f"*/bin/{name}"), key=lambda p: _version_key(p.parent.parent.name), reverse=True
    )
    return versions[0] if versions else None


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".") if part.isdigit())


def client_address(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password, and the environment that passes the password to a client program.

    A password on a command line is visible to every user of the machine (``ps``); libpq reads
    ``PGPASSWORD`` from the program's own environment instead.
    """
    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    user, colon, password = userinfo.partition(":")
    env = dict(os.environ)
    if at and colon:
        env["PGPASSWORD"] = unquote(password)
        parts = parts._replace(netloc=f"{user}@{hostport}")
    return urlunsplit(parts), env


async def _run(program: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        str(program),
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await process.communicate()
    assert process.returncode is not None  # communicate() waits for the exit
    return process.returncode, out.decode(errors="replace"), err.decode(errors="replace")


async def archive_problems(path: Path, pg_restore: Path) -> list[str]:
    """What is wrong with a dump archive: unreadable to ``pg_restore``, or without the store's tables.

    ``pg_restore --file=/dev/null`` reads the table of contents and every data block (decompressing
    it), so a truncated or corrupt archive fails here, not on the day it is needed.
    """
    status, listing, err = await _run(pg_restore, "--list", str(path))
    if status != 0:
        return [f"pg_restore cannot read the archive: {err.strip()[:300]}"]
    if not any("TABLE DATA" in line and " schema_migrations " in line for line in listing.splitlines()):
        return ["the archive holds no schema_migrations data: it is not a Marginalia database"]
    status, _, err = await _run(pg_restore, f"--file={os.devnull}", str(path))
    if status != 0:
        return [f"pg_restore cannot read every block of the archive: {err.strip()[:300]}"]
    return []


class MaintenanceQueries(PostgresBase):
    async def backup(self, target: Path) -> None:
        """Dump the live database with ``pg_dump`` (one consistent snapshot), then verify the archive.

        The archive is written beside the target and renamed into place only once ``pg_restore``
        reads all of it, so a failed backup never leaves a half-written file under the asked-for name.
        """
        pg_dump = find_client_program("pg_dump")
        pg_restore = find_client_program("pg_restore")
        if pg_dump is None or pg_restore is None:
            raise StoreError(
                "backing up a PostgreSQL database needs the pg_dump and pg_restore programs, which are not "
                "installed here (Debian: apt install postgresql-client); or back it up on the database server"
            )
        partial = target.with_name(target.name + ".partial")
        await asyncio.to_thread(partial.unlink, missing_ok=True)
        address, env = client_address(self.url)
        status, _, err = await _run(
            pg_dump, "--format=custom", "--no-owner", f"--file={partial}", f"--dbname={address}", env=env
        )
        if status != 0:
            await asyncio.to_thread(partial.unlink, missing_ok=True)
            raise StoreError(f"pg_dump failed: {err.strip()[:500]}")
        problems = await archive_problems(partial, pg_restore)
        if problems:
            await asyncio.to_thread(partial.unlink, missing_ok=True)
            raise BackupCheckError("; ".join(problems)[:500])
        await asyncio.to_thread(partial.replace, target)

    async def integrity_check(self) -> list[str]:
        """What is wrong with the live database as this store sees it; empty when sound.

        PostgreSQL has no one-statement check like SQLite's ``PRAGMA integrity_check``. This asks
        what a client can: the schema is at the version this code expects, no index was left invalid
        (an interrupted ``CREATE INDEX CONCURRENTLY``), and, where the ``amcheck`` extension is
        installed in the database and the role may use it, every B-tree index agrees with its table.
        """
        problems: list[str] = []
        async with self._pool.acquire() as db:
            latest = bundled_migrations()[-1].version
            version = await schema_version(db)
            if version != latest:
                problems.append(f"the schema is at version {version}, this Marginalia expects {latest}")
            invalid = await db.fetch(
                "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND NOT i.indisvalid ORDER BY c.relname"
            )
            problems += [f"index {r['relname']} is invalid (rebuild it with REINDEX)" for r in invalid]
            if await db.fetchval("SELECT true FROM pg_extension WHERE extname = 'amcheck'"):
                problems += await _amcheck_problems(db)
        return problems

    async def checkpoint(self) -> None:
        """Ask the server to write every change still only in its write-ahead log into the data files.

        The server owns those files and checkpoints on its own schedule (``checkpoint_timeout``);
        ``CHECKPOINT`` makes it happen now, and needs a superuser or the ``pg_checkpoint`` role
        (PostgreSQL 15). Without them this says so rather than pretend.
        """
        try:
            await self._pool.execute("CHECKPOINT")
        except asyncpg.InsufficientPrivilegeError as exc:
            raise StoreError(
                "CHECKPOINT needs a superuser or the pg_checkpoint role; the server checkpoints by itself "
                f"every checkpoint_timeout ({exc})"
            ) from exc


async def _amcheck_problems(db: asyncpg.pool.PoolConnectionProxy[asyncpg.Record]) -> list[str]:
    indexes = await db.fetch(
        "SELECT c.oid, c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am a ON a.oid = c.relam "
        "WHERE n.nspname = current_schema() AND a.amname = 'btree' AND i.indisvalid ORDER BY c.relname"
    )
    problems: list[str] = []
    for index in indexes:
        try:
            await db.execute("SELECT bt_index_check($1::oid::regclass, true)", index["oid"])
        except asyncpg.InsufficientPrivilegeError:
            logger.info("amcheck is installed but this role may not use it; index checks skipped")
            return problems
        except asyncpg.PostgresError as exc:
            problems.append(f"index {index['relname']}: {exc}")
    return problems
