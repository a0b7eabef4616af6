"""Shared fixtures and test settings."""

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from bot.fetch import Fetcher, FetchPolicy
from bot.store import Store, backends, open_store
from tests.fakediscord.fixtures import fake_discord
from tests.fetch_server import FetchServer
from tests.pg_server import EXTERNAL_URL_ENV, NoServer, PgServer, drop_templates, fresh_database

# CI runs the property tests with a fixed derivation of each test's seed, so a green build stays
# green; locally they explore new examples on every run. No deadline: CI's 2 cores are shared.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
async def server() -> AsyncIterator[FetchServer]:
    """A programmable HTTP server on 127.0.0.1 for feeds and pages."""
    async with FetchServer() as srv:
        yield srv


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    """A fetcher that may reach the test server on 127.0.0.1, and nothing else private."""
    async with Fetcher(FetchPolicy(allowed_networks=("127.0.0.1/32",), total_timeout=5)) as f:
        yield f


@pytest.fixture(autouse=True)
def small_database_pools(monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL stores opened in a test keep 3 connections, not a running bot's 10: each opens, warmed, with
    its store, and the suite opens hundreds of stores. (Bot processes a test starts read DATABASE_POOL_SIZE.)"""
    monkeypatch.setattr(backends, "DEFAULT_POOL_SIZE", 3)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """A fresh database in the test's own directory."""
    async with await open_store(tmp_path / "test.sqlite3") as s:
        yield s


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """The address of a database on a PostgreSQL server the tests may create databases on.

    A throwaway server (tests/pg_server.py) started once for the session, or the server named by
    MARGINALIA_TEST_DATABASE_URL; the PostgreSQL tests are skipped, saying why, when neither can be had.
    """
    external = os.environ.get(EXTERNAL_URL_ENV)
    if external:
        yield external
        asyncio.run(drop_templates(external))
        return
    try:
        server = PgServer.start()
    except NoServer as exc:
        pytest.skip(str(exc))
    try:
        yield server.url("postgres")
    finally:
        server.stop()


@pytest.fixture
async def pg_url(pg_admin_url: str) -> AsyncIterator[str]:
    """A new, empty PostgreSQL database for one test."""
    async with fresh_database(pg_admin_url) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
async def backend_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """A fresh store of each backend, opened with ``open_store``: a test taking it runs on both.

    Modules whose tests ask only the Store protocol take it under the name ``store``.
    """
    if request.param == "sqlite":
        async with await open_store(tmp_path / "test.sqlite3") as s:
            yield s
        return
    # The server fixture is synchronous (session-wide); the database is made here, in this test's loop.
    admin_url = request.getfixturevalue("pg_admin_url")
    async with fresh_database(admin_url, migrated=True) as url, await open_store(url) as s:
        yield s


__all__ = ["fake_discord"]
