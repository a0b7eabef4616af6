"""Slash commands are synced only when their definitions change, never on every start."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.client import create_bot
from bot.config import load_settings
from tests.fakediscord import FakeDiscord

pytestmark = pytest.mark.e2e

GLOBAL_SYNC = r"/applications/\d+/commands$"
GUILD_SYNC = r"/applications/\d+/guilds/\d+/commands$"


async def start_and_stop(fake: FakeDiscord, db: Path, extensions: tuple[str, ...], **env: str) -> None:
    settings = load_settings({"DB_PATH": str(db), **env}, env_file=None)
    bot = create_bot(settings, extensions=extensions)
    await fake.connect(bot)
    await fake.disconnect(bot)


async def test_sync_happens_once_then_only_when_definitions_change(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    fake_discord.add_guild()
    db = tmp_path / "sync.sqlite3"

    await start_and_stop(fake_discord, db, ("cogs.lookup",))
    assert len(fake_discord.requests_to("PUT", GLOBAL_SYNC)) == 1
    assert {c["name"] for c in fake_discord.global_commands} == {"quote", "figures", "related"}

    await start_and_stop(fake_discord, db, ("cogs.lookup",))
    assert len(fake_discord.requests_to("PUT", GLOBAL_SYNC)) == 1, "an unchanged restart syncs nothing"

    await start_and_stop(fake_discord, db, ("cogs.lookup", "cogs.moderation"))
    assert len(fake_discord.requests_to("PUT", GLOBAL_SYNC)) == 2, "a new command is synced"
    assert "marginalia" in {c["name"] for c in fake_discord.global_commands}


async def test_a_development_guild_gets_its_commands_instantly(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    guild = fake_discord.add_guild()
    await start_and_stop(fake_discord, tmp_path / "dev.sqlite3", ("cogs.lookup",), DEV_GUILD_ID=str(guild.id))
    assert len(fake_discord.requests_to("PUT", GUILD_SYNC)) == 1
    assert fake_discord.requests_to("PUT", GLOBAL_SYNC) == []
    assert fake_discord.find_command("quote", guild) is not None
