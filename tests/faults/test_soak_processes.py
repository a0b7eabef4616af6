"""Soak of issue 21: three bot processes over one PostgreSQL database, each holding one of three
shards, against the local Discord with three servers (one per shard: a text channel, an announcement
channel, a forum) and a feed growing to 50 essays. Every few seconds one process is killed with
SIGKILL and started again. In the end every essay is posted exactly once in every server, nothing is
lost, and feeds that nobody forces due are polled at least once every two poll intervals throughout.

The feed with the essays grows in batches once the last batch is posted, and is made due then (as if
its next poll time had come). Three more feeds never change and are left to the poll schedule: their
poll times (``last_polled_at``, sampled every round) are the measure of "polled within 2 intervals".
Kill times and victims come from a seeded random.Random: a failing run replays with the printed seed.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import signal
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.store import Store, open_store
from tests.fakediscord import FakeDiscord
from tests.faults.test_soak import ATOM, BATCH, ESSAYS, Servers, SoakEssay, atom, check_everything_once, make_essays
from tests.fetch_server import FetchServer, Route
from tests.test_client import TOKEN, Process, on_shard, process_env

pytestmark = [pytest.mark.faults, pytest.mark.e2e]

SEED = 20251206
PROCESSES = 3  # one shard each
POLL_INTERVAL = 60.0  # the shortest the settings allow
LEASE = 2.0  # seconds: a killed process's work is taken over this long after its last renewal
KILL_EVERY = (2.0, 5.0)  # seconds between kills
# Long enough to see every steady feed polled at least twice on schedule.
MIN_DURATION = 2.5 * POLL_INTERVAL
MIN_KILLS = 25  # and at least this many kills: a slow machine restarts slower, so the count is not left to time
STEADY_FEEDS = 3
TOTAL_TIMEOUT = 480.0  # a bound on the whole soak, never reached when things work
READY_TIMEOUT = 30.0


@dataclass(frozen=True)
class Kill:
    at: float  # seconds into the soak
    victim: int  # its shard
    done: int  # publications done when it was killed
    pending: int


def steady_feed(feeds: FetchServer, n: int) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Steady {n}</title><id>tag:steady.example,2025:{n}</id><updated>2025-01-01T00:00:00Z</updated>"
        f'<entry><id>tag:steady.example,2025:{n}:1</id><title>Quiet blog {n}</title><link href="{feeds.url("/q")}"/>'
        "<published>2025-01-01T00:00:00Z</published>"
        f'<content type="html">&lt;p&gt;Nothing new here, blog number {n}, for a while yet.&lt;/p&gt;</content>'
        "</entry></feed>"
    )


async def setup(store: Store, feeds: FetchServer, servers: Servers, quiet_guild: int) -> int:
    """The essay feed followed by all three servers, each with its channel; the steady feeds by a
    fourth server with no channel for them (polled, never posted)."""
    main = None
    for guild, _channel in (servers.text, servers.news, servers.forum):
        main = await store.add_feed(feeds.url("/feed"), guild_id=guild.id)
    await store.set_destination(guild_id=servers.text[0].id, channel_id=servers.text[1].id, kind="text")
    await store.set_destination(guild_id=servers.news[0].id, channel_id=servers.news[1].id, kind="announcement")
    await store.set_destination(guild_id=servers.forum[0].id, channel_id=servers.forum[1].id, kind="forum")
    for n in range(STEADY_FEEDS):
        feeds.route(f"/steady{n}", Route(body=steady_feed(feeds, n), headers=ATOM))
        await store.add_feed(feeds.url(f"/steady{n}"), guild_id=quiet_guild)
    assert main is not None
    return main.id


async def grow(store: Store, feeds: FetchServer, essays: list[SoakEssay], shown: int, feed_id: int) -> int:
    """Once every essay shown so far is posted everywhere, add a batch and make the feed due."""
    counts = await store.publication_counts()
    if shown == ESSAYS or counts["pending"] or counts["done"] < 3 * shown:
        return shown
    shown = min(ESSAYS, shown + BATCH)
    feeds.route("/feed", Route(body=atom(feeds, essays[:shown]), headers=ATOM))
    async with store.transaction() as db:  # its next poll time has come
        await db.execute(f"UPDATE feeds SET next_poll_at = NULL WHERE id = {int(feed_id)}")
    return shown


async def busy_process(store: Store, guild_ids: list[int], rng: random.Random) -> int | None:
    """A process with work in hand, if one gets some within a few seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + KILL_EVERY[1]
    while loop.time() < deadline:
        pending = [(await store.publication_counts(guild_id=g))["pending"] for g in guild_ids]
        if any(pending):
            await asyncio.sleep(rng.uniform(0.0, 0.3))
            return rng.choice([shard for shard, n in enumerate(pending) if n])
        await asyncio.sleep(0.05)
    return None


async def start(fake: FakeDiscord, tmp_path: Path, env: dict[str, str], shard: int, run: int) -> Process:
    before = sum(1 for p in fake.identify_payloads if p.get("shard") == [shard, PROCESSES])
    bot = await Process.start(f"bot-{shard}-{run}", ["-m", "bot", "run"], env, tmp_path)

    def identified() -> bool:
        return sum(1 for p in fake.identify_payloads if p.get("shard") == [shard, PROCESSES]) > before

    try:
        await fake.wait_until(identified, READY_TIMEOUT, f"process {shard} to identify")
    except TimeoutError:
        await bot.kill()
        raise AssertionError(f"process {shard} never identified:\n{bot.output()[-3000:]}") from None
    return bot


async def test_three_processes_on_postgresql_killed_in_turn_post_every_essay_once(pg_url: str, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    essays = make_essays(rng)
    loop = asyncio.get_running_loop()
    bots: dict[int, Process] = {}
    kills: list[Kill] = []
    polls: dict[int, set[datetime]] = {}
    async with (
        asyncio.timeout(TOTAL_TIMEOUT),
        FakeDiscord.start(token=TOKEN) as fake,
        FetchServer() as feeds,
        await open_store(pg_url) as store,
    ):
        # One server on each shard: each process posts to one of them.
        text_guild, news_guild, forum_guild = (
            fake.add_guild(name, guild_id=on_shard(n, PROCESSES)) for n, name in enumerate(("Texts", "News", "Forums"))
        )
        servers = Servers(
            text=(text_guild, fake.add_channel(text_guild, "essays")),
            news=(news_guild, fake.add_channel(news_guild, "essay-news", kind="announcement")),
            forum=(forum_guild, fake.add_channel(forum_guild, "essay-forum", kind="forum")),
        )
        quiet = fake.add_guild("Quiet", guild_id=on_shard(0, PROCESSES, n=1))
        feed_id = await setup(store, feeds, servers, quiet.id)
        guild_ids = [text_guild.id, news_guild.id, forum_guild.id]  # on shards 0, 1, 2
        steady = [f.id for f in await store.list_feeds() if f.id != feed_id]
        shown = await grow(store, feeds, essays, 0, feed_id)

        def env(shard: int) -> dict[str, str]:
            return process_env(
                DISCORD_TOKEN=TOKEN,
                DISCORD_API_BASE=fake.api_base,
                DISCORD_GATEWAY_URL=fake.gateway_url,
                DATABASE_URL=pg_url,
                SHARD_COUNT=str(PROCESSES),
                SHARD_IDS=str(shard),
                ALLOW_PRIVATE_FEEDS="true",
                POLL_INTERVAL_SECONDS=str(POLL_INTERVAL),
                FIRST_POLL_POSTS=str(BATCH),
                LEASE_SECONDS=str(LEASE),
                LEASE_RENEW_SECONDS=str(LEASE / 4),
                LOG_LEVEL="INFO",
            )

        started = loop.time()
        runs = 0
        aim = False
        try:
            for shard in range(PROCESSES):
                bots[shard] = await start(fake, tmp_path, env(shard), shard, runs)
            while True:
                counts = await store.publication_counts()
                finished = shown == ESSAYS and counts["done"] == 3 * ESSAYS and not counts["pending"]
                if finished and loop.time() - started >= MIN_DURATION and len(kills) >= MIN_KILLS:
                    break
                # After a batch was added, the next kill is aimed at once: a process started then polls it as
                # soon as it is ready and posts it in about a second, often within the usual wait.
                await asyncio.sleep(0.0 if aim else rng.uniform(*KILL_EVERY))
                for feed in await store.list_feeds():
                    if feed.id in steady and feed.last_polled_at is not None:
                        polls.setdefault(feed.id, set()).add(feed.last_polled_at)
                grown = await grow(store, feeds, essays, shown, feed_id)
                # The kills go on once all is posted: the polling must keep its schedule through them.
                victim = rng.randrange(PROCESSES)
                if aim:
                    # A batch was added last round, and the process started then polled it at once:
                    # kill a process while it posts it.
                    busy = await busy_process(store, guild_ids, rng)
                    victim = victim if busy is None else busy
                aim = grown > shown
                shown = grown
                counts = await store.publication_counts()
                bots[victim].proc.send_signal(signal.SIGKILL)
                await bots[victim].proc.wait()
                kills.append(Kill(round(loop.time() - started, 1), victim, counts["done"], counts["pending"]))
                runs += 1
                bots[victim] = await start(fake, tmp_path, env(victim), victim, runs)
            ended = loop.time()
            stopped_at = datetime.now(UTC)
            for shard, bot in bots.items():
                assert await bot.stop(signal.SIGTERM) == 0, f"process {shard}:\n{bot.output()[-3000:]}"
            last = {f.id: f.last_polled_at for f in await store.list_feeds() if f.id in steady}
        finally:
            for bot in bots.values():
                await bot.kill()

        print(f"\nsoak of {PROCESSES} processes: seed={SEED} kills={len(kills)} seconds={ended - started:.0f}")
        for kill in kills:
            print(f"  {kill}")
        assert len(kills) >= MIN_KILLS
        assert {kill.victim for kill in kills} == set(range(PROCESSES))
        assert len([k for k in kills if k.pending]) >= 5  # landed with work queued
        fake.assert_clean()
        # Each server is talked to by the process holding its shard only: each identified on its own.
        assert {tuple(p["shard"]) for p in fake.identify_payloads} == {(n, PROCESSES) for n in range(PROCESSES)}

        counts = await check_everything_once(pg_url, fake, servers, feed_id=feed_id)
        print(f"final counts={counts}")

        # Every steady feed polled on schedule: at least every 2 intervals, from start to end.
        span = ended - started
        for feed in steady:
            times = sorted(polls.get(feed, set()) | ({last[feed]} if last[feed] else set()))
            assert len(times) >= 2, f"feed {feed} polled {len(times)} times in {span:.0f} s"
            gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
            print(f"  steady feed {feed}: {len(times)} polls, gaps {[round(g) for g in gaps]}")
            assert max(gaps) <= 2 * POLL_INTERVAL, f"feed {feed}: gaps {gaps}"
            assert (stopped_at - times[-1]).total_seconds() <= 2 * POLL_INTERVAL
