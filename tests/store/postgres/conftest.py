"""A throwaway PostgreSQL server for the session, a fresh database per test, and stores of both backends."""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from bot.store import SQLiteStore
from bot.store.postgres import PostgresStore
from tests.pg_server import EXTERNAL_URL_ENV, NoServer, PgServer

_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """The address of a database on a server the tests may create databases on."""
    external = os.environ.get(EXTERNAL_URL_ENV)
    if external:
        yield external
        return
    try:
        server = PgServer.start()
    except NoServer as exc:
        pytest.skip(str(exc))
    try:
        yield server.url("postgres")
    finally:
        server.stop()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@asynccontextmanager
async def fresh_database(admin_url: str) -> AsyncIterator[str]:
    """A new, empty database on the server, dropped afterwards."""
    name = f"marginalia_test_{os.getpid()}_{next(_numbers)}"
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield _with_database(admin_url, name)
    finally:
        admin = await asyncpg.connect(admin_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture
async def pg_url(pg_admin_url: str) -> AsyncIterator[str]:
    """A new, empty database for one test."""
    async with fresh_database(pg_admin_url) as url:
        yield url


@pytest.fixture
async def pg_store(pg_url: str) -> AsyncIterator[PostgresStore]:
    async with await PostgresStore.open(pg_url, worker="test") as store:
        yield store


@pytest.fixture(params=["sqlite", "postgres"])
async def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    """A fresh store of each backend: one test body, run against both."""
    if request.param == "sqlite":
        async with await SQLiteStore.open(tmp_path / "test.sqlite3") as store:
            yield store
    else:
        # The server fixture is synchronous (session-wide); the database is made here, in this test's loop.
        async with (
            fresh_database(request.getfixturevalue("pg_admin_url")) as url,
            await PostgresStore.open(url, worker="test") as pg,
        ):
            yield pg
