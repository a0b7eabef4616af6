"""Databases of a previous schema version: stores opened that stop before a given migration."""

from __future__ import annotations

from typing import Any

import pytest

import bot.store.postgres.base as postgres_base
from bot.store.postgres.migrate import bundled_migrations, migrate


def open_before(patch: pytest.MonkeyPatch, name_end: str) -> int:
    """Make the stores opened while ``patch`` holds migrate only up to the migration whose file name ends with
    ``name_end`` (left out); that migration's version."""
    version = next(m.version for m in bundled_migrations() if m.name.endswith(name_end))

    async def migrate_before(db: Any) -> int:
        return await migrate(db, [m for m in bundled_migrations() if m.version < version])

    patch.setattr(postgres_base, "migrate", migrate_before)
    return version
