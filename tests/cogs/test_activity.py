"""/activity and the weekly digest end to end: the real bot and discord.py against the local fake Discord.

Two servers set up through /marginalia as moderators would: server one follows the Quay blog, server two
follows the same blog and the Upland blog, so the Quay blog's newest essay has threads in both. Members
write, edit and delete messages in those threads; each server's /activity must show its own and only
its own. Then the digest, and the one-time read of old threads' history after an upgrade.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import matplotlib.image
import pytest
import pytest_asyncio

from bot.client import Marginalia, create_bot
from bot.config import load_settings
from bot.store import Store, open_store
from cogs.activity import ActivityCog
from cogs.publisher import Publisher
from tests.activity_data import essay_with_sections
from tests.fakediscord import FakeDiscord
from tests.fakediscord.state import Channel, Guild, Member, Message
from tests.fetch_server import FetchServer
from tests.moderation_data import ESSAYS, SECOND_ESSAYS, serve_blog, serve_second_blog

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

MANAGE_GUILD = 1 << 5
EPHEMERAL = 1 << 6
DEFERRED = 5
TRAM = ESSAYS[-1]  # the Quay blog's newest: posted in both servers ("Late again", "What to change")


@dataclass
class Server:
    guild: Guild
    essays: Channel
    modlog: Channel
    digest: Channel
    moderator: Member
    reader: Member
    other: Member

    def threads(self, fake: FakeDiscord) -> list[Channel]:
        """The section threads of the Quay blog's newest essay in this server, in section order."""
        found = [t for t in fake.threads(self.essays) if t.name.startswith("§")]
        names = [section for section, _ in TRAM.sections]
        return sorted((t for t in found if any(n in t.name for n in names)), key=lambda t: t.name)


@dataclass
class World:
    fake: FakeDiscord
    bot: Marginalia
    one: Server
    two: Server

    @property
    def store(self) -> Store:
        return self.bot.store

    async def activity(self, channel: Channel, member: Member, options: dict[str, Any] | None = None) -> Message:
        interaction = await self.fake.invoke_slash("activity", options or {}, channel=channel, member=member)
        response = await interaction.wait_response()
        assert response["type"] == DEFERRED, "the chart is drawn after the defer, never before"
        message = await interaction.wait_original(timeout=10.0)
        assert message.flags & EPHEMERAL
        assert not self.fake.pings(message).any
        return message


def activity_cog(bot: Marginalia) -> ActivityCog:
    return cast(ActivityCog, bot.get_cog("Activity"))


def add_server(fake: FakeDiscord, name: str) -> Server:
    guild = fake.add_guild(name)
    return Server(
        guild,
        fake.add_channel(guild, "essays"),
        fake.add_channel(guild, "mod-log"),
        fake.add_channel(guild, "digest"),
        fake.add_member(guild, "moderator", permissions=MANAGE_GUILD),
        fake.default_member(guild),
        fake.add_member(guild, "other"),
    )


async def moderate(fake: FakeDiscord, server: Server, subcommand: str, options: dict[str, Any]) -> str:
    interaction = await fake.invoke_slash(
        "marginalia", options, channel=server.essays, subcommand=subcommand, member=server.moderator
    )
    return (await interaction.wait_original(timeout=10.0)).content


async def counted(store: Store, essay_id: int, guild_id: int, expected: dict[int, int]) -> None:
    deadline = asyncio.get_running_loop().time() + 5.0
    while await store.section_activity(essay_id, guild_id=guild_id) != expected:
        if asyncio.get_running_loop().time() > deadline:
            found = await store.section_activity(essay_id, guild_id=guild_id)
            raise AssertionError(f"counted {found}, expected {expected}")
        await asyncio.sleep(0.02)


async def tram_id(store: Store) -> int:
    [row] = [r for r in await store.list_essays(limit=20) if r.essay.title == TRAM.title]
    return row.id


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    db = tmp_path_factory.mktemp("activity") / "db.sqlite3"
    feeds = FetchServer()
    await feeds.start()
    serve_blog(feeds)
    second_feed = serve_second_blog(feeds)
    async with FakeDiscord.start() as fake:
        one, two = add_server(fake, "Quay Readers"), add_server(fake, "Upland Readers")
        settings = load_settings({"DB_PATH": str(db), "ALLOW_PRIVATE_FEEDS": "true"}, env_file=None)
        bot = create_bot(settings, extensions=("cogs.publisher", "cogs.moderation", "cogs.activity"))
        await fake.connect(bot)
        publisher = cast(Publisher, bot.get_cog("Publisher"))
        publisher.poll_every = 3600.0  # the test drives polling itself
        activity_cog(bot).digest_tick = 3600.0  # and the digest
        try:
            for server, urls in ((one, [feeds.url("/feed.xml")]), (two, [feeds.url("/feed.xml"), second_feed])):
                await moderate(fake, server, "modlog", {"channel": server.modlog})
                for url in urls:
                    await moderate(fake, server, "feeds add", {"url": url})
                await moderate(fake, server, "destinations set", {"channel": server.essays})
            await publisher.poll_once()
            await publisher.drain()
            world = World(fake, bot, one, two)
            await discuss(world)
            yield world
        finally:
            await fake.disconnect(bot)
            await feeds.close()
    fake.assert_clean()


async def discuss(world: World) -> None:
    """Server one: §1 gets three messages, one of them then deleted, and §2 one that is edited.
    Server two: §2 of the same essay gets five messages from two people."""
    fake, one, two = world.fake, world.one, world.two
    late, change = one.threads(fake)
    fake.post_message(late, "The number 4 again.", author=one.reader)
    fake.post_message(late, "Same on the 6.", author=one.other)
    regret = fake.post_message(late, "Wrong thread, sorry", author=one.reader)
    edited = fake.post_message(change, "Print the real times!", author=one.other)
    essay_id = await tram_id(world.store)
    await counted(world.store, essay_id, one.guild.id, {1: 3, 2: 1})
    fake.user_deletes(regret)
    fake.user_edits(edited, "Print the real average times!")
    for n in range(5):
        fake.post_message(two.threads(fake)[1], f"Upland view {n}", author=two.reader if n % 2 else two.other)
    await counted(world.store, essay_id, one.guild.id, {1: 2, 2: 1})
    await counted(world.store, essay_id, two.guild.id, {2: 5})


@pytest.fixture(autouse=True)
def no_new_failures(world: World) -> Iterator[None]:
    before = len(world.fake.failures)
    yield
    assert world.fake.failures[before:] == []


def chart_of(message: Message) -> tuple[Any, str]:
    """The uploaded PNG, opened, and its alt text."""
    [attachment] = message.attachments
    assert attachment.filename == "activity.png" and attachment.data.startswith(b"\x89PNG\r\n\x1a\n")
    return matplotlib.image.imread(io.BytesIO(attachment.data), format="png"), attachment.description or ""


def text_of(message: Message) -> str:
    return " ".join(f"{e.get('title')} {e.get('description')}" for e in message.embeds) + message.content


async def test_activity_in_a_section_thread_charts_that_essay_as_members_wrote_it(world: World) -> None:
    late, change = world.one.threads(world.fake)
    message = await world.activity(change, world.one.reader)
    [embed] = message.embeds
    assert embed["title"] == TRAM.title and embed["image"]["url"] == "attachment://activity.png"
    image, alt = chart_of(message)
    assert image.shape[:2] == (300, 800)  # two sections: the smallest chart, 800 px wide
    assert (image[..., :3] < 0.5).any(), "bars and labels are drawn"
    # Edits are not messages, a deleted message is gone, the bot's own section text never counts.
    assert "§1 Late again: 2 messages from 2 people." in alt
    assert "§2 What to change: 1 message from 1 person." in alt
    assert alt.endswith("Most discussed: §1 Late again.")
    description = embed["description"]
    guild = world.one.guild.id
    late_url = f"https://discord.com/channels/{guild}/{late.id}"
    assert f"Most discussed: **§1 Late again**, 2 messages from 2 people · [thread]({late_url})" in description
    assert f"[thread](https://discord.com/channels/{guild}/{change.id})" in description
    assert "In all: 3 messages from 2 people." in description


async def test_each_server_sees_only_its_own_discussion(world: World) -> None:
    # Server one, outside a thread: its newest discussed essay, without server two's five messages.
    ours = await world.activity(world.one.essays, world.one.reader)
    _, alt = chart_of(ours)
    assert "§2 What to change: 1 message from 1 person." in alt
    assert all(str(world.two.guild.id) not in text_of(ours) for _ in (0,))
    # The control: server two sees its own counts of the same essay.
    theirs = await world.activity(world.two.threads(world.fake)[0], world.two.reader)
    _, alt = chart_of(theirs)
    assert "§1 Late again: no messages." in alt and "§2 What to change: 5 messages from 2 people." in alt
    assert str(world.one.guild.id) not in text_of(theirs)
    # Server two's own blog cannot be named from server one, nor offered there.
    quarry = next(r for r in await world.store.list_essays(limit=20) if r.essay.title == SECOND_ESSAYS[-1].title)
    refused = await world.activity(world.one.essays, world.one.reader, {"essay": quarry.essay.key})
    assert "No essay matches" in refused.content and not refused.attachments
    offered = await world.fake.autocomplete("activity", "essay", {"essay": ""}, channel=world.one.essays)
    assert offered and not any(e.title in c["name"] for e in SECOND_ESSAYS for c in offered)
    assert any(c["name"].startswith(TRAM.title) for c in offered)


async def test_an_essay_without_discussion_is_explained_not_drawn(world: World) -> None:
    older = next(r for r in await world.store.list_essays(limit=20) if r.essay.title == ESSAYS[0].title)
    answer = await world.activity(world.one.essays, world.one.reader, {"essay": older.essay.key})
    assert "has no discussion threads in this server" in answer.content and not answer.attachments


async def test_share_posts_the_chart_in_the_channel_once(world: World) -> None:
    message = await world.activity(world.one.essays, world.one.reader)
    [share] = [c for row in message.components for c in row["components"] if c["custom_id"].startswith("activity:")]
    stranger = await world.fake.click(message, share["custom_id"], member=world.one.other)
    await stranger.wait_response()
    assert stranger.original is not None and "Only the person who ran this command" in stranger.original.content
    click = await world.fake.click(message, share["custom_id"], member=world.one.reader)
    await click.wait_response()
    public = click.original
    assert public is not None and not public.flags & EPHEMERAL
    assert public.content == f"Shared by <@{world.one.reader.id}>" and not world.fake.pings(public).any
    image, alt = chart_of(public)
    assert image.shape[1] == 800 and "§1 Late again" in alt

    def disabled() -> bool:
        return any(c.get("disabled") for row in message.components for c in row["components"])

    await world.fake.wait_until(disabled, what="Share disabled after sharing")


async def test_the_digest_posts_the_weeks_essays_once_in_the_chosen_channel(world: World) -> None:
    fake, one = world.fake, world.one
    refused = await world.fake.invoke_slash(
        "marginalia", {"channel": one.digest}, channel=one.essays, subcommand="digest", member=one.reader
    )
    assert "Manage Server" in (await refused.wait_original()).content
    answer = await moderate(fake, one, "digest", {"channel": one.digest})
    assert "Every Monday at 09:00 UTC" in answer and f"<#{one.digest.id}>" in answer
    planned = await moderate(fake, one, "digest", {})  # without a channel: what is planned
    assert f"The weekly digest goes to <#{one.digest.id}>" in planned
    other_server = await moderate(fake, one, "digest", {"channel": world.two.digest})
    assert "Choose a channel of this server" in other_server
    # The Monday after this week (the week the essays were posted in), at 09:00 UTC.
    now = datetime.now(UTC)
    monday = (now - timedelta(days=now.weekday())).replace(hour=9, minute=1, second=0, microsecond=0)
    cog = activity_cog(world.bot)
    cog.clock = lambda: monday + timedelta(days=7)
    [outcome] = await cog.run_digests()
    assert outcome.state == "done"
    [digest] = fake.bot_messages(one.digest)
    text = text_of(digest)
    assert TRAM.title in text and "most discussed: [§1 Late again]" in text
    assert all(e.title not in text for e in SECOND_ESSAYS) and "Upland view" not in text
    assert not fake.pings(digest).any
    assert await cog.run_digests() == []
    assert len(fake.bot_messages(one.digest)) == 1, "once a week"
    assert fake.bot_messages(world.two.digest) == [], "server two never asked for one"
    assert "is off" in await moderate(fake, one, "digest", {"schedule": "off"})


# --- the upgrade: threads older than per-message counting -----------------------------------------


# The state migration 0009 leaves an older database in (its SQL is checked on a real old database in
# tests/store/test_activity_migration.py): no message kept one by one, every known section thread queued
# to have its history read once.
AS_UPGRADED = """
DELETE FROM thread_messages;
INSERT OR REPLACE INTO thread_backfill(thread_id, done_at)
    SELECT DISTINCT thread_id, NULL FROM publication_steps
    WHERE thread_id IS NOT NULL AND state = 'done' AND action IN ('thread', 'forum_post');
"""


@pytest.mark.asyncio(loop_scope="function")
async def test_after_the_upgrade_old_threads_are_read_once(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    fake = fake_discord
    guild = fake.add_guild()
    channel = fake.add_channel(guild, "essays")
    reader, other = fake.default_member(guild), fake.add_member(guild, "other")
    settings = load_settings({"DB_PATH": str(tmp_path / "db.sqlite3")}, env_file=None)
    extensions = ("cogs.publisher", "cogs.activity")

    bot = create_bot(settings, extensions=extensions)
    await fake.connect(bot)
    store = bot.store
    essay, analysis = essay_with_sections(
        "levy", "The Harbour Levy", ["Who pays", "A better way"], published=datetime.now(UTC)
    )
    saved = await store.save_essay(essay, analysis)
    destination = await store.set_destination(guild_id=guild.id, channel_id=channel.id, kind="text")
    await store.queue_publication(saved.essay_id, destination.id, 1)
    await cast(Publisher, bot.get_cog("Publisher")).drain()
    first, second = fake.threads(channel)
    fake.post_message(first, "one", author=reader)
    await counted(store, saved.essay_id, guild.id, {1: 1})
    await fake.disconnect(bot)

    # Written while the bot was away: never seen as events.
    fake.post_message(first, "two", author=other)
    fake.post_message(second, "three", author=reader)
    for n in range(120):  # more than a page of history
        fake.post_message(second, f"long thread {n}", author=other if n % 3 else reader)
    # The database as the upgrade to per-message counting leaves it.
    async with await open_store(settings.db_path) as old:
        await old.connection.executescript(AS_UPGRADED)

    history = len(fake.requests_to("GET", r"/channels/\d+/messages$"))
    fake.rate_limit("GET", r"/channels/\d+/messages$", retry_after=0.2)  # discord.py waits it out
    bot = create_bot(settings, extensions=extensions)
    await fake.connect(bot)
    try:
        await asyncio.wait_for(activity_cog(bot).backfill_finished.wait(), 10.0)  # run once ready
        await counted(bot.store, saved.essay_id, guild.id, {1: 2, 2: 121})
        assert await bot.store.pending_backfills() == []
        stats = await bot.store.section_stats(saved.essay_id, guild_id=guild.id)
        assert [s.participants for s in stats] == [2, 2]
        requests = fake.requests_to("GET", r"/channels/\d+/messages$")[history:]
        assert [r.status for r in requests].count(429) == 1
        reads = [r for r in requests if r.status == 200]
        assert {r.path for r in reads} == {f"/channels/{first.id}/messages", f"/channels/{second.id}/messages"}
        assert len(reads) == 3, "one page of history for the short thread, two for the long one"
        before = len(fake.requests_to("GET", r"/channels/\d+/messages$"))
        assert await activity_cog(bot).backfill_threads() == 0
        assert len(fake.requests_to("GET", r"/channels/\d+/messages$")) == before, "read once"
        # A thread deleted with its messages: they no longer count.
        fake.delete_channel(first)
        await counted(bot.store, saved.essay_id, guild.id, {2: 121})
    finally:
        await fake.disconnect(bot)
    fake.assert_clean()


@pytest.mark.asyncio(loop_scope="function")
async def test_the_chart_renderer_loads_after_the_queued_essays_are_posted(
    fake_discord: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loading matplotlib holds the GIL for half a second: it must not slow the publishing a start resumes."""
    fake = fake_discord
    guild = fake.add_guild()
    channel = fake.add_channel(guild, "essays")
    settings = load_settings({"DB_PATH": str(tmp_path / "db.sqlite3")}, env_file=None)
    async with await open_store(settings.db_path) as store:
        essay, analysis = essay_with_sections(
            "levy", "The Harbour Levy", ["Who pays", "A better way", "What it costs"], published=datetime.now(UTC)
        )
        saved = await store.save_essay(essay, analysis)
        destination = await store.set_destination(guild_id=guild.id, channel_id=channel.id, kind="text")
        await store.queue_publication(saved.essay_id, destination.id, 1)

    def writes() -> int:
        return len(fake.requests_to("POST", r"/channels/\d+/(messages|threads)"))

    at_warm_up: list[int] = []
    # The extension is loaded as a module of its own: the renderer it calls is patched where it lives.
    monkeypatch.setattr("bot.activity_chart.warm_up", lambda: at_warm_up.append(writes()))
    bot = create_bot(settings, extensions=("cogs.publisher", "cogs.activity"))
    await fake.connect(bot)
    try:
        await asyncio.wait_for(activity_cog(bot).backfill_finished.wait(), 10.0)  # after the warm-up
        assert (await bot.store.publication_counts())["pending"] == 0
        assert len(fake.threads(channel)) == 3
        assert at_warm_up == [writes()], "every write of the essay was made before the renderer loaded"
    finally:
        await fake.disconnect(bot)
