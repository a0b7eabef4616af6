"""Backup: an online copy of the live database, checked before it takes the asked-for name."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from bot.errors import UserError
from bot.store import BackupCheckError, Store

logger = logging.getLogger(__name__)


async def backup_database(store: Store, target: Path, *, force: bool = False) -> Path:
    """Copy the live database while the bot runs (``Store.backup``), then verify the copy.

    The copy takes the asked-for name only once it passes the store's integrity check, so a
    failed backup never leaves a half-written file there.
    """
    await asyncio.to_thread(_check_target, target, force)
    try:
        await store.backup(target)
    except BackupCheckError as exc:
        raise UserError(
            f"The backup failed its integrity check ({exc.problem}); the database may need attention."
        ) from exc
    logger.info("database backed up to %s", target)
    return target


def _check_target(target: Path, force: bool) -> None:
    """Refuse an existing target unless forced, and a folder that does not exist."""
    if target.exists() and not force:
        raise UserError(f"{target} already exists; choose another path or add --force to overwrite it.")
    if not target.parent.is_dir():
        raise UserError(f"{target.parent} is not a directory; create it first.")
