"""The README's moderator guide, followed step by step, ends with the newest essay posted: in its order and reversed.

The real bot with its real background loops (nothing driven by hand) against the local fake Discord,
the blog's feed served on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.client import Marginalia, create_bot
from bot.config import load_settings
from tests.fakediscord import FakeDiscord
from tests.fakediscord.state import Channel, Guild, Member
from tests.fetch_server import FetchServer, Route
from tests.moderation_data import ESSAYS, RSS, rss_feed, serve_blog

pytestmark = pytest.mark.e2e

MANAGE_GUILD = 1 << 5
NEWEST = ESSAYS[-1].title


@pytest.fixture
async def feeds() -> AsyncIterator[FetchServer]:
    async with FetchServer() as server:
        serve_blog(server)
        yield server


async def run_bot(fake: FakeDiscord, tmp_path: Path) -> Marginalia:
    settings = load_settings({"DB_PATH": str(tmp_path / "db.sqlite3"), "ALLOW_PRIVATE_FEEDS": "true"}, env_file=None)
    bot = create_bot(settings, extensions=("cogs.moderation", "cogs.publisher"))
    await fake.connect(bot)
    return bot


async def say(fake: FakeDiscord, channel: Channel, member: Member, subcommand: str, options: dict[str, object]) -> str:
    interaction = await fake.invoke_slash("marginalia", options, channel=channel, subcommand=subcommand, member=member)
    return (await interaction.wait_original(timeout=10.0)).content


async def posted_cards(fake: FakeDiscord, channel: Channel, *, wait_for: int, timeout: float = 15.0) -> list[str]:  # noqa: ASYNC109
    """The titles of the essay cards in ``channel``, once there are ``wait_for`` of them (or the time is up)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        titles = [e.get("title", "") for m in fake.bot_messages(channel) for e in m.embeds if "fields" in e]
        if len(titles) >= wait_for or asyncio.get_running_loop().time() > deadline:
            return titles
        await asyncio.sleep(0.05)


def setup_server(fake: FakeDiscord) -> tuple[Guild, Channel, Channel, Member]:
    guild = fake.add_guild("Quay Readers")
    return (
        guild,
        fake.add_channel(guild, "essays"),
        fake.add_channel(guild, "mod-log"),
        fake.add_member(guild, "moderator", permissions=MANAGE_GUILD),
    )


@pytest.mark.parametrize("order", ["readme", "reversed"])
async def test_the_moderator_guide_in_any_order_ends_with_the_newest_essay_posted(
    fake_discord: FakeDiscord, feeds: FetchServer, tmp_path: Path, order: str
) -> None:
    fake = fake_discord
    _, essays, modlog, moderator = setup_server(fake)
    bot = await run_bot(fake, tmp_path)
    try:
        assert "reports problems" in await say(fake, essays, moderator, "modlog", {"channel": modlog})
        if order == "readme":
            added = await say(fake, essays, moderator, "feeds add", {"url": feeds.url("/feed.xml")})
            assert "No channel takes its essays yet" in added and "/marginalia destinations set" in added
            # The feed is read at once; what it waits for is told in the mod-log.
            await fake.wait_until(lambda: fake.bot_messages(modlog), 10.0, "the mod-log note of the first poll")
            assert "No channel takes this feed yet" in fake.bot_messages(modlog)[-1].content
            assert await posted_cards(fake, essays, wait_for=1, timeout=0.5) == []
            channel_set = await say(fake, essays, moderator, "destinations set", {"channel": essays})
            assert f"Posting the newest essay of Notes from the Quay in <#{essays.id}> now" in channel_set
        else:
            channel_set = await say(fake, essays, moderator, "destinations set", {"channel": essays})
            assert "No feed yet: add one with /marginalia feeds add" in channel_set
            added = await say(fake, essays, moderator, "feeds add", {"url": feeds.url("/feed.xml")})
            assert f"The newest essay will be posted in <#{essays.id}> within a minute" in added
        assert await posted_cards(fake, essays, wait_for=1) == [NEWEST]
        # Once: nothing more is posted on the next polls, and no older essay floods in.
        await asyncio.sleep(0.3)
        assert await posted_cards(fake, essays, wait_for=2, timeout=0.3) == [NEWEST]
    finally:
        await fake.disconnect(bot)


async def test_feed_names_and_titles_in_the_mod_log_are_shown_literally(
    fake_discord: FakeDiscord, feeds: FetchServer, tmp_path: Path
) -> None:
    fake = fake_discord
    _, essays, modlog, moderator = setup_server(fake)
    hostile = "**Loud** _Blog_ @everyone > ||spoiler||"
    feeds.route("/loud.xml", Route(body=rss_feed(feeds, title=hostile), headers=RSS))
    bot = await run_bot(fake, tmp_path)
    try:
        await say(fake, essays, moderator, "modlog", {"channel": modlog})
        added = await say(fake, essays, moderator, "feeds add", {"url": feeds.url("/loud.xml")})
        shown = "\\*\\*Loud\\*\\* \\_Blog\\_ @\u200beveryone > \\|\\|spoiler\\|\\|"
        assert f"Now following **{shown}**" in added
        await fake.wait_until(lambda: fake.bot_messages(modlog), 10.0, "the mod-log note of the first poll")
        note = fake.bot_messages(modlog)[-1]
        assert (
            "Connected \\*\\*Loud\\*\\* \\_Blog\\_ @\u200beveryone > \\|\\|spoiler\\|\\|: found 3 essays"
            in note.content
        )
        assert not fake.pings(note).any
    finally:
        await fake.disconnect(bot)
