"""pytest fixtures for the fake Discord (exposed to all tests through tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakediscord.scenario import FakeDiscord


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A started fake; teardown fails the test on unimplemented endpoints, spec violations or fake crashes."""
    async with FakeDiscord.start() as fake:
        yield fake
    # Checked after close(): requests made while the client shuts down count too.
    if fake.failures:
        pytest.fail("fake Discord recorded failures:\n" + "\n".join(fake.failures), pytrace=False)
