"""Backup: an online copy of the live database, checked before it takes the asked-for name."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

from bot.errors import UserError
from bot.store import Store

logger = logging.getLogger(__name__)


async def backup_database(store: Store, target: Path, *, force: bool = False) -> Path:
    """Copy the live database with SQLite's online backup, then verify the copy.

    The copy is written beside the target and renamed into place only once it passes
    ``PRAGMA integrity_check``, so a failed backup never leaves a half-written file
    under the asked-for name.
    """
    partial = await asyncio.to_thread(_prepare_backup, target, force)
    # aiosqlite runs the backup on the store's own thread, so the target must allow that thread.
    copy = sqlite3.connect(partial, check_same_thread=False)
    try:
        await store.connection.backup(copy)
    finally:
        copy.close()
    problem = await asyncio.to_thread(_integrity_problem, partial)
    if problem is not None:
        await asyncio.to_thread(partial.unlink, missing_ok=True)
        raise UserError(f"The backup failed its integrity check ({problem}); the database may need attention.")
    await asyncio.to_thread(partial.replace, target)
    logger.info("database backed up to %s", target)
    return target


def _prepare_backup(target: Path, force: bool) -> Path:
    """The partial file to write; refuses an existing target unless forced."""
    if target.exists() and not force:
        raise UserError(f"{target} already exists; choose another path or add --force to overwrite it.")
    if not target.parent.is_dir():
        raise UserError(f"{target.parent} is not a directory; create it first.")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    return partial


def _integrity_problem(path: Path) -> str | None:
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute("PRAGMA integrity_check").fetchall()
    finally:
        connection.close()
    results = [str(row[0]) for row in rows]
    return None if results == ["ok"] else "; ".join(results)[:500]
