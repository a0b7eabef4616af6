"""Databases of a previous schema version: stores opened that stop before a given migration."""

from __future__ import annotations

from typing import Any

import pytest

import bot.store.postgres.base as postgres_base
import bot.store.postgres.essays as essay_queries
from bot.store.postgres.migrate import bundled_migrations, migrate

# This version's statements that name a column a migration added, as they were before it: (that migration's file
# name's end, the module, the statement's name, the statement before). The date beside an essay's search document
# ($5, unused before, is still bound).
_WRITTEN_BEFORE = [
    (
        "_essay_search_published.sql",
        essay_queries,
        "SEARCH_INSERT",
        "INSERT INTO essay_search(essay_id, document) "
        f"SELECT $1, {essay_queries._ESSAY_DOCUMENT} WHERE $5::timestamptz IS NULL OR TRUE",
    ),
]


def _version(name_end: str) -> int:
    return next(m.version for m in bundled_migrations() if m.name.endswith(name_end))


def open_before(patch: pytest.MonkeyPatch, name_end: str) -> int:
    """Make the stores opened while ``patch`` holds migrate only up to the migration whose file name ends with
    ``name_end`` (left out), and write what that schema has columns for; that migration's version. (Only writes
    are made as they were: a read naming a later column fails on such a store.)"""
    version = _version(name_end)
    for added_by, module, name, statement in _WRITTEN_BEFORE:
        if _version(added_by) >= version:
            patch.setattr(module, name, statement)

    async def migrate_before(db: Any) -> int:
        return await migrate(db, [m for m in bundled_migrations() if m.version < version])

    patch.setattr(postgres_base, "migrate", migrate_before)
    return version
