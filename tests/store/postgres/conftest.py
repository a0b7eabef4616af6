"""Stores of the PostgreSQL backend (the server and database fixtures are in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.store import SQLiteStore
from bot.store.postgres import PostgresStore
from tests.pg_server import fresh_database


@pytest.fixture
async def pg_store(pg_url: str) -> AsyncIterator[PostgresStore]:
    async with await PostgresStore.open(pg_url, worker="test") as store:
        yield store


@pytest.fixture(params=["sqlite", "postgres"])
async def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    """A fresh store of each backend, as its own class (tests here may reach past the protocol)."""
    if request.param == "sqlite":
        async with await SQLiteStore.open(tmp_path / "test.sqlite3") as store:
            yield store
    else:
        async with (
            fresh_database(request.getfixturevalue("pg_admin_url"), migrated=True) as url,
            await PostgresStore.open(url, worker="test") as pg,
        ):
            yield pg
