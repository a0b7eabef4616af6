"""The poller and the publishing runner over leases, two stores standing for two bot processes, on
each backend: each due feed polled once, a publication run by one process at a time, a process that
lost its lease stopping before its next step and the new holder finishing the work exactly once."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.fetch import Fetcher, FetchPolicy
from bot.intake import store_essay
from bot.leases import HeldLease, LeaseLost, LeaseSettings
from bot.poller import PollSettings, poll_due_feeds
from bot.publishing.plan import Step
from bot.publishing.runner import Runner, RunnerSettings
from bot.store import Store
from tests.fetch_server import FetchServer, Route
from tests.publishing.memory_transport import MemoryTransport
from tests.publishing.test_runner import ESSAY, GUILD, assert_posted, steps_of
from tests.store.postgres.test_leases import LONG, two
from tests.test_poller import ATOM, POSTS, atom

__all__ = ["two"]  # the fixture: two stores over one database, on each backend

SHORT = 0.3  # seconds: a lease that runs out within the test


async def test_two_pollers_poll_each_due_feed_once(two: tuple[Store, Store]) -> None:
    first, second = two
    async with FetchServer() as server, Fetcher(FetchPolicy(allowed_networks=("127.0.0.1/32",))) as fetcher:
        paths = [f"/feed{n}" for n in range(6)]
        for n, path in enumerate(paths):
            server.route(path, Route(body=atom(server, POSTS[:2], title=f"Blog {n}"), headers=ATOM))
            await first.add_feed(server.url(path), guild_id=GUILD)
        settings = PollSettings()
        rounds = await asyncio.gather(
            *(poll_due_feeds(store, fetcher, settings=settings, rng=random.Random(1)) for store in (first, second))
        )
        polled = sorted(report.feed_id for reports in rounds for report in reports)
        assert polled == sorted(feed.id for feed in await first.list_feeds())
        assert [server.hits(path) for path in paths] == [1] * len(paths)
        # Polled: not due again until its next poll time, whoever asks.
        assert await poll_due_feeds(second, fetcher, settings=settings) == []


async def test_a_feed_whose_poll_is_recorded_is_released_and_not_due(two: tuple[Store, Store]) -> None:
    first, second = two
    feed = await first.add_feed("https://blog.example/feed", guild_id=GUILD)
    now = datetime(2025, 6, 1, 12, tzinfo=UTC)
    assert [f.id for f in await first.claim_due_feeds(limit=1, lease=LONG, due_by=now)] == [feed.id]
    await first.record_poll_success(
        feed.id, result="ok", etag=None, last_modified=None, title=None, next_poll_at=now + timedelta(minutes=15)
    )
    assert await second.claim_due_feeds(limit=1, lease=LONG, due_by=now) == []  # free, but not due
    later = now + timedelta(minutes=16)
    assert [f.id for f in await second.claim_due_feeds(limit=1, lease=LONG, due_by=later)] == [feed.id]


async def queue_essay(store: Store, transport: MemoryTransport, kind: str = "text") -> int:
    channel = transport.add_channel(GUILD, kind)
    outcome = await store_essay(store, ESSAY, max_sections=6)
    destination = await store.set_destination(guild_id=GUILD, channel_id=channel.id, kind=kind)  # type: ignore[arg-type]
    publication = await store.queue_publication(outcome.essay_id, destination.id, outcome.revision)
    assert publication is not None
    return publication


def runner(store: Store, transport: MemoryTransport, **settings: object) -> Runner:
    async def tell(guild_id: int, message: str) -> bool:
        return True

    async def no_wait(seconds: float) -> None:
        return None

    return Runner(store, transport, tell, RunnerSettings(sleep=no_wait, **settings))  # type: ignore[arg-type]


def held(store: Store, publication_id: int) -> HeldLease:
    async def renew(length: timedelta) -> bool:
        return await store.renew_publication_lease(publication_id, lease=length)

    return HeldLease(f"publication {publication_id}", renew, LeaseSettings(lease=SHORT, renew_every=SHORT / 3))


@pytest.mark.parametrize("kind", ["text", "forum"])
async def test_a_process_that_lost_its_lease_stops_before_its_next_step_and_the_taker_finishes_once(
    two: tuple[Store, Store], kind: str
) -> None:
    first, second = two
    transport = MemoryTransport()
    publication = await queue_essay(first, transport, kind)
    [(claimed, destination)] = await first.claim_publications(limit=1, lease=timedelta(seconds=SHORT))
    sent_before_freeze: list[int] = []

    def freeze_after_second_step(step: Step, phase: str) -> None:
        if step.seq == 2 and phase == "recorded":
            sent_before_freeze.append(len(transport.calls))
            # The process stalls (a long pause, a frozen VM) past its lease: nothing renews it.
            time.sleep(SHORT + 0.1)

    lease = held(first, publication)
    async with lease:
        with pytest.raises(LeaseLost):
            await runner(first, transport, step_hook=freeze_after_second_step).publish(
                claimed, destination, lease=lease
            )
    assert lease.lost
    assert [len(transport.calls)] == sent_before_freeze == [2]  # nothing sent after the lease ran out
    assert (await first.publication_counts())["pending"] == 1

    # The other process takes it over and resumes from the two recorded steps.
    [(taken, row)] = await second.claim_publications(limit=1, lease=LONG)
    assert taken.id == publication
    assert await second.lease_holders([publication]) == {publication: second.worker}
    assert await runner(second, transport).publish(taken, row, lease=held(second, publication)) == "done"
    channel = transport.channels[destination.channel_id]
    assert_posted(transport, channel)
    assert len(transport.calls) == steps_of(kind)  # every request once, none repeated
    assert (await second.publication_counts())["done"] == 1
    assert await first.lease_holders([publication]) == {}  # finishing released it


async def test_a_held_lease_is_renewed_while_the_work_runs_past_its_length(two: tuple[Store, Store]) -> None:
    first, second = two
    transport = MemoryTransport()
    publication = await queue_essay(first, transport)
    await first.claim_publications(limit=1, lease=timedelta(seconds=SHORT))
    async with held(first, publication) as lease:
        await asyncio.sleep(SHORT * 3)  # a long rate-limit wait, say: the background renewal keeps it
        await lease.check()
        assert await second.claim_publications(limit=1, lease=LONG) == []
    await first.release_publication(publication)
    assert [p.id for p, _ in await second.claim_publications(limit=1, lease=LONG)] == [publication]


async def test_claims_by_server_and_from_an_id_on_keep_a_server_s_order(two: tuple[Store, Store]) -> None:
    first, second = two
    transport = MemoryTransport()
    ours = await queue_essay(first, transport)
    other_guild = GUILD + (1 << 22)
    channel = transport.add_channel(other_guild, "text")
    destination = await first.set_destination(guild_id=other_guild, channel_id=channel.id, kind="text")
    essay = await first.get_essay_by_id((await first.get_publication(ours)).essay_id)  # type: ignore[union-attr]
    assert essay is not None
    theirs = await first.queue_publication(essay.id, destination.id, essay.revision)
    assert theirs is not None and theirs > ours
    [(claimed, _)] = await first.claim_publications(limit=5, lease=LONG, guild_id=other_guild)
    assert claimed.id == theirs
    assert await second.claim_publications(limit=5, lease=LONG, guild_id=GUILD, after=ours) == []
    assert [p.id for p, _ in await second.claim_publications(limit=5, lease=LONG, guild_id=GUILD)] == [ours]


async def test_a_correction_due_is_claimed_as_stale_work_only(two: tuple[Store, Store]) -> None:
    first, second = two
    transport = MemoryTransport()
    publication = await queue_essay(first, transport)
    assert await first.claim_publications(limit=1, lease=LONG, stale=True) == []  # pending, not stale
    [(claimed, row)] = await first.claim_publications(limit=1, lease=LONG)
    assert await runner(first, transport).publish(claimed, row) == "done"
    assert await second.claim_publications(limit=1, lease=LONG, stale=True) == []  # posted, current
    revised = replace(ESSAY, title="The Evening Ferry, revised")
    await store_essay(first, revised, max_sections=6)
    [(stale, _)] = await second.claim_publications(limit=1, lease=LONG, stale=True)
    assert stale.id == publication
    assert await first.claim_publications(limit=1, lease=LONG, stale=True) == []  # held by the other
