"""The one error handler: short ephemeral replies, an id for the unexpected, the detail in the log."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest

from bot.client import create_bot
from bot.config import load_settings
from bot.store import StoreError
from tests.fakediscord import FakeDiscord

pytestmark = pytest.mark.e2e

EPHEMERAL = 1 << 6


async def ask_quote_failing_with(
    fake: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> str:
    guild = fake.add_guild()
    channel = fake.add_channel(guild, "essays")
    settings = load_settings({"DB_PATH": str(tmp_path / "e.sqlite3")}, env_file=None)
    bot = create_bot(settings, extensions=("cogs.lookup",))
    await fake.connect(bot)

    async def fail(*args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(bot.store, "quote_pool", fail)
    try:
        interaction = await fake.invoke_slash("quote", {}, channel=channel)
        await interaction.wait_response()
        message = await interaction.wait_original(lambda m: bool(m.content))
    finally:
        await fake.disconnect(bot)
    assert message.flags & EPHEMERAL
    assert not fake.pings(message).any
    return message.content


async def test_unexpected_error_replies_with_an_id_that_the_log_carries(
    fake_discord: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="bot.client")
    content = await ask_quote_failing_with(fake_discord, tmp_path, monkeypatch, RuntimeError("index exploded"))
    match = re.search(r"error id `([0-9a-f]{8})`", content)
    assert match, content
    assert "index exploded" not in content, "internal detail stays out of the reply"
    [record] = [r for r in caplog.records if match.group(1) in r.getMessage()]
    assert record.exc_info is not None and "index exploded" in str(record.exc_info[1])


async def test_storage_failure_is_reported_as_such(
    fake_discord: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = await ask_quote_failing_with(
        fake_discord, tmp_path, monkeypatch, StoreError("the disk holding the database is full")
    )
    assert content.startswith("The bot's storage failed (error id `")
