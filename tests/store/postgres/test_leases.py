"""Work sharing between processes: two stores stand for two bot processes, on each backend.

On PostgreSQL two connection pools to one database; on SQLite two connections to one file (one
SQLite file is one process's in production, but its claims hold the same between connections).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.essays.analysis import analyse
from bot.essays.model import Block, Essay
from bot.store import Shards, SQLiteStore, Store
from bot.store.postgres import PostgresStore
from tests.store.postgres.conftest import fresh_database

LONG = timedelta(minutes=5)
GUILD = 1 << 22  # on shard 1 of 2 ((guild_id >> 22) % 2)


@pytest.fixture(params=["sqlite", "postgres"])
async def two(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[Store, Store]]:
    """Two stores over one database: two processes."""
    if request.param == "sqlite":
        path = tmp_path / "shared.sqlite3"
        async with (
            await SQLiteStore.open(path, worker="process-a") as first,
            await SQLiteStore.open(path, worker="process-b") as second,
        ):
            yield first, second
        return
    async with (
        fresh_database(request.getfixturevalue("pg_admin_url")) as url,
        await PostgresStore.open(url, worker="process-a") as first,
        await PostgresStore.open(url, worker="process-b") as second,
    ):
        yield first, second


async def add_feeds(store: Store, count: int) -> list[int]:
    return [(await store.add_feed(f"https://blog{n}.example/feed", guild_id=GUILD)).id for n in range(count)]


async def queue(store: Store, count: int, guild_id: int = GUILD, channel_id: int = 7) -> list[int]:
    destination = await store.set_destination(guild_id=guild_id, channel_id=channel_id, kind="text")
    ids = []
    for n in range(count):
        essay = Essay(
            key=f"https://blog.example/{guild_id}/{n}",
            title=f"Essay {n}",
            blocks=(Block("p", f"The body of essay number {n}."),),
            published=datetime(2025, 1, 1 + n % 28, tzinfo=UTC),
        )
        outcome = await store.save_essay(essay, analyse(essay))
        publication = await store.queue_publication(outcome.essay_id, destination.id, outcome.revision)
        assert publication is not None
        ids.append(publication)
    return ids


async def test_two_processes_claiming_feeds_at_once_never_take_the_same_one(
    two: tuple[Store, Store],
) -> None:
    first, second = two
    feeds = await add_feeds(first, 12)
    claims = await asyncio.gather(*(store.claim_due_feeds(limit=2, lease=LONG) for store in (first, second) * 4))
    taken = [feed.id for claim in claims for feed in claim]
    assert sorted(taken) == sorted(feeds)  # each feed once, none left
    assert await first.claim_due_feeds(limit=5, lease=LONG) == []


async def test_a_dead_process_feed_is_taken_over_once_its_lease_runs_out(
    two: tuple[Store, Store],
) -> None:
    first, second = two
    [feed] = await add_feeds(first, 1)
    assert [f.id for f in await first.claim_due_feeds(limit=1, lease=timedelta(milliseconds=200))] == [feed]
    assert await second.claim_due_feeds(limit=1, lease=LONG) == []  # held
    await asyncio.sleep(0.3)  # the first process died: it renews nothing
    assert [f.id for f in await second.claim_due_feeds(limit=1, lease=LONG)] == [feed]
    # The first process, come back, has lost it and must not poll.
    assert not await first.renew_feed_lease(feed, lease=LONG)
    assert await second.renew_feed_lease(feed, lease=LONG)


async def test_recording_a_poll_releases_the_feed_until_it_is_due_again(
    two: tuple[Store, Store],
) -> None:
    first, second = two
    [feed] = await add_feeds(first, 1)
    await first.claim_due_feeds(limit=1, lease=LONG)
    await first.record_poll_success(
        feed, result="ok", etag=None, last_modified=None, title=None, next_poll_at=datetime.now(UTC) + LONG
    )
    assert await second.claim_due_feeds(limit=1, lease=LONG) == []  # released, but not due
    await first.record_poll_failure(feed, error="timeout", next_poll_at=datetime.now(UTC) - timedelta(seconds=1))
    assert [f.id for f in await second.claim_due_feeds(limit=1, lease=LONG)] == [feed]


@pytest.mark.parametrize(
    ("paused_feed", "paused_follow", "claimed"),
    [(False, False, True), (True, False, False), (False, True, False)],
)
async def test_a_feed_paused_for_everyone_is_not_claimed(
    any_store: Store, paused_feed: bool, paused_follow: bool, claimed: bool
) -> None:
    [feed] = await add_feeds(any_store, 1)
    if paused_feed:
        await any_store.set_feed_paused(feed, True)
    if paused_follow:
        await any_store.set_feed_paused(feed, True, guild_id=GUILD)
    assert bool(await any_store.claim_due_feeds(limit=1, lease=LONG)) is claimed


async def test_two_processes_claiming_publications_at_once_never_take_the_same_one(
    two: tuple[Store, Store],
) -> None:
    first, second = two
    publications = await queue(first, 10)
    rounds = await asyncio.gather(
        *(store.claim_publications(limit=3, lease=LONG) for store in (first, second, second, first))
    )
    taken = [publication.id for claim in rounds for publication, _ in claim]
    assert sorted(taken) == publications
    holders = await first.lease_holders(publications)
    by_worker = {
        pid: worker
        for claim, store in zip(rounds, (first, second, second, first), strict=True)
        for pid in (p.id for p, _ in claim)
        for worker in [store.worker]
    }
    assert holders == by_worker


async def test_a_dead_process_publication_is_taken_over_and_finishing_releases_it(
    two: tuple[Store, Store],
) -> None:
    first, second = two
    [publication] = await queue(first, 1)
    [(claimed, destination)] = await first.claim_publications(limit=1, lease=timedelta(milliseconds=200))
    assert (claimed.id, destination.guild_id) == (publication, GUILD)
    assert await second.claim_publications(limit=1, lease=LONG) == []
    await asyncio.sleep(0.3)
    [(taken, _)] = await second.claim_publications(limit=1, lease=LONG)
    assert taken.id == publication
    assert not await first.renew_publication_lease(publication, lease=LONG)
    await second.finish_publication(publication)
    assert await first.lease_holders([publication]) == {}
    assert await first.claim_publications(limit=1, lease=LONG) == []  # done: nothing to claim


async def test_a_released_publication_is_free_at_once(two: tuple[Store, Store]) -> None:
    first, second = two
    [publication] = await queue(first, 1)
    await first.claim_publications(limit=1, lease=LONG)
    await second.release_publication(publication)  # not its claim: nothing happens
    assert await second.claim_publications(limit=1, lease=LONG) == []
    await first.release_publication(publication)
    assert [p.id for p, _ in await second.claim_publications(limit=1, lease=LONG)] == [publication]


@pytest.mark.parametrize(
    ("shards", "claimed"),
    [(Shards(ids=[1], count=2), True), (Shards(ids=[0], count=2), False), (None, True), (Shards([0, 1], 2), True)],
)
async def test_a_process_claims_only_publications_of_servers_on_its_shards(
    any_store: Store, shards: Shards | None, claimed: bool
) -> None:
    await queue(any_store, 1)  # GUILD is on shard 1 of 2
    assert bool(await any_store.claim_publications(limit=1, lease=LONG, shards=shards)) is claimed
    if shards is not None:
        assert shards.holds(GUILD) is claimed


async def test_stopped_destinations_and_removed_servers_are_not_claimed(any_store: Store) -> None:
    await queue(any_store, 1, guild_id=GUILD, channel_id=7)
    await queue(any_store, 1, guild_id=GUILD + 1, channel_id=8)
    stopped = await any_store.get_destination_for_channel(GUILD, 7)
    assert stopped is not None
    await any_store.stop_destination(stopped.id, "Missing Access")
    await any_store.set_guild_removed(GUILD + 1, True)
    assert await any_store.claim_publications(limit=5, lease=LONG) == []
