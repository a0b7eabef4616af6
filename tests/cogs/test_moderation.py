"""``/marginalia`` end to end: real discord.py against the local fake Discord, feeds on 127.0.0.1."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.client import Marginalia, create_bot
from bot.config import load_settings
from tests.fakediscord import FakeDiscord, rules
from tests.fakediscord.scenario import Interaction
from tests.fakediscord.state import Channel, Guild, Member, Message, snowflake
from tests.fetch_server import FetchServer
from tests.moderation_data import ESSAYS, LONE_ESSAY, serve_blog, serve_lone_essay

pytestmark = pytest.mark.e2e

MANAGE_GUILD = 1 << 5
COMMAND = "marginalia"


@dataclass
class World:
    fake: FakeDiscord
    bot: Marginalia
    server: FetchServer
    guild: Guild
    text: Channel
    forum: Channel
    modlog: Channel
    moderator: Member
    reader: Member

    async def run(
        self,
        subcommand: str,
        options: dict[str, Any] | None = None,
        *,
        member: Member | None = None,
        channel: Channel | None = None,
    ) -> Interaction:
        return await self.fake.invoke_slash(
            COMMAND,
            options or {},
            channel=channel or self.text,
            subcommand=subcommand,
            member=member or self.moderator,
        )

    async def answer(
        self, subcommand: str, options: dict[str, Any] | None = None, *, member: Member | None = None
    ) -> Message:
        """Run a subcommand and return its (ephemeral) answer once it is final."""
        interaction = await self.run(subcommand, options, member=member)
        message = await interaction.wait_original()
        assert message.ephemeral, "moderator answers are only for the asker"
        return message


async def make_world(fake: FakeDiscord, tmp_path: Path, *, allow_private: bool, extensions: tuple[str, ...]) -> World:
    guild = fake.add_guild()
    text = fake.add_channel(guild, "essays")
    forum = fake.add_channel(guild, "essay-forum", kind="forum", tags=["Politics", "Law", "Town"])
    modlog = fake.add_channel(guild, "mod-log")
    moderator = fake.add_member(guild, "moderator", permissions=MANAGE_GUILD)
    reader = fake.default_member(guild)
    settings = load_settings(
        {"DB_PATH": str(tmp_path / "db.sqlite3"), "ALLOW_PRIVATE_FEEDS": "true" if allow_private else "false"},
        env_file=None,
    )
    bot = create_bot(settings, extensions=extensions)
    await fake.connect(bot)
    server = FetchServer()
    await server.start()
    serve_blog(server)
    return World(fake, bot, server, guild, text, forum, modlog, moderator, reader)


@pytest.fixture
async def world(fake_discord: FakeDiscord, tmp_path: Path) -> AsyncIterator[World]:
    built = await make_world(fake_discord, tmp_path, allow_private=True, extensions=("cogs.moderation",))
    yield built
    await fake_discord.disconnect(built.bot)
    await built.server.close()


# --- permissions --------------------------------------------------------------------------------


async def test_the_group_is_for_managers_and_guild_only(world: World) -> None:
    command = world.fake.find_command(COMMAND, world.guild)
    assert int(command["default_member_permissions"]) == MANAGE_GUILD
    assert command.get("dm_permission") is False or command.get("contexts") == [0]
    names = {option["name"] for option in command["options"]}
    assert {"feeds", "destinations", "modlog", "post", "backfill", "repost", "preview", "status"} <= names


@pytest.mark.parametrize(
    ("subcommand", "options"),
    [
        ("feeds add", {"url": "http://127.0.0.1:9/feed"}),
        ("destinations list", {}),
        ("status", {}),
    ],
)
async def test_a_member_without_manage_server_is_refused_and_nothing_changes(
    world: World, subcommand: str, options: dict[str, Any]
) -> None:
    # The fake lets anyone invoke the command, as a server that showed it to everyone would.
    message = await world.answer(subcommand, options, member=world.reader)
    assert "Manage Server" in message.content
    assert await world.bot.store.list_feeds() == []
    assert world.server.requests == []


async def test_administrators_are_moderators_too(world: World) -> None:
    admin = world.fake.add_member(world.guild, "admin", permissions=rules.ADMINISTRATOR)
    message = await world.answer("status", member=admin)
    assert message.content.startswith("Queue: 0 pending")


# --- feeds --------------------------------------------------------------------------------------


async def test_feeds_add_list_pause_resume_remove(world: World) -> None:
    url = world.server.url("/feed.xml")
    interaction = await world.run("feeds add", {"url": url})
    assert (await interaction.wait_response())["type"] == 5  # deferred before the fetch
    added = await interaction.wait_original()
    assert "Now following **Notes from the Quay**" in added.content
    [feed] = await world.bot.store.list_feeds(guild_id=world.guild.id)

    listed = await world.answer("feeds list")
    assert f"#{feed.id} Notes from the Quay (active)" in listed.content
    assert "last poll never" in listed.content

    choices = await world.fake.autocomplete(
        COMMAND, "feed", {"feed": "quay"}, channel=world.text, subcommand="feeds pause", member=world.moderator
    )
    assert choices == [{"name": f"#{feed.id} Notes from the Quay", "value": str(feed.id)}]

    paused = await world.answer("feeds pause", {"feed": str(feed.id)})
    assert "Paused" in paused.content
    assert (await world.bot.store.get_feed(feed.id)).paused  # type: ignore[union-attr]
    await world.answer("feeds resume", {"feed": url})
    assert not (await world.bot.store.get_feed(feed.id)).paused  # type: ignore[union-attr]

    removed = await world.answer("feeds remove", {"feed": str(feed.id)})
    assert "no longer follows" in removed.content
    assert await world.bot.store.list_feeds(guild_id=world.guild.id) == []


async def test_feeds_add_of_a_page_or_a_missing_address_stores_nothing(world: World) -> None:
    page = await world.answer("feeds add", {"url": world.server.url("/about")})
    assert "not a feed" in page.content and "/feed" in page.content
    missing = await world.answer("feeds add", {"url": world.server.url("/gone.xml")})
    assert "not found (404)" in missing.content
    assert await world.bot.store.list_feeds() == []


async def test_feeds_remove_of_an_unknown_feed_says_so(world: World) -> None:
    message = await world.answer("feeds remove", {"feed": "42"})
    assert "No feed this server follows matches `42`" in message.content


# --- destinations -------------------------------------------------------------------------------


async def test_destination_on_a_forum_with_tags_role_and_feed_filter(world: World) -> None:
    await world.answer("feeds add", {"url": world.server.url("/feed.xml")})
    [feed] = await world.bot.store.list_feeds()
    role = world.fake.add_role(world.guild, "essay-readers", mentionable=True)
    message = await world.answer(
        "destinations set",
        {
            "channel": world.forum,
            "archive": 1440,
            "slowmode": 10,
            "tags": "law, town",
            "role": role,
            "feed": str(feed.id),
        },
    )
    assert message.content.startswith(f"Essays will be posted here: <#{world.forum.id}>: forum, archive 1 day")
    assert "⚠️" not in message.content
    row = await world.bot.store.get_destination_for_channel(world.guild.id, world.forum.id)
    assert row is not None
    assert row.kind == "forum" and row.archive_minutes == 1440 and row.slowmode == 10
    assert row.forum_tags == (world.fake.tag_id(world.forum, "Law"), world.fake.tag_id(world.forum, "Town"))
    assert row.mention_role_id == role.id and row.feed_id == feed.id

    listed = await world.answer("destinations list")
    assert f"<#{world.forum.id}>: forum" in listed.content and f"mentions <@&{role.id}>" in listed.content


async def test_destination_kind_comes_from_the_channel(world: World) -> None:
    news = world.fake.add_channel(world.guild, "announcements", kind="announcement")
    await world.answer("destinations set", {"channel": news})
    row = await world.bot.store.get_destination_for_channel(world.guild.id, news.id)
    assert row is not None and row.kind == "announcement"


async def test_bad_destination_options_get_a_clear_reply_and_store_nothing(world: World) -> None:
    unknown_tag = await world.answer("destinations set", {"channel": world.forum, "tags": "Law, Sport"})
    assert "This forum has no tag Sport" in unknown_tag.content and "Politics, Law, Town" in unknown_tag.content
    tags_on_text = await world.answer("destinations set", {"channel": world.text, "tags": "Law"})
    assert "only apply to forum channels" in tags_on_text.content
    everyone = world.guild.roles[world.guild.id]
    ping_all = await world.answer("destinations set", {"channel": world.text, "role": everyone})
    assert "never mentions @everyone" in ping_all.content
    bad_feed = await world.answer("destinations set", {"channel": world.text, "feed": "https://x.example/feed"})
    assert "No feed this server follows" in bad_feed.content
    assert await world.bot.store.list_destinations() == []


async def test_missing_bot_permissions_are_named(world: World) -> None:
    world.fake.revoke_bot_permission(world.guild, rules.CREATE_PUBLIC_THREADS | rules.EMBED_LINKS, world.text)
    message = await world.answer("destinations set", {"channel": world.text})
    assert "⚠️ The bot lacks Embed Links, Create Public Threads" in message.content
    # Saved anyway: the moderator may grant the permissions next.
    assert await world.bot.store.get_destination_for_channel(world.guild.id, world.text.id) is not None


async def test_destinations_remove_and_resume(world: World) -> None:
    await world.answer("destinations set", {"channel": world.text})
    row = await world.bot.store.get_destination_for_channel(world.guild.id, world.text.id)
    assert row is not None
    await world.bot.store.stop_destination(row.id, "Missing Permissions")
    world.bot.publications_queued.clear()
    resumed = await world.answer("destinations resume", {"channel": world.text})
    assert "Resumed" in resumed.content
    assert world.bot.publications_queued.is_set()
    after = await world.bot.store.get_destination_for_channel(world.guild.id, world.text.id)
    assert after is not None and after.stopped_reason is None
    removed = await world.answer("destinations remove", {"channel": world.text})
    assert "no longer posted" in removed.content
    assert await world.bot.store.list_destinations() == []
    again = await world.answer("destinations remove", {"channel": world.text})
    assert "not a destination" in again.content


# --- mod-log and status -------------------------------------------------------------------------


async def test_modlog_and_status(world: World) -> None:
    message = await world.answer("modlog", {"channel": world.modlog})
    assert f"<#{world.modlog.id}>" in message.content
    assert await world.bot.store.get_modlog(world.guild.id) == world.modlog.id
    assert await world.bot.tell_moderators(world.guild.id, "a test note")
    assert world.fake.bot_messages(world.modlog)[-1].content == "a test note"

    await world.answer("feeds add", {"url": world.server.url("/feed.xml")})
    status = await world.answer("status")
    assert "Queue: 0 pending, 0 posted, 0 stopped." in status.content
    assert f"Mod-log: <#{world.modlog.id}>." in status.content
    assert "Notes from the Quay: last poll never" in status.content


# --- posting ------------------------------------------------------------------------------------


async def test_post_by_url_fetches_stores_and_queues(world: World) -> None:
    url = serve_lone_essay(world.server)
    no_destination = await world.answer("post", {"essay": url})
    assert "no destination yet" in no_destination.content
    assert await world.bot.store.essay_count() == 0

    await world.answer("destinations set", {"channel": world.text})
    world.bot.publications_queued.clear()
    interaction = await world.run("post", {"essay": url})
    assert (await interaction.wait_response())["type"] == 5
    message = await interaction.wait_original()
    assert f"**{LONE_ESSAY.title}** (fetched and stored first) is queued for 1 destination(s)" in message.content
    assert world.bot.publications_queued.is_set()
    assert len(await world.bot.store.pending_publications(guild_id=world.guild.id)) == 1


async def test_backfill_queues_the_newest_essays_not_posted_here(world: World) -> None:
    await world.answer("feeds add", {"url": world.server.url("/feed.xml")})
    [feed] = await world.bot.store.list_feeds()
    await world.answer("destinations set", {"channel": world.text})
    message = await world.answer("backfill", {"feed": str(feed.id), "count": 2})
    # The first poll posts the newest essay by itself; the backfill queues the two before it, oldest first.
    assert f"Queued 2 essay(s) of **Notes from the Quay**, oldest first:\n• {ESSAYS[0].title}" in message.content
    assert len(await world.bot.store.pending_publications(guild_id=world.guild.id)) == 3


async def test_repost_asks_for_confirmation(world: World) -> None:
    await world.answer("destinations set", {"channel": world.text})
    await world.answer("post", {"essay": serve_lone_essay(world.server)})
    [publication] = await world.bot.store.pending_publications(guild_id=world.guild.id)
    await world.bot.store.finish_publication(publication.id)
    [row] = await world.bot.store.list_essays()

    cancelled = await world.answer("repost", {"essay": row.essay.key})
    assert "Post **Ferry Fares" in cancelled.content
    click = await world.fake.click(cancelled, "marginalia:repost:cancel", member=world.moderator)
    await click.wait_response()
    assert await world.bot.store.pending_publications(guild_id=world.guild.id) == []

    asked = await world.answer("repost", {"essay": row.essay.key})
    confirm = await world.fake.click(asked, "marginalia:repost:confirm", member=world.moderator)
    await confirm.wait_response()
    edited = await world.fake.wait_until(
        lambda: world.fake.find_message(asked.id) if "queued" in world.fake.find_message(asked.id).content else None,  # type: ignore[union-attr]
        5.0,
        "the confirmation to be edited",
    )
    assert "is queued to be posted again" in edited.content and edited.components == []
    assert [p.id for p in await world.bot.store.pending_publications(guild_id=world.guild.id)] == [publication.id]


# --- private addresses --------------------------------------------------------------------------


async def test_private_feed_addresses_are_refused_when_not_allowed(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    world = await make_world(fake_discord, tmp_path, allow_private=False, extensions=("cogs.moderation",))
    try:
        message = await world.answer("feeds add", {"url": world.server.url("/feed.xml")})
        assert "refused: 127.0.0.1 is a loopback address" in message.content
        assert await world.bot.store.list_feeds() == []
        # Posting an essay by its address goes through the same guard.
        await world.answer("destinations set", {"channel": world.text})
        post = await world.answer("post", {"essay": serve_lone_essay(world.server)})
        assert "Could not read that essay" in post.content and "loopback address" in post.content
        assert await world.bot.store.essay_count() == 0
        assert world.server.requests == []
    finally:
        await fake_discord.disconnect(world.bot)
        await world.server.close()


async def test_a_voice_channel_is_refused_clearly(world: World) -> None:
    voice = Channel(id=snowflake(), guild_id=world.guild.id, type=2, name="lounge", position=9)
    # Discord's picker offers only the channel types the option declares; the bot checks anyway.
    world.guild.channels[voice.id] = voice
    message = await world.answer("destinations set", {"channel": voice})
    assert "That is a voice channel. Choose a text, announcement or forum channel." in message.content
    assert await world.bot.store.list_destinations() == []


# --- preview, then post -------------------------------------------------------------------------

_LINK = re.compile(r"https://discord\.com/channels/\d+/\d+(?:/\d+)?")


def without_links(embed: dict[str, Any]) -> dict[str, Any]:
    """An embed with its Discord jump links blanked: a preview cannot know the ids a post will get.

    ``flags: 0`` is left out too: discord.py's Embed adds it to the preview reply, and it means "none".
    """
    cleaned = {key: value for key, value in embed.items() if not (key == "flags" and value == 0)}
    return dict(json.loads(_LINK.sub("<link>", json.dumps(cleaned))))


@pytest.fixture
async def publishing_world(fake_discord: FakeDiscord, tmp_path: Path) -> AsyncIterator[World]:
    built = await make_world(
        fake_discord, tmp_path, allow_private=True, extensions=("cogs.moderation", "cogs.publisher")
    )
    yield built
    await fake_discord.disconnect(built.bot)
    await built.server.close()


@pytest.mark.parametrize("layout", ["text", "forum"])
async def test_a_preview_followed_by_a_post_produces_exactly_what_the_preview_showed(
    publishing_world: World, layout: str
) -> None:
    world = publishing_world
    channel = world.text if layout == "text" else world.forum
    await world.answer("destinations set", {"channel": channel})
    url = serve_lone_essay(world.server)

    interaction = await world.run("preview", {"essay": url, "channel": channel})
    assert (await interaction.wait_response())["type"] == 5
    preview = await interaction.wait_original()
    assert preview.ephemeral
    assert "nothing is posted" in preview.content
    shown_names = [line[2:] for line in preview.content.splitlines() if line.startswith("• ")]
    assert shown_names and all("§" in name for name in shown_names)
    [shown_card] = preview.embeds
    assert shown_card["title"] == LONE_ESSAY.title
    assert await world.bot.store.essay_count() == 0  # a preview stores nothing

    await world.answer("post", {"essay": url})
    publisher = world.bot.get_cog("Publisher")
    assert publisher is not None
    await publisher.drain()  # type: ignore[attr-defined]

    threads = world.fake.threads(channel)
    assert [thread.name for thread in threads] == shown_names
    if layout == "text":
        [card] = [m for m in world.fake.bot_messages(channel) if m.embeds]
        posted_card = card.embeds[0]
    else:
        starter = world.fake.starter_message(threads[0])
        assert starter is not None
        posted_card = starter.embeds[0]
    assert without_links(posted_card) == without_links(shown_card)
