"""The publisher end to end: the real discord.py against the fake Discord, feeds served on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from html import escape
from pathlib import Path
from typing import Any, cast

import pytest

from bot.client import Marginalia, create_bot
from bot.config import load_settings
from bot.essays.analysis import analyse
from bot.essays.model import Block, Essay
from bot.intake import store_essay
from bot.publishing.plan import Destination, Step, count_requests, thread_name
from bot.publishing.render import section_messages
from bot.store import Store, open_store
from cogs.publisher import Publisher
from tests.fakediscord import rules
from tests.fakediscord.scenario import FakeDiscord
from tests.fakediscord.state import Channel, Guild, Message
from tests.fetch_server import FetchServer, Route

ATOM = {"Content-Type": "application/atom+xml; charset=utf-8"}

# Six headed sections of original text. The third carries would-be pings in the essay itself.
SECTIONS = [
    (
        "The orchard on Kessel Hill",
        "The cooperative planted its first pear trees on Kessel Hill in a dry spring, and half of them died "
        "before the summer was out. The survivors are the oldest trees in the valley now.",
    ),
    (
        "Who paid for the saplings",
        "Members paid $12,000 between them for the saplings, roughly 38 percent of what the land had cost. "
        "“We planted for our grandchildren,” said Mara Voss, who kept the accounts for twenty years.",
    ),
    (
        "A notice on the barn door",
        "Someone pinned a notice to the barn door that read @everyone <@123> <@&456> come to the meeting, "
        "and for a week nobody could agree on who had written it or what the meeting was for.",
    ),
    (
        "The frost of the third year",
        "In the third year a late frost took every blossom on the lower slope. The members argued about "
        "moving the rows uphill, and in the end they moved 40 trees and left the rest to chance.",
    ),
    (
        "Selling at the market",
        "The first real harvest went to the Saturday market in town, where the pears sold out by noon. "
        "“Nobody believed us until they tasted them,” said Ilse Brandt, who drove the van.",
    ),
    (
        "What the hill keeps",
        "The cooperative dissolved long ago, but the hill keeps its trees, and every autumn somebody "
        "from the old families climbs it with a ladder and a basket to see what the season left.",
    ),
]
TITLE = "Pears on Kessel Hill"


def essay_blocks(sections: Sequence[tuple[str, str]]) -> tuple[Block, ...]:
    blocks: list[Block] = []
    for heading, text in sections:
        blocks.append(Block("heading", heading))
        blocks.append(Block("paragraph", text))
        blocks.append(Block("paragraph", f"More could be said about {heading.lower()}, and the members often did."))
    return tuple(blocks)


def make_essay(sections: Sequence[tuple[str, str]] = SECTIONS, *, key: str = "tag:orchard") -> Essay:
    return Essay(
        key=key,
        title=TITLE,
        blocks=essay_blocks(sections),
        url="https://orchard.example.org/pears",
        author="Jonas Feld",
        labels=("History", "Farming"),
        source="test",
    )


def essay_html(sections: Sequence[tuple[str, str]]) -> str:
    parts = []
    for heading, text in sections:
        parts.append(f"<h2>{escape(heading)}</h2><p>{escape(text)}</p>")
        parts.append(f"<p>More could be said about {escape(heading.lower())}, and the members often did.</p>")
    return "".join(parts)


def atom_feed(server: FetchServer, sections: Sequence[tuple[str, str]]) -> str:
    entry = (
        f"<entry><id>tag:orchard.example.org,2025:pears</id><title>{TITLE}</title>"
        f'<link rel="alternate" href="{server.url("/pears")}"/><author><name>Jonas Feld</name></author>'
        "<published>2025-05-20T09:00:00Z</published><updated>2025-05-20T09:00:00Z</updated>"
        f'<content type="html">{escape(essay_html(sections))}</content></entry>'
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Orchard Notes</title><id>tag:orchard.example.org,2025:feed</id>"
        f"<updated>2025-05-30T00:00:00Z</updated>{entry}</feed>"
    )


# --- harness ------------------------------------------------------------------------------------


class HardStop(BaseException):
    """Stands for the process dying: nothing after it runs, not even `except Exception` blocks."""


@asynccontextmanager
async def running(
    fake: FakeDiscord, db: Path, *, extensions: tuple[str, ...] = ("cogs.publisher",), **env: str
) -> AsyncIterator[Marginalia]:
    settings = load_settings({"DB_PATH": str(db), "ALLOW_PRIVATE_FEEDS": "true", **env}, env_file=None)
    bot = create_bot(settings, extensions=extensions)
    await fake.connect(bot)
    publisher = publisher_of(bot)
    publisher.retry_base = 0.01
    publisher.retry_cap = 0.05
    try:
        yield bot
    finally:
        await fake.disconnect(bot)


def publisher_of(bot: Marginalia) -> Publisher:
    # load_extension imports the module afresh, so isinstance() against this import would fail.
    cog = bot.get_cog("Publisher")
    assert cog is not None and type(cog).__name__ == "Publisher"
    return cast(Publisher, cog)


async def eventually(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 5.0) -> None:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


@pytest.fixture
async def world(fake_discord: FakeDiscord) -> dict[str, Any]:
    guild = fake_discord.add_guild("Orchard Club")
    return {
        "guild": guild,
        "text": fake_discord.add_channel(guild, "essays"),
        "news": fake_discord.add_channel(guild, "essay-news", kind="announcement"),
        "forum": fake_discord.add_channel(guild, "essay-forum", kind="forum", tags=("essay", "history", "other")),
        "modlog": fake_discord.add_channel(guild, "mod-log"),
    }


async def queue(store: Store, essay: Essay, guild: Guild, channel: Channel, kind: str, **options: Any) -> int:
    outcome = await store_essay(store, essay, max_sections=6)
    destination = await store.set_destination(
        guild_id=guild.id,
        channel_id=channel.id,
        kind=kind,  # type: ignore[arg-type]
        **options,
    )
    publication = await store.queue_publication(outcome.essay_id, destination.id, outcome.revision)
    assert publication is not None
    return publication


def expected_sections(essay: Essay) -> list[tuple[str, list[str]]]:
    analysis = analyse(essay, max_sections=6)
    return [(thread_name(s.index, s.title), section_messages(s)) for s in analysis.sections]


def assert_text_layout(fake: FakeDiscord, channel: Channel, essay: Essay) -> None:
    """Exactly one card, one anchor per section, one thread per section holding that section's text."""
    expected = expected_sections(essay)
    posted = fake.bot_messages(channel)
    cards = [m for m in posted if m.embeds]
    anchors = [m for m in posted if not m.embeds]
    assert len(cards) == 1
    assert len(anchors) == len(expected) == 6
    threads = fake.threads(channel)
    assert [t.name for t in threads] == [name for name, _ in expected]
    assert [t.id for t in threads] == [a.id for a in anchors]  # each thread starts from its anchor
    for thread, (_, chunks) in zip(threads, expected, strict=True):
        assert [m.content for m in fake.bot_messages(thread)] == chunks
    # The card links every anchor once the plan finished.
    description = cards[0].embeds[0]["description"]
    for anchor in anchors:
        assert f"/{channel.id}/{anchor.id})" in description


def all_bot_messages(fake: FakeDiscord) -> list[Message]:
    return [m for by_id in fake.store.values() for m in by_id.values() if m.author.id == fake.bot.id and not m.deleted]


def channel_requests(fake: FakeDiscord, channel: Channel, since: int = 0) -> list[Any]:
    """Write requests (POST/PATCH) aimed at a channel or at one of its threads."""
    ids = {channel.id, *(t.id for t in fake.threads(channel))}
    out = []
    for request in fake.requests[since:]:
        parts = request.path.split("/")
        if request.method in ("POST", "PATCH") and parts[1:2] == ["channels"] and int(parts[2]) in ids:
            out.append(request)
    return out


# --- layouts ------------------------------------------------------------------------------------


async def test_new_essay_from_a_feed_appears_in_every_layout(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    fake = fake_discord
    guild, text, news, forum, modlog = (world[k] for k in ("guild", "text", "news", "forum", "modlog"))
    role = fake.add_role(guild, "essay-readers", mentionable=True)
    tags = (fake.tag_id(forum, "essay"), fake.tag_id(forum, "history"))
    db = tmp_path / "db.sqlite3"
    async with FetchServer() as feeds:
        feeds.route("/feed", Route(body=atom_feed(feeds, SECTIONS), headers=ATOM, etag='"v1"'))
        setup = await open_store(db)
        feed = await setup.add_feed(feeds.url("/feed"), guild_id=guild.id)
        await setup.set_modlog(guild.id, modlog.id)
        await setup.set_destination(guild_id=guild.id, channel_id=text.id, kind="text", mention_role_id=role.id)
        await setup.set_destination(guild_id=guild.id, channel_id=news.id, kind="announcement", archive_minutes=1440)
        await setup.set_destination(guild_id=guild.id, channel_id=forum.id, kind="forum", forum_tags=tags, slowmode=30)
        await setup.close()

        # Nothing is called by hand: the poll loop polls at start and wakes the publish loop.
        async with running(fake, db) as bot:
            await eventually(
                lambda: _done_count(bot.store, 3), "three publications posted by the background loops", timeout=10
            )
            stored = await bot.store.get_essay_by_id(1)
            assert stored is not None and stored.essay.title == TITLE
            analysis = await bot.store.load_analysis(stored.id)
            essay = stored.essay

            # Text: card (pinging only the configured role), anchors, threads with the section text.
            assert_text_layout(fake, text, essay)
            card = next(m for m in fake.bot_messages(text) if m.embeds)
            created = fake.requests_to("POST", rf"^/channels/{text.id}/messages$")[0].json
            pinged = rules.would_ping(
                created["content"], created["allowed_mentions"], mentionable_roles=[role.id], can_mention_everyone=False
            )
            assert pinged == rules.Pings(roles=frozenset({role.id}))
            assert all(t.auto_archive_duration == 10080 for t in fake.threads(text))

            # Announcement: the same, with the card crossposted and the chosen archive duration.
            assert_text_layout(fake, news, essay)
            news_card = next(m for m in fake.bot_messages(news) if m.embeds)
            assert news_card.crossposted
            assert all(t.auto_archive_duration == 1440 for t in fake.threads(news))

            # Forum: one post per section with the tags and slowmode, each linking the others.
            posts = fake.threads(forum)
            assert len(posts) == 6
            for post, (_, chunks) in zip(posts, expected_sections(essay), strict=True):
                assert post.applied_tags == list(tags)
                assert post.rate_limit_per_user == 30
                starter = fake.starter_message(post)
                assert starter is not None and starter.content == chunks[0]
                links = starter.embeds[0]["description"]
                others = [p for p in posts if p.id != post.id]
                assert all(f"/{guild.id}/{other.id})" in links for other in others)
                assert starter.embeds[0]["url"] == feeds.url("/pears")

            # The moderators heard about the first poll.
            assert fake.bot_messages(modlog), "the first poll's report reached the mod-log"

            # No essay text pinged anyone; the card's role is the only mention anywhere.
            for message in all_bot_messages(fake):
                pings = fake.pings(message)
                if message.id == card.id:
                    continue
                assert not pings.any, f"message {message.id} would ping: {pings}"
            assert any("@\u200beveryone" in m.content for m in all_bot_messages(fake))

            # One request per planned step, per layout.
            for channel, kind, options in (
                (text, "text", {"mention_role_id": role.id}),
                (news, "announcement", {"archive_minutes": 1440}),
                (forum, "forum", {"forum_tags": tags, "slowmode": 30}),
            ):
                destination = Destination(guild.id, channel.id, kind, **options)  # type: ignore[arg-type]
                planned = count_requests(essay, analysis, destination)
                assert len(channel_requests(fake, channel)) == planned, kind
            assert feed.id == 1


async def _done_count(store: Store, count: int) -> bool:
    return (await store.publication_counts())["done"] == count


# --- crash safety -------------------------------------------------------------------------------

ESSAY = make_essay()
TEXT_STEPS = count_requests(ESSAY, analyse(ESSAY, max_sections=6), Destination(1, 2, "text"))


@pytest.mark.parametrize("phase", ["sent", "recorded"])
@pytest.mark.parametrize("k", range(1, TEXT_STEPS + 1))
async def test_hard_stop_after_any_step_resumes_without_duplicates(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path, k: int, phase: str
) -> None:
    fake, guild, text = fake_discord, world["guild"], world["text"]
    db = tmp_path / "db.sqlite3"
    fired: list[int] = []

    def crash(step: Step, at: str) -> None:
        if step.seq == k and at == phase:
            fired.append(step.seq)
            raise HardStop

    async with running(fake, db) as bot:
        await queue(bot.store, ESSAY, guild, text, "text")
        publisher_of(bot).step_hook = crash
        await publisher_of(bot).drain()
        assert fired == [k]
        assert (await bot.store.publication_counts())["done"] == 0

    async with running(fake, db) as bot:
        await publisher_of(bot).drain()
        assert (await bot.store.publication_counts())["done"] == 1

    assert_text_layout(fake, text, ESSAY)
    # Only the step whose outcome was unknown costs one look at the channel's recent messages.
    lookups = fake.requests_to("GET", r"^/channels/\d+/messages$")
    assert len(lookups) <= 1


async def test_restart_with_nothing_pending_posts_nothing(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    fake, guild, text = fake_discord, world["guild"], world["text"]
    db = tmp_path / "db.sqlite3"
    async with running(fake, db) as bot:
        await queue(bot.store, ESSAY, guild, text, "text")
        await publisher_of(bot).drain()
    before = len(fake.requests)
    async with running(fake, db) as bot:
        await publisher_of(bot).drain()
    assert channel_requests(fake, text, since=before) == []
    assert_text_layout(fake, text, ESSAY)


# --- pacing and errors --------------------------------------------------------------------------


async def test_long_rate_limit_on_threads_blocks_neither_the_bot_nor_other_servers(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    fake, guild, text = fake_discord, world["guild"], world["text"]
    other = fake.add_guild("Second Club")
    other_text = fake.add_channel(other, "essays")
    limit = fake.rate_limit("POST", rf"^/channels/{text.id}/messages/\d+/threads$", retry_after=1.5)
    async with running(fake, tmp_path / "db.sqlite3") as bot:
        await queue(bot.store, ESSAY, guild, text, "text")
        await queue(bot.store, ESSAY, other, other_text, "text")
        bot.publications_queued.set()  # the publish loop picks the work up by itself

        # While the first server's queue waits out the 429, the other server is served in full...
        await eventually(lambda: _done_count(bot.store, 1), "the other server's publication")
        assert limit.fired == 1 and fake.threads(text) == []
        assert_text_layout(fake, other_text, ESSAY)
        # ...and gateway events are handled: a reader's message in a section thread is counted.
        fake.post_message(fake.threads(other_text)[0], "")
        await eventually(lambda: _activity(bot.store, 1), "the reader's message counted")
        assert fake.threads(text) == []

        await eventually(lambda: _done_count(bot.store, 2), "the rate-limited publication", timeout=6)
    assert_text_layout(fake, text, ESSAY)
    assert len(fake.requests_to("POST", rf"^/channels/{text.id}/messages/\d+/threads$")) == 6 + 1


async def test_server_error_burst_is_retried_without_duplicates(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    fake, guild, text = fake_discord, world["guild"], world["text"]
    # 503s are not retried by discord.py itself: the publisher's backoff handles them.
    burst = fake.server_error("POST", r"^/channels/\d+/messages$", nth=3, times=3, status=503)
    single = fake.server_error("POST", r"/threads$", nth=2, times=1, status=502)
    async with running(fake, tmp_path / "db.sqlite3") as bot:
        await queue(bot.store, ESSAY, guild, text, "text")
        await publisher_of(bot).drain()
        assert (await bot.store.publication_counts())["done"] == 1
    assert burst.fired == 3 and single.fired == 1
    assert_text_layout(fake, text, ESSAY)


async def test_missing_thread_permission_stops_the_destination_until_resumed(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    fake = fake_discord
    guild, text, forum, modlog = (world[k] for k in ("guild", "text", "forum", "modlog"))
    fake.revoke_bot_permission(guild, rules.CREATE_PUBLIC_THREADS, channel=text)
    async with running(fake, tmp_path / "db.sqlite3") as bot:
        await bot.store.set_modlog(guild.id, modlog.id)
        text_publication = await queue(bot.store, ESSAY, guild, text, "text")
        await queue(bot.store, ESSAY, guild, forum, "forum")
        await publisher_of(bot).drain()

        destination = await bot.store.get_destination_for_channel(guild.id, text.id)
        assert destination is not None and destination.stopped_reason is not None
        assert "Create Public Threads" in destination.stopped_reason
        publication = await bot.store.get_publication(text_publication)
        assert publication is not None and publication.state == "stopped"
        assert len(await bot.store.get_steps(text_publication)) > 0  # the plan is kept
        told = [m.content for m in fake.bot_messages(modlog)]
        assert any("Create Public Threads" in m and "/marginalia destinations resume" in m for m in told)
        # Card and first anchor went out; the other destination was not held up.
        assert len(fake.bot_messages(text)) == 2
        assert len(fake.threads(forum)) == 6

        fake.set_overwrite(text, fake.bot.id, member=True)  # permission restored
        # What `/marginalia destinations resume` does (cogs/moderation.py).
        assert destination is not None
        await bot.store.resume_destination(destination.id)
        bot.publications_queued.set()
        await eventually(lambda: _done_count(bot.store, 2), "the resumed publication")
    assert_text_layout(fake, text, ESSAY)


async def test_channel_deleted_mid_plan_stops_only_that_destination(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    fake = fake_discord
    guild, text, news, modlog = (world[k] for k in ("guild", "text", "news", "modlog"))
    async with running(fake, tmp_path / "db.sqlite3") as bot:
        await bot.store.set_modlog(guild.id, modlog.id)
        await queue(bot.store, ESSAY, guild, text, "text")
        await queue(bot.store, ESSAY, guild, news, "announcement")

        def delete_after_fourth(step: Step, at: str) -> None:
            if step.seq == 4 and at == "recorded" and fake.find_channel(text.id) is not None:
                fake.delete_channel(text)

        publisher_of(bot).step_hook = delete_after_fourth
        await publisher_of(bot).drain()
        destination = await bot.store.get_destination_for_channel(guild.id, text.id)
        assert destination is not None and destination.stopped_reason == "the channel was deleted"
        assert any("was deleted" in m.content for m in fake.bot_messages(modlog))
        assert (await bot.store.publication_counts()) == {"pending": 0, "done": 1, "stopped": 1}
    assert_text_layout(fake, news, ESSAY)
    # After the deletion, no request went to the deleted channel except the one that found it gone.
    failed = [r for r in fake.requests if r.status == 404]
    assert len(failed) == 1


async def test_gateway_drop_mid_publish_loses_and_duplicates_nothing(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    fake, guild, text = fake_discord, world["guild"], world["text"]
    drops: list[asyncio.Task[None]] = []
    async with running(fake, tmp_path / "db.sqlite3") as bot:
        await queue(bot.store, ESSAY, guild, text, "text")

        def drop(step: Step, at: str) -> None:
            if step.seq == 5 and at == "sent":
                drops.append(asyncio.get_running_loop().create_task(fake.drop_gateway()))

        publisher_of(bot).step_hook = drop
        await publisher_of(bot).drain()
        await asyncio.gather(*drops)
        await fake.wait_connected(1, op="resume")
        # Messages sent in a thread created while the gateway was down are still counted after the resume.
        thread = fake.threads(text)[-1]
        await bot.wait_until_ready()
        fake.post_message(thread, "")
        await eventually(lambda: _activity(bot.store, 1), "the reader's message counted")
        assert (await bot.store.publication_counts())["done"] == 1
    assert_text_layout(fake, text, ESSAY)


async def _activity(store: Store, expected: int) -> bool:
    return sum((await store.section_activity(1)).values()) == expected


async def test_server_that_removed_the_bot_is_skipped(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    fake, guild, text = fake_discord, world["guild"], world["text"]
    async with running(fake, tmp_path / "db.sqlite3") as bot:
        fake.remove_bot(guild)
        await eventually(lambda: _removed(bot.store, guild.id), "the removal recorded")
        await queue(bot.store, ESSAY, guild, text, "text")
        await publisher_of(bot).drain()
        assert (await bot.store.publication_counts())["pending"] == 1
    assert fake.bot_messages(text) == []


async def test_a_sharded_process_posts_only_to_the_servers_on_its_shards(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    fake = fake_discord
    # Guild ids on shard 0 and shard 1 of 2 (Discord's rule: (guild_id >> 22) % shard_count).
    ours = fake.add_guild("Shard Zero", guild_id=(1_600_000_000_000 << 22) | 9)
    theirs = fake.add_guild("Shard One", guild_id=(1_600_000_000_001 << 22) | 9)
    our_channel, their_channel = fake.add_channel(ours, "essays"), fake.add_channel(theirs, "essays")
    async with running(fake, tmp_path / "db.sqlite3", SHARD_COUNT="2", SHARD_IDS="0") as bot:
        assert [p["shard"] for p in fake.identify_payloads] == [[0, 2]]
        await queue(bot.store, ESSAY, ours, our_channel, "text")
        await queue(bot.store, ESSAY, theirs, their_channel, "text")
        await publisher_of(bot).drain()
        assert await bot.store.publication_counts(guild_id=ours.id) == {"pending": 0, "done": 1, "stopped": 0}
        # The process holding shard 1 posts there; this one never touches it.
        assert await bot.store.publication_counts(guild_id=theirs.id) == {"pending": 1, "done": 0, "stopped": 0}
    assert_text_layout(fake, our_channel, ESSAY)
    assert fake.bot_messages(their_channel) == []


async def _removed(store: Store, guild_id: int) -> bool:
    return guild_id in await store.removed_guilds()


# --- activity -----------------------------------------------------------------------------------


async def test_messages_in_section_threads_are_counted(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    fake, guild, text = fake_discord, world["guild"], world["text"]
    async with running(fake, tmp_path / "db.sqlite3") as bot:
        await queue(bot.store, ESSAY, guild, text, "text")
        await publisher_of(bot).drain()
        threads = fake.threads(text)
        fake.post_message(threads[0], "I remember the frost")
        fake.post_message(threads[0], "So do I")
        fake.post_message(threads[2], "Who wrote the notice?")
        fake.post_message(text, "not in a thread")
        await eventually(lambda: _activity(bot.store, 3), "three counted messages")
        activity = await bot.store.section_activity(1)
        assert activity == {1: 2, 3: 1}


# --- corrections and re-polls -------------------------------------------------------------------


async def test_revised_essay_edits_posts_and_notifies_threads_and_unchanged_repoll_sends_nothing(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    fake = fake_discord
    guild, text, modlog = (world[k] for k in ("guild", "text", "modlog"))
    db = tmp_path / "db.sqlite3"
    revised = list(SECTIONS)
    revised[1] = (
        "Who paid for the saplings",
        "Members paid $15,500 between them for the saplings, roughly 38 percent of what the land had cost. "
        "The accounts were kept in a blue ledger that still exists.",
    )
    async with FetchServer() as feeds:
        feeds.route("/feed", Route(body=atom_feed(feeds, SECTIONS), headers=ATOM, etag='"v1"'))
        setup = await open_store(db)
        await setup.add_feed(feeds.url("/feed"), guild_id=guild.id)
        await setup.set_modlog(guild.id, modlog.id)
        await setup.set_destination(guild_id=guild.id, channel_id=text.id, kind="text")
        await setup.close()

        async with running(fake, db) as bot:
            publisher = publisher_of(bot)
            await eventually(lambda: _done_count(bot.store, 1), "the first publication")
            await publisher.drain()
            anchors = [m for m in fake.bot_messages(text) if not m.embeds]
            old_anchor = anchors[1].content

            feeds.route("/feed", Route(body=atom_feed(feeds, revised), headers=ATOM, etag='"v2"'))
            await make_due(bot.store)
            reports = await publisher.poll_once()
            assert [len(r.revised) for r in reports] == [1]
            await publisher.drain()

            stored = await bot.store.get_essay_by_id(1)
            assert stored is not None and stored.revision == 2
            publication = await bot.store.get_publication(1)
            assert publication is not None and publication.revision == 2
            anchors = [m for m in fake.bot_messages(text) if not m.embeds]
            assert len(anchors) == 6 and anchors[1].content != old_anchor and "$15,500" in anchors[1].content
            # Only the messages showing the changed section are edited.
            assert anchors[1].edited_timestamp is not None and anchors[0].edited_timestamp is None
            threads = fake.threads(text)
            assert "$15,500" in fake.bot_messages(threads[1])[0].content
            notice = fake.bot_messages(threads[1])[-1].content
            assert notice.startswith("**Correction:**")
            assert "$12,000" in notice and "$15,500" in notice
            assert "Removed: ““We planted for our grandchildren,”" in notice
            # Unchanged sections' threads got no notice.
            for index in (0, 2, 3, 4, 5):
                assert not any("Correction" in m.content for m in fake.bot_messages(threads[index]))
            for message in all_bot_messages(fake):
                assert not fake.pings(message).any

            # A re-poll of the unchanged feed (304) sends nothing at all to Discord.
            await make_due(bot.store)
            before = len(fake.requests)
            reports = await publisher.poll_once()
            await publisher.drain()
            assert [r.ok for r in reports] == [True]
            assert fake.requests[before:] == []


async def make_due(store: Store) -> None:
    # The feed's own schedule is the poller's business; the test just makes it due now.
    async with store.transaction() as db:
        await db.execute("UPDATE feeds SET next_poll_at = NULL")
