"""Discord misbehaving while essays are being posted: rate limits, server errors, timeouts, gateway
drops, revoked permissions, deleted channels and threads, and the bot removed from a server.

The real bot and discord.py run in-process against the fake Discord. Each test checks that every
post landed exactly once (or stopped cleanly, with the moderators told), and, for the faults that
make the bot wait, that it kept serving commands and other servers meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.client import Marginalia
from bot.essays.analysis import analyse
from bot.essays.model import Essay
from bot.publishing.plan import Destination, Step, count_requests
from bot.store import Store
from tests.cogs.test_publisher import (
    ESSAY,
    SECTIONS,
    all_bot_messages,
    assert_text_layout,
    eventually,
    expected_sections,
    make_essay,
    publisher_of,
    queue,
    running,
)
from tests.fakediscord import rules
from tests.fakediscord.scenario import FakeDiscord
from tests.fakediscord.state import Channel, Guild, Member, Message

pytestmark = pytest.mark.faults

EPHEMERAL = 1 << 6
WITH_LOOKUP = ("cogs.publisher", "cogs.lookup")
SECOND = make_essay(SECTIONS[:3], key="tag:orchard-short")


@pytest.fixture
async def world(fake_discord: FakeDiscord) -> dict[str, Any]:
    """Two servers: "Orchard Club" with every kind of destination and a mod-log, and "Second Club"."""
    fake = fake_discord
    guild = fake.add_guild("Orchard Club")
    other = fake.add_guild("Second Club")
    return {
        "guild": guild,
        "text": fake.add_channel(guild, "essays"),
        "news": fake.add_channel(guild, "essay-news", kind="announcement"),
        "forum": fake.add_channel(guild, "essay-forum", kind="forum"),
        "modlog": fake.add_channel(guild, "mod-log"),
        "other": other,
        "other_text": fake.add_channel(other, "essays"),
        "other_modlog": fake.add_channel(other, "mod-log"),
    }


# --- helpers ------------------------------------------------------------------------------------


def when(action: str, phase: str, *, section: int | None = None, seq: int | None = None) -> Callable[[Step, str], bool]:
    """A predicate on the publisher's step hook: true once, at the first matching step."""
    fired: list[int] = []

    def matches(step: Step, at: str) -> bool:
        hit = (
            not fired
            and step.action == action
            and at == phase
            and (section is None or step.section == section)
            and (seq is None or step.seq == seq)
        )
        if hit:
            fired.append(step.seq)
        return hit

    return matches


def on_step(bot: Marginalia, predicate: Callable[[Step, str], bool], act: Callable[[], Any]) -> None:
    """Run ``act`` (a plain function or a coroutine function, scheduled) when ``predicate`` holds."""

    def hook(step: Step, at: str) -> None:
        if predicate(step, at):
            result = act()
            if asyncio.iscoroutine(result):
                asyncio.get_running_loop().create_task(result)

    publisher_of(bot).step_hook = hook


async def done_count(store: Store) -> int:
    return (await store.publication_counts())["done"]


def assert_forum_layout(fake: FakeDiscord, forum: Channel, essay: Essay) -> None:
    """One post per section, each holding its section's text once."""
    expected = expected_sections(essay)
    posts = fake.threads(forum)
    assert len(posts) == len(expected)
    for post, (_, chunks) in zip(posts, expected, strict=True):
        assert [m.content for m in fake.bot_messages(post)] == chunks


def assert_no_pings(fake: FakeDiscord) -> None:
    for message in all_bot_messages(fake):
        assert not fake.pings(message).any, f"message {message.id} would ping: {fake.pings(message)}"


async def ask_quote(fake: FakeDiscord, channel: Channel, member: Member | None = None) -> Message:
    """A member runs /quote; its final answer is ephemeral and pings nobody."""
    interaction = await fake.invoke_slash("quote", {"search": "grandchildren"}, channel=channel, member=member)
    message = await interaction.wait_original(timeout=5.0)
    assert message.flags & EPHEMERAL
    assert not fake.pings(message).any
    return message


def quote_text(message: Message) -> str:
    return message.content + " ".join(str(e.get("description", "")) + str(e.get("fields", "")) for e in message.embeds)


def planned(essay: Essay, guild: Guild, channel: Channel, kind: str) -> int:
    return count_requests(essay, analyse(essay, max_sections=6), Destination(guild.id, channel.id, kind))  # type: ignore[arg-type]


def writes_to(fake: FakeDiscord, channel: Channel, *, ok_only: bool = True) -> int:
    """POST/PATCH requests aimed at a channel or one of its threads (answered 2xx when ``ok_only``)."""
    ids = {channel.id, *(t.id for t in fake.threads(channel))}
    count = 0
    for request in fake.requests:
        parts = request.path.split("/")
        if request.method not in ("POST", "PATCH") or parts[1:2] != ["channels"] or int(parts[2]) not in ids:
            continue
        if not ok_only or 200 <= request.status < 300:
            count += 1
    return count


# --- rate limits --------------------------------------------------------------------------------


async def test_per_route_rate_limits_post_everything_exactly_once(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    fake, guild, text, forum = fake_discord, world["guild"], world["text"], world["forum"]
    messages = fake.rate_limit("POST", rf"^/channels/{text.id}/messages$", nth=2, times=3, retry_after=0.05)
    threads = fake.rate_limit("POST", rf"^/channels/{text.id}/messages/\d+/threads$", nth=3, retry_after=0.05)
    posts = fake.rate_limit("POST", rf"^/channels/{forum.id}/threads$", nth=2, times=2, retry_after=0.05)
    async with running(fake, tmp_path / "db.sqlite3") as bot:
        await queue(bot.store, ESSAY, guild, text, "text")
        await queue(bot.store, ESSAY, guild, forum, "forum")
        await publisher_of(bot).drain()
        assert await done_count(bot.store) == 2
    assert (messages.fired, threads.fired, posts.fired) == (3, 1, 2)
    assert_text_layout(fake, text, ESSAY)
    assert_forum_layout(fake, forum, ESSAY)
    # Every planned request succeeded once: the 429s were retried, not doubled.
    assert writes_to(fake, text) == planned(ESSAY, guild, text, "text")
    assert writes_to(fake, forum) == planned(ESSAY, guild, forum, "forum")


async def test_global_rate_limit_holds_publishing_but_not_commands(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    fake, guild, text = fake_discord, world["guild"], world["text"]
    limit = fake.rate_limit("POST", rf"^/channels/{text.id}/messages$", nth=2, retry_after=2.0, is_global=True)
    async with running(fake, tmp_path / "db.sqlite3", extensions=WITH_LOOKUP) as bot:
        await queue(bot.store, ESSAY, guild, text, "text")
        drained = asyncio.create_task(publisher_of(bot).drain())
        await fake.wait_until(lambda: limit.fired, 5.0, "the global 429")
        # Interaction replies go through the webhook adapter, outside the REST client's global lock.
        answer = await ask_quote(fake, text)
        assert "grandchildren" in quote_text(answer)
        assert not drained.done() and fake.threads(text) == []
        await asyncio.wait_for(drained, 10)
        assert await done_count(bot.store) == 1
    assert_text_layout(fake, text, ESSAY)
    assert writes_to(fake, text) == planned(ESSAY, guild, text, "text")


async def test_long_rate_limit_keeps_commands_and_other_servers_going(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    fake, guild, text = fake_discord, world["guild"], world["text"]
    other, other_text = world["other"], world["other_text"]
    # 2 s is long for this test: the first server's queue waits it out inside discord.py.
    limit = fake.rate_limit("POST", rf"^/channels/{text.id}/messages$", nth=2, retry_after=2.0)
    async with running(fake, tmp_path / "db.sqlite3", extensions=WITH_LOOKUP) as bot:
        await queue(bot.store, ESSAY, guild, text, "text")
        await queue(bot.store, ESSAY, other, other_text, "text")
        bot.publications_queued.set()
        await fake.wait_until(lambda: limit.fired, 5.0, "the 429")
        await eventually(lambda: _equals(done_count(bot.store), 1), "the other server's publication")
        answer = await ask_quote(fake, text)
        assert "grandchildren" in quote_text(answer)
        # Both happened while the first server still waited.
        assert fake.threads(text) == []
        assert_text_layout(fake, other_text, ESSAY)
        await eventually(lambda: _equals(done_count(bot.store), 2), "the rate-limited publication", timeout=8)
    assert_text_layout(fake, text, ESSAY)
    assert_no_pings(fake)


async def _equals(value: Any, expected: Any) -> bool:
    return bool(await value == expected)


# --- server errors and timeouts -----------------------------------------------------------------


async def test_server_error_bursts_are_retried_then_deferred_and_finished_later(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    fake, guild, text, news = fake_discord, world["guild"], world["text"], world["news"]
    # One 500 (discord.py retries it after 1 s), a 503 burst the publisher's backoff absorbs,
    # and on the announcement channel a burst longer than the publisher's retries.
    fake.server_error("PATCH", rf"^/channels/{text.id}/messages/\d+$", status=500)
    fake.server_error("POST", rf"^/channels/{text.id}/messages$", nth=2, times=4, status=503)
    outage = fake.server_error("POST", rf"^/channels/{news.id}/messages/\d+/crosspost$", times=6, status=503)
    async with running(fake, tmp_path / "db.sqlite3") as bot:
        assert publisher_of(bot).max_retries == 5
        await queue(bot.store, ESSAY, guild, text, "text")
        await queue(bot.store, ESSAY, guild, news, "announcement")
        await publisher_of(bot).drain()
        # The text destination is done; the announcement waits for the next round, not stopped.
        assert outage.fired == 6
        assert (await bot.store.publication_counts()) == {"pending": 1, "done": 1, "stopped": 0}
        destination = await bot.store.get_destination_for_channel(guild.id, news.id)
        assert destination is not None and destination.stopped_reason is None
        assert [m for m in fake.bot_messages(news) if m.embeds and m.crossposted] == []

        await publisher_of(bot).drain()
        assert await done_count(bot.store) == 2
    assert_text_layout(fake, text, ESSAY)
    assert_text_layout(fake, news, ESSAY)
    assert next(m for m in fake.bot_messages(news) if m.embeds).crossposted


async def test_request_timeouts_are_retried_without_duplicates_even_when_the_first_try_lands_late(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    # discord.py's own limit is aiohttp's 5 minutes; the publisher sets its own per request.
    fake, guild, text = fake_discord, world["guild"], world["text"]
    late_anchor = fake.slow("POST", rf"^/channels/{text.id}/messages$", 1.0, nth=2)
    late_thread = fake.slow("POST", rf"^/channels/{text.id}/messages/\d+/threads$", 1.0, nth=2)
    async with running(fake, tmp_path / "db.sqlite3") as bot:
        publisher_of(bot).request_timeout = 0.3
        await queue(bot.store, ESSAY, guild, text, "text")
        await publisher_of(bot).drain()
        assert await done_count(bot.store) == 1
        # The abandoned first tries reach the fake after the retries: the nonce and "thread
        # already exists" keep them from adding anything.
        await fake.wait_until(lambda: all(r.status for r in fake.requests), 5.0, "the late requests")
    assert late_anchor.fired == 1 and late_thread.fired == 1
    assert_text_layout(fake, text, ESSAY)
    late = [fake.requests[i] for i in late_thread.fired_at]
    assert [r.status for r in late] == [400]  # 160004 thread already exists


def _forum_post_late(fake: FakeDiscord, forum: Channel) -> Any:
    """The first forum post answers after the publisher's timeout (set by the caller) and lands then."""
    return fake.slow("POST", rf"^/channels/{forum.id}/threads$", 0.6, nth=1)


def _thread_deletes(fake: FakeDiscord) -> list[str]:
    return [r.path for r in fake.requests if r.method == "DELETE" and 200 <= r.status < 300]


async def test_forum_post_timing_out_and_landing_after_the_retry_leaves_one_post_per_section(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    # A forum post carries no nonce: the retry looks for the first try among the active threads,
    # finds nothing yet, and posts again; the first try then lands. The publisher deletes it.
    fake, guild, forum, modlog = fake_discord, world["guild"], world["forum"], world["modlog"]
    late = _forum_post_late(fake, forum)
    async with running(fake, tmp_path / "db.sqlite3") as bot:
        await bot.store.set_modlog(guild.id, modlog.id)
        publisher_of(bot).request_timeout = 0.2
        publisher_of(bot).forum_settle = 1.0
        await queue(bot.store, ESSAY, guild, forum, "forum")
        await publisher_of(bot).drain()
        assert await done_count(bot.store) == 1
        await fake.wait_until(lambda: all(r.status for r in fake.requests), 5.0, "the late request")
    # The late first try did create a post (the gap was exercised) ...
    (landed,) = [fake.requests[i] for i in late.fired_at]
    assert 200 <= landed.status < 300
    # ... and it is the one deleted: the recorded post of each section holds its text.
    (deleted,) = _thread_deletes(fake)
    assert_forum_layout(fake, forum, ESSAY)
    deleted_id = int(deleted.split("/")[2])
    assert deleted_id > fake.threads(forum)[0].id  # the newer post, not the retry's recorded one
    assert fake.bot_messages(modlog) == []


async def test_late_duplicate_forum_post_is_reported_when_the_bot_may_not_delete_it(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    fake, guild, forum, modlog = fake_discord, world["guild"], world["forum"], world["modlog"]
    fake.revoke_bot_permission(guild, rules.MANAGE_THREADS)
    late = _forum_post_late(fake, forum)
    async with running(fake, tmp_path / "db.sqlite3") as bot:
        await bot.store.set_modlog(guild.id, modlog.id)
        publisher_of(bot).request_timeout = 0.2
        publisher_of(bot).forum_settle = 1.0
        await queue(bot.store, ESSAY, guild, forum, "forum")
        await publisher_of(bot).drain()
        assert await done_count(bot.store) == 1
    assert late.fired == 1 and _thread_deletes(fake) == []
    # The late first try is the newer of two posts with the first section's name.
    posts = fake.threads(forum)
    names = [p.name for p in posts]
    (extra,) = [p for i, p in enumerate(posts) if p.name in names[:i]]
    expected = expected_sections(ESSAY)
    assert [m.content for m in fake.bot_messages(extra)] == expected[0][1][:1]  # its starter only
    kept = [p for p in posts if p is not extra]
    assert len(kept) == len(expected)
    for post, (_, chunks) in zip(kept, expected, strict=True):
        assert [m.content for m in fake.bot_messages(post)] == chunks
    # The moderators are told which post to delete.
    (told,) = [m.content for m in fake.bot_messages(modlog)]
    assert f"<#{extra.id}>" in told and "Manage Threads" in told


# --- the gateway --------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["resume", "new_session"])
async def test_gateway_loss_mid_publish_posts_everything_once_and_the_bot_keeps_answering(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path, fault: str
) -> None:
    fake, guild, text, forum = fake_discord, world["guild"], world["text"], world["forum"]
    async with running(fake, tmp_path / "db.sqlite3", extensions=WITH_LOOKUP) as bot:
        await queue(bot.store, ESSAY, guild, text, "text")
        await queue(bot.store, ESSAY, guild, forum, "forum")
        drop = fake.drop_gateway if fault == "resume" else fake.invalidate_session
        on_step(bot, when("thread", "sent", section=3), drop)
        await publisher_of(bot).drain()
        assert await done_count(bot.store) == 2
        if fault == "resume":
            await fake.wait_connected(1, op="resume")
        else:
            await fake.wait_connected(2, op="identify")
        await bot.wait_until_ready()
        # After the reconnect, commands are answered and thread messages are counted again.
        answer = await ask_quote(fake, text)
        assert "grandchildren" in quote_text(answer)
        fake.post_message(fake.threads(text)[-1], "")
        await eventually(lambda: _equals(_activity(bot.store), 1), "the reader's message counted")
    assert_text_layout(fake, text, ESSAY)
    assert_forum_layout(fake, forum, ESSAY)
    assert writes_to(fake, text) == planned(ESSAY, guild, text, "text")


async def _activity(store: Store) -> int:
    return sum((await store.section_activity(1)).values())


# --- refusals -----------------------------------------------------------------------------------


async def test_permission_revoked_mid_plan_stops_that_destination_and_resume_finishes_it(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    fake = fake_discord
    guild, text, news, modlog = (world[k] for k in ("guild", "text", "news", "modlog"))
    async with running(fake, tmp_path / "db.sqlite3") as bot:
        await bot.store.set_modlog(guild.id, modlog.id)
        await queue(bot.store, ESSAY, guild, text, "text")
        await queue(bot.store, ESSAY, guild, news, "announcement")
        revoke = when("thread", "recorded", section=2)
        on_step(bot, revoke, lambda: fake.revoke_bot_permission(guild, rules.SEND_MESSAGES_IN_THREADS, channel=text))
        await publisher_of(bot).drain()

        destination = await bot.store.get_destination_for_channel(guild.id, text.id)
        assert destination is not None and destination.stopped_reason is not None
        assert "Send Messages in Threads" in destination.stopped_reason
        told = [m.content for m in fake.bot_messages(modlog)]
        assert len(told) == 1 and "Send Messages in Threads" in told[0] and "destinations resume" in told[0]
        assert (await bot.store.publication_counts()) == {"pending": 0, "done": 1, "stopped": 1}
        assert_text_layout(fake, news, ESSAY)  # the other destination was not held up
        assert len(fake.threads(text)) == 2 and fake.bot_messages(fake.threads(text)[1]) == []

        fake.set_overwrite(text, fake.bot.id, member=True)
        await bot.store.resume_destination(destination.id)
        await publisher_of(bot).drain()
        assert await done_count(bot.store) == 2
    assert_text_layout(fake, text, ESSAY)
    assert writes_to(fake, text) == planned(ESSAY, guild, text, "text")


async def test_forum_deleted_mid_plan_stops_it_and_tells_the_moderators(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    fake = fake_discord
    guild, text, forum, modlog = (world[k] for k in ("guild", "text", "forum", "modlog"))
    async with running(fake, tmp_path / "db.sqlite3") as bot:
        await bot.store.set_modlog(guild.id, modlog.id)
        await queue(bot.store, ESSAY, guild, forum, "forum")
        await queue(bot.store, ESSAY, guild, text, "text")
        on_step(bot, when("forum_post", "recorded", section=3), lambda: fake.delete_channel(forum))
        await publisher_of(bot).drain()
        destination = await bot.store.get_destination_for_channel(guild.id, forum.id)
        assert destination is not None and destination.stopped_reason == "the channel was deleted"
        assert any("was deleted" in m.content for m in fake.bot_messages(modlog))
        assert (await bot.store.publication_counts()) == {"pending": 0, "done": 1, "stopped": 1}
    assert_text_layout(fake, text, ESSAY)
    # Only one request found the forum gone; nothing was sent there after it.
    assert len([r for r in fake.requests if r.status == 404]) == 1


async def test_thread_deleted_mid_plan_stops_only_that_essay_and_tells_the_moderators(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    fake = fake_discord
    guild, text, modlog = (world[k] for k in ("guild", "text", "modlog"))
    async with running(fake, tmp_path / "db.sqlite3") as bot:
        await bot.store.set_modlog(guild.id, modlog.id)
        first = await queue(bot.store, ESSAY, guild, text, "text")
        await queue(bot.store, SECOND, guild, text, "text")

        def delete_newest_thread() -> None:
            fake.delete_channel(fake.threads(text)[-1])

        on_step(bot, when("thread", "recorded", section=2), delete_newest_thread)
        await publisher_of(bot).drain()

        # The section's text had nowhere to go. A resume could not bring the thread back, so
        # the destination stays open and only this essay stops, with the moderators told why.
        publication = await bot.store.get_publication(first)
        assert publication is not None and publication.state == "stopped"
        assert publication.error == "a section thread was deleted"
        destination = await bot.store.get_destination_for_channel(guild.id, text.id)
        assert destination is not None and destination.stopped_reason is None
        (told,) = [m.content for m in fake.bot_messages(modlog)]
        assert "a section thread was deleted" in told and "/marginalia repost" in told
        # The next essay for the same channel went out in full.
        assert await done_count(bot.store) == 1
    cards = [m for m in fake.bot_messages(text) if m.embeds]
    assert len(cards) == 2
    second_sections = expected_sections(SECOND)
    posted = fake.threads(text)
    # The first essay kept its first thread (the second was deleted); the short essay has all three.
    assert len(posted) == 1 + len(second_sections)
    for thread, (name, chunks) in zip(posted[1:], second_sections, strict=True):
        assert thread.name == name
        assert [m.content for m in fake.bot_messages(thread)] == chunks
    # One 404 found the thread gone; nothing else was sent to it.
    assert len([r for r in fake.requests if r.status == 404]) == 1


@pytest.mark.parametrize("comeback", ["invited_back_live", "invited_back_while_offline"])
async def test_bot_removed_mid_plan_loses_and_duplicates_nothing_and_serves_other_servers(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path, comeback: str
) -> None:
    fake = fake_discord
    guild, text, modlog = (world[k] for k in ("guild", "text", "modlog"))
    other, other_text, other_modlog = world["other"], world["other_text"], world["other_modlog"]
    async with running(fake, tmp_path / "db.sqlite3", extensions=WITH_LOOKUP) as bot:
        await bot.store.set_modlog(guild.id, modlog.id)
        await bot.store.set_modlog(other.id, other_modlog.id)
        await queue(bot.store, ESSAY, guild, text, "text")
        on_step(bot, when("thread_text", "recorded", section=2), lambda: fake.remove_bot(guild))
        await publisher_of(bot).drain()
        removed_at = len(fake.requests)

        # The publication waits: not stopped, not finished, and the server is known to be gone.
        await eventually(lambda: _contains(bot.store.removed_guilds(), guild.id), "the removal recorded")
        assert (await bot.store.publication_counts()) == {"pending": 1, "done": 0, "stopped": 0}
        destination = await bot.store.get_destination_for_channel(guild.id, text.id)
        assert destination is not None and destination.stopped_reason is None

        # Meanwhile the other server is served: a publication and a command.
        await queue(bot.store, SECOND, other, other_text, "text")
        bot.publications_queued.set()
        await eventually(lambda: _equals(done_count(bot.store), 1), "the other server's publication")
        answer = await ask_quote(fake, other_text)
        assert "grandchildren" in quote_text(answer)
        assert not [r for r in fake.requests[removed_at:] if f"/{guild.id}/" in r.path or _in(fake, r.path, text)]

        if comeback == "invited_back_live":
            # Invited back: the rest of the plan goes out, and only the rest.
            guild.bot_present = True
            joined = guild.to_create_json()
            del joined["unavailable"]  # a join, as Discord sends it, rather than an outage ending
            fake.dispatch("GUILD_CREATE", joined)
            await eventually(lambda: _equals(done_count(bot.store), 2), "the publication finished after the re-invite")
    if comeback == "invited_back_while_offline":
        # Invited back while the bot was down: READY lists the server again, with no join event.
        guild.bot_present = True
        async with running(fake, tmp_path / "db.sqlite3") as bot:
            await eventually(lambda: _equals(done_count(bot.store), 2), "the publication finished after the restart")
            assert guild.id not in await bot.store.removed_guilds()
    assert fake.bot_messages(modlog) == []  # nothing went wrong that a moderator must fix
    assert fake.bot_messages(other_modlog) == []
    assert_text_layout(fake, text, ESSAY)
    assert writes_to(fake, text) == planned(ESSAY, guild, text, "text")
    assert_no_pings(fake)


async def _contains(values: Any, item: int) -> bool:
    return item in await values


def _in(fake: FakeDiscord, path: str, channel: Channel) -> bool:
    parts = path.split("/")
    ids = {channel.id, *(t.id for t in fake.threads(channel))}
    return parts[1:2] == ["channels"] and int(parts[2]) in ids
