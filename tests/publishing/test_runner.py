"""The exactly-once runner against an in-memory Discord (``MemoryTransport``) and a real store.

Every crash point of every step, retries (rate limits, server errors, timeouts), refusals
(missing permissions, a deleted channel or thread, the bot removed), recovery of a step whose
outcome was lost, and the late duplicate forum post, without discord.py or a network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.essays.analysis import analyse
from bot.essays.model import Block, Essay
from bot.intake import store_essay
from bot.publishing.corrections import CorrectionStep
from bot.publishing.plan import Destination, Step, count_requests, plan_publication, thread_name
from bot.publishing.render import section_messages
from bot.publishing.runner import Deferred, Runner, RunnerSettings
from bot.publishing.transport import MISSING_PERMISSIONS, TransportError
from bot.store import PublicationRow, Store
from tests.publishing.memory_transport import Channel, MemoryTransport


@pytest.fixture
def store(backend_store: Store) -> Store:
    """These tests ask only the Store protocol: each runs on SQLite and on PostgreSQL (tests/conftest.py)."""
    return backend_store


GUILD = 77
SECTIONS = [
    (
        "The ferry timetable",
        "The island ferry ran four times a day for thirty years, and the timetable hung in every shop window.",
        "Nobody remembered who had drawn it, only that the evening run was always late.",
    ),
    (
        "When the council cut the evening run",
        "The council cut the evening run to save money, and the shop owners noticed first.",
        "Fewer visitors stayed for supper once they could not count on a boat home.",
    ),
    (
        "What the islanders did next",
        "The islanders bought a second-hand launch between them and ran the evening trip themselves.",
        "It was slower than the ferry, but it left on time.",
    ),
]


def make_essay(sections: Sequence[tuple[str, str, str]] = SECTIONS) -> Essay:
    blocks: list[Block] = []
    for heading, *paragraphs in sections:
        blocks.append(Block("heading", heading))
        blocks.extend(Block("paragraph", text) for text in paragraphs)
    return Essay(
        key="tag:ferry",
        title="The Evening Ferry",
        blocks=tuple(blocks),
        url="https://ferry.example.org/evening",
        author="Ines Okafor",
        source="test",
    )


ESSAY = make_essay()
KINDS = ("text", "announcement", "forum")


class HardStop(BaseException):
    """The process dying: nothing after it runs, not even ``except Exception`` blocks."""


@dataclass
class World:
    store: Store
    transport: MemoryTransport
    told: list[tuple[int, str]] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)
    step_hook: Any = None
    correction_hook: Any = None

    def runner(self, **settings: Any) -> Runner:
        async def tell(guild_id: int, message: str) -> bool:
            self.told.append((guild_id, message))
            return True

        async def sleep(seconds: float) -> None:
            self.waits.append(seconds)

        options = RunnerSettings(
            step_hook=self.step_hook, correction_hook=self.correction_hook, sleep=sleep, **settings
        )
        return Runner(self.store, self.transport, tell, options)

    async def queue(self, channel: Channel, essay: Essay = ESSAY) -> int:
        outcome = await store_essay(self.store, essay, max_sections=6)
        kind = channel.kind
        destination = await self.store.set_destination(guild_id=GUILD, channel_id=channel.id, kind=kind)  # type: ignore[arg-type]
        publication = await self.store.queue_publication(outcome.essay_id, destination.id, outcome.revision)
        assert publication is not None
        return publication

    async def run(self, *, stale: bool = False, **settings: Any) -> list[str]:
        """One round over the due work, as the publisher's server task runs it."""
        runner = self.runner(**settings)
        outcomes = []
        for publication, destination in await self.store.publishable(stale=stale):
            if stale:
                outcomes.append(await runner.correct(publication, destination))
            else:
                outcomes.append(await runner.publish(publication, destination))
        return outcomes

    async def counts(self) -> dict[str, int]:
        return await self.store.publication_counts()

    async def publication(self, publication_id: int) -> PublicationRow:
        found = await self.store.get_publication(publication_id)
        assert found is not None
        return found


@pytest.fixture
def world(store: Store) -> World:
    return World(store, MemoryTransport())


def expected(essay: Essay = ESSAY) -> list[tuple[str, list[str]]]:
    return [(thread_name(s.index, s.title), section_messages(s)) for s in analyse(essay, max_sections=6).sections]


def assert_posted(transport: MemoryTransport, channel: Channel, essay: Essay = ESSAY) -> None:
    """Each part exactly once: in a channel the card, one anchor and thread per section; in a
    forum one post per section; every thread holding its section's text."""
    sections = expected(essay)
    threads = transport.threads(channel)
    assert [t.name for t in threads][: len(sections)] == [name for name, _ in sections] or channel.kind == "forum"
    assert len(threads) == len(sections)
    for thread, (_, chunks) in zip(threads, sections, strict=True):
        assert [m["content"] for m in transport.messages(thread)] == chunks
    if channel.kind == "forum":
        return
    posted = transport.messages(channel)
    cards = [m for m in posted if m["embeds"]]
    anchors = [m for m in posted if not m["embeds"]]
    assert len(cards) == 1 and len(anchors) == len(sections)
    assert [t.id for t in threads] == [int(a["id"]) for a in anchors]
    for anchor in anchors:  # the card links every anchor once the plan finished
        assert f"/{channel.id}/{anchor['id']})" in cards[0]["embeds"][0]["description"]
    assert cards[0]["crossposted"] == (channel.kind == "announcement")


def steps_of(kind: str) -> int:
    return count_requests(ESSAY, analyse(ESSAY, max_sections=6), Destination(GUILD, 1, kind))  # type: ignore[arg-type]


PHASES = ("attempted", "sent", "recorded")
CRASH_POINTS = [(kind, k, phase) for kind in KINDS for k in range(1, steps_of(kind) + 1) for phase in PHASES]


# --- the plan, once -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
async def test_a_publication_makes_one_request_per_step(world: World, kind: str) -> None:
    channel = world.transport.add_channel(GUILD, kind)
    await world.queue(channel)
    assert await world.run() == ["done"]
    assert_posted(world.transport, channel)
    assert len(world.transport.calls) == steps_of(kind)
    assert world.told == [] and world.waits == []
    assert (await world.counts())["done"] == 1


@pytest.mark.parametrize(("kind", "k", "phase"), CRASH_POINTS)
async def test_a_crash_at_any_point_resumes_without_duplicates(world: World, kind: str, k: int, phase: str) -> None:
    channel = world.transport.add_channel(GUILD, kind)
    await world.queue(channel)

    def crash(step: Step, at: str) -> None:
        if step.seq == k and at == phase:
            raise HardStop

    world.step_hook = crash
    with pytest.raises(HardStop):
        await world.run()
    assert (await world.counts())["done"] == 0
    world.step_hook = None
    assert await world.run() == ["done"]
    assert_posted(world.transport, channel)
    # A step left "attempted" is looked for once (messages among the recent ones, a forum post
    # among the active threads); a step recorded done is not looked for at all. A forum post not
    # found may still land late: the active threads are listed once more at the end.
    action = plan_publication(ESSAY, analyse(ESSAY, max_sections=6), Destination(GUILD, 1, kind))[k - 1].action  # type: ignore[arg-type]
    recovered = phase != "recorded" and action in ("card", "anchor", "thread_text", "forum_text", "forum_post")
    settled = phase == "attempted" and action == "forum_post"
    lookups = world.transport.calls_to("recent_messages") + world.transport.calls_to("active_threads")
    assert len(lookups) == int(recovered) + int(settled)


async def test_a_restart_with_nothing_pending_sends_nothing(world: World) -> None:
    channel = world.transport.add_channel(GUILD, "text")
    await world.queue(channel)
    await world.run()
    before = len(world.transport.calls)
    assert await world.run() == []
    assert len(world.transport.calls) == before


# --- retries --------------------------------------------------------------------------------------


async def test_a_rate_limit_is_waited_out_for_as_long_as_discord_says(world: World) -> None:
    channel = world.transport.add_channel(GUILD, "text")
    world.transport.fail("create_thread", TransportError(429, 0, retry_after=2.5))
    await world.queue(channel)
    assert await world.run() == ["done"]
    assert world.waits == [2.5]
    assert_posted(world.transport, channel)


@pytest.mark.parametrize("acted", [False, True], ids=["before-acting", "after-acting"])
async def test_server_errors_are_retried_with_doubling_waits(world: World, acted: bool) -> None:
    channel = world.transport.add_channel(GUILD, "text")
    world.transport.fail("create_message", TransportError(503), times=3, acted=acted)
    await world.queue(channel)
    assert await world.run(retry_base=0.5, retry_cap=1.5) == ["done"]
    assert world.waits == [0.5, 1.0, 1.5]
    # Messages carry their nonce: the retry of a message Discord made anyway makes nothing new.
    assert_posted(world.transport, channel)


@pytest.mark.parametrize("operation", ["create_message", "create_thread", "crosspost", "edit_message"])
async def test_a_timeout_after_discord_acted_is_retried_without_a_duplicate(world: World, operation: str) -> None:
    channel = world.transport.add_channel(GUILD, "announcement")
    world.transport.fail(operation, TransportError(0, text="timed out"), acted=True)
    await world.queue(channel)
    assert await world.run() == ["done"]
    assert len(world.waits) == 1
    assert_posted(world.transport, channel)


async def test_discord_failing_past_the_retries_defers_the_round_and_the_next_finishes(world: World) -> None:
    channel = world.transport.add_channel(GUILD, "text")
    world.transport.fail("create_thread", TransportError(502), times=6)
    publication = await world.queue(channel)
    with pytest.raises(Deferred):
        await world.run(max_retries=5)
    assert len(world.waits) == 5
    assert (await world.publication(publication)).state == "pending"
    assert (await world.store.get_destination_for_channel(GUILD, channel.id)).stopped_reason is None  # type: ignore[union-attr]
    assert await world.run() == ["done"]
    assert_posted(world.transport, channel)


# --- refusals -------------------------------------------------------------------------------------


async def test_a_missing_permission_stops_the_destination_and_tells_the_moderators(world: World) -> None:
    channel = world.transport.add_channel(GUILD, "text")
    world.transport.deny(channel, "create_public_threads")
    publication = await world.queue(channel)
    assert await world.run() == ["stopped"]
    destination = await world.store.get_destination_for_channel(GUILD, channel.id)
    assert destination is not None
    assert destination.stopped_reason == "the bot lacks the Create Public Threads permission"
    assert (await world.publication(publication)).state == "stopped"
    ((guild, told),) = world.told
    assert guild == GUILD and "Create Public Threads" in told and "/marginalia destinations resume" in told
    # Card and first anchor went out; resuming after the fix posts the rest, nothing twice.
    assert len(world.transport.messages(channel)) == 2
    world.transport.revoked.clear()
    await world.store.resume_destination(destination.id)
    assert await world.run() == ["done"]
    assert_posted(world.transport, channel)


async def test_a_deleted_channel_stops_its_destination(world: World) -> None:
    channel = world.transport.add_channel(GUILD, "text")
    await world.queue(channel)

    def delete_after_third(step: Step, at: str) -> None:
        if step.seq == 3 and at == "recorded":
            del world.transport.channels[channel.id]

    world.step_hook = delete_after_third
    assert await world.run() == ["stopped"]
    destination = await world.store.get_destination_for_channel(GUILD, channel.id)
    assert destination is not None and destination.stopped_reason == "the channel was deleted"
    assert "was deleted" in world.told[0][1]


async def test_a_deleted_section_thread_stops_only_that_publication(world: World) -> None:
    channel = world.transport.add_channel(GUILD, "text")
    publication = await world.queue(channel)

    def delete_first_thread(step: Step, at: str) -> None:
        if step.action == "thread" and at == "recorded":
            del world.transport.channels[world.transport.threads(channel)[0].id]

    world.step_hook = delete_first_thread
    assert await world.run() == ["stopped"]
    assert (await world.publication(publication)).state == "stopped"
    destination = await world.store.get_destination_for_channel(GUILD, channel.id)
    assert destination is not None and destination.stopped_reason is None
    assert "/marginalia repost" in world.told[0][1]


async def test_removed_from_the_server_mid_plan_waits_rather_than_stops(world: World) -> None:
    channel = world.transport.add_channel(GUILD, "text")
    publication = await world.queue(channel)

    def removed(step: Step, at: str) -> None:
        if step.seq == 2 and at == "recorded":
            world.transport.removed_guilds.add(GUILD)

    world.step_hook = removed
    assert await world.run() == ["deferred"]
    assert GUILD in await world.store.removed_guilds()
    assert (await world.publication(publication)).state == "pending"
    assert world.told == []


async def test_a_refusal_of_this_essay_only_stops_the_publication(world: World) -> None:
    channel = world.transport.add_channel(GUILD, "text")
    world.transport.fail("create_message", TransportError(400, 50035, text="Invalid Form Body"))
    publication = await world.queue(channel)
    assert await world.run() == ["stopped"]
    assert (await world.publication(publication)).state == "stopped"
    destination = await world.store.get_destination_for_channel(GUILD, channel.id)
    assert destination is not None and destination.stopped_reason is None


# --- forum posts (no nonce) -----------------------------------------------------------------------


async def test_a_forum_post_that_timed_out_but_landed_is_found_not_posted_twice(world: World) -> None:
    forum = world.transport.add_channel(GUILD, "forum")
    world.transport.fail("create_thread", TransportError(0, text="timed out"), acted=True)
    await world.queue(forum)
    assert await world.run() == ["done"]
    assert len(world.transport.calls_to("create_thread")) == len(expected())  # found, not sent again
    assert world.transport.deleted_threads == []
    assert_posted(world.transport, forum)


async def test_a_forum_post_landing_after_its_retry_is_deleted(world: World) -> None:
    forum = world.transport.add_channel(GUILD, "forum")
    world.transport.fail("create_thread", TransportError(0, text="timed out"), lands_late=True)
    await world.queue(forum)
    assert await world.run(forum_settle=7.0) == ["done"]
    (deleted,) = world.transport.deleted_threads
    assert deleted > world.transport.threads(forum)[0].id  # the late one, not the recorded one
    assert_posted(world.transport, forum)
    assert world.waits[-1] > 0  # it waited for the attempt to settle before looking
    assert world.told == []


async def test_a_late_forum_post_the_bot_may_not_delete_is_reported(world: World) -> None:
    forum = world.transport.add_channel(GUILD, "forum")
    world.transport.deny(forum, "manage_threads")
    world.transport.fail("create_thread", TransportError(503), lands_late=True)
    await world.queue(forum)
    assert await world.run() == ["done"]
    assert world.transport.deleted_threads == []
    posts = world.transport.threads(forum)
    assert len(posts) == len(expected()) + 1
    extra = posts[1]  # the late first try, landed right after its retry
    ((_, told),) = world.told
    assert f"<#{extra.id}>" in told and "Manage Threads" in told


# --- corrections ----------------------------------------------------------------------------------

REVISED = make_essay(
    [
        SECTIONS[0],
        (SECTIONS[1][0], SECTIONS[1][1].replace("to save money", "to save £40,000 a year"), SECTIONS[1][2]),
        SECTIONS[2],
        (
            "A ferry again",
            "Five years later the council restored the evening run, and the launch was sold to a fishing family.",
            "The timetable in the shop windows was reprinted with the evening boat in bold.",
        ),
    ]
)


async def published(world: World, kind: str = "text") -> Channel:
    channel = world.transport.add_channel(GUILD, kind)
    await world.queue(channel)
    assert await world.run() == ["done"]
    outcome = await store_essay(world.store, REVISED, max_sections=6)
    assert outcome.status == "revised"
    return channel


def assert_corrected(transport: MemoryTransport, channel: Channel) -> None:
    threads = transport.threads(channel)
    assert len(threads) == 4 and len([m for m in transport.messages(channel) if not m["embeds"]]) == 4
    revised = expected(REVISED)
    assert [m["content"] for m in transport.messages(threads[1])][: len(revised[1][1])] == revised[1][1]
    section_texts = {text for _, chunks in revised for text in chunks}
    notices = [m for t in threads for m in transport.messages(t) if m["content"] not in section_texts]
    assert len(notices) == 1  # one notice, in the changed section's thread
    assert [m["content"] for m in transport.messages(threads[3])] == revised[3][1]


async def test_a_revision_is_corrected_in_place(world: World) -> None:
    channel = await published(world)
    before = len(world.transport.calls)
    assert await world.run(stale=True) == ["done"]
    assert len(world.transport.calls) - before == CORRECTION_STEPS
    assert_corrected(world.transport, channel)
    assert await world.store.get_correction(1) is None
    assert await world.run(stale=True) == []


CORRECTION_STEPS = 7  # the added section's anchor, thread, text; the changed one's text, anchor, notice; the card
CORRECTION_CRASHES = [(k, phase) for k in range(1, CORRECTION_STEPS + 1) for phase in PHASES]


@pytest.mark.parametrize(("k", "phase"), CORRECTION_CRASHES)
async def test_a_crash_mid_correction_resumes_without_a_second_notice(world: World, k: int, phase: str) -> None:
    channel = await published(world)
    fired: list[int] = []

    def crash(step: CorrectionStep, at: str) -> None:
        if step.seq == k and at == phase:
            fired.append(k)
            raise HardStop

    world.correction_hook = crash
    with pytest.raises(HardStop):
        await world.run(stale=True)
    assert fired == [k]
    assert await world.store.get_correction(1) is not None
    world.correction_hook = None
    assert await world.run(stale=True) == ["done"]
    assert_corrected(world.transport, channel)


async def test_an_edit_in_an_archived_thread_reopens_it_first(world: World) -> None:
    channel = await published(world)
    world.transport.threads(channel)[1].archived = True  # it went quiet for a week
    assert await world.run(stale=True) == ["done"]
    assert_corrected(world.transport, channel)
    assert world.transport.calls_to("edit_thread")[0] == world.transport.threads(channel)[1].id


async def test_a_missing_permission_stops_a_correction_until_resumed(world: World) -> None:
    channel = await published(world)
    world.transport.fail("edit_message", TransportError(403, MISSING_PERMISSIONS, text="Missing Permissions"))
    assert await world.run(stale=True) == ["stopped"]
    destination = await world.store.get_destination_for_channel(GUILD, channel.id)
    assert destination is not None and destination.stopped_reason is not None
    assert "/marginalia destinations resume" in world.told[0][1]
    await world.store.resume_destination(destination.id)
    assert await world.run(stale=True) == ["done"]
    assert_corrected(world.transport, channel)
