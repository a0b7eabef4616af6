"""Shared fixtures and test settings."""

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import settings

from bot.fetch import Fetcher, FetchPolicy
from bot.store import Store, open_store
from tests.fakediscord.fixtures import fake_discord
from tests.fetch_server import FetchServer

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


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """A fresh database in the test's own directory."""
    async with await open_store(tmp_path / "test.sqlite3") as s:
        yield s


__all__ = ["fake_discord"]
