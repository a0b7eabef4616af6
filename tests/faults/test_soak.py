"""Soak: the bot process is killed (SIGKILL) again and again while it polls a growing feed and
posts 50 essays to three servers; in the end every essay is posted exactly once everywhere.

The fake Discord runs in this test's process; the bot is `python -m bot run`, pointed at it with
DISCORD_API_BASE / DISCORD_GATEWAY_URL / DISCORD_TOKEN and reading a feed served on 127.0.0.1.
The feed grows in batches while the bot is down (as if time passed): the batch is added and the
feed made due, so the next start polls it for real. Kill times come from a seeded
random.Random, so a failing run can be replayed with the printed seed.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import signal
import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

import pytest

from bot.publishing.plan import Destination, forum_post_name, plan_publication, thread_name
from bot.publishing.render import section_messages
from bot.store import open_store
from tests.fakediscord import FakeDiscord
from tests.fakediscord.state import Channel, Guild
from tests.fetch_server import FetchServer, Route
from tests.test_client import TOKEN, Process, process_env

pytestmark = pytest.mark.faults

SEED = 20250611
ESSAYS = 50
BATCH = 5  # essays added to the feed at a time (while the bot is down), once the last batch is posted
KILLS = 24
# Most kills land at a random moment once publications are queued (so they hit the publishing);
# the others at any moment after the bot connected (polling, start-up).
ANYTIME_SHARE = 0.25
ANYTIME_DELAY = (0.1, 2.5)
PUBLISHING_DELAY = (0.0, 0.12)  # after its first Discord write of the run
TOTAL_TIMEOUT = 240.0  # a bound on the whole soak, never reached when things work
READY_TIMEOUT = 20.0
LEASE_SECONDS = 2.0
ATOM = {"Content-Type": "application/atom+xml; charset=utf-8"}

# Word stock for the generated essays: the text is assembled here, never taken from anywhere.
PLACES = ["Harwick", "Lomond Ferry", "Caddis Row", "Ostler Bay", "Penhallow", "the Upper Weir", "Brisk Lane"]
SUBJECTS = ["the tide tables", "the grain store", "a reading room", "the night bus", "the bell foundry", "a ledger"]
VERBS = ["repaired", "argued over", "counted", "rebuilt", "mapped", "taxed", "forgot", "measured"]
PEOPLE = ["Anneke Roos", "Tobiah Wren", "Sela Marchetti", "Idris Calloway", "Maren Holt"]
HEADINGS = ["Where it began", "The first winter", "Money and doubt", "What changed", "The long view", "An aside"]


@dataclass(frozen=True)
class SoakEssay:
    number: int
    title: str
    sections: list[tuple[str, list[str]]]  # heading, paragraphs
    published: datetime

    @property
    def entry_id(self) -> str:
        return f"tag:soak.example,2025:essay-{self.number}"


def make_essays(rng: random.Random) -> list[SoakEssay]:
    essays: list[SoakEssay] = []
    start = datetime(2025, 1, 1, 8, 0, tzinfo=UTC)
    for number in range(1, ESSAYS + 1):
        place = rng.choice(PLACES)
        title = f"Notes from {place}, part {number}"
        headings = rng.sample(HEADINGS, rng.choice((2, 3)))
        sections = []
        for heading in headings:
            paragraphs = []
            for _ in range(2):
                who, what, verb = rng.choice(PEOPLE), rng.choice(SUBJECTS), rng.choice(VERBS)
                amount = rng.randint(3, 900)
                paragraphs.append(
                    f"In {place} the council {verb} {what} for the {number}th time, and {amount} residents "
                    f"came to watch. “Nobody asked us first,” said {who}, who had lived there for "
                    f"{rng.randint(2, 60)} years. The minutes of that meeting run to {rng.randint(4, 40)} pages."
                )
            sections.append((heading, paragraphs))
        essays.append(SoakEssay(number, title, sections, start + timedelta(days=number)))
    return essays


def atom(server: FetchServer, essays: list[SoakEssay]) -> str:
    entries = []
    for essay in sorted(essays, key=lambda e: e.published, reverse=True):
        html = "".join(
            f"<h2>{escape(heading)}</h2>" + "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
            for heading, paragraphs in essay.sections
        )
        stamp = essay.published.isoformat().replace("+00:00", "Z")
        entries.append(
            f"<entry><id>{essay.entry_id}</id><title>{escape(essay.title)}</title>"
            f'<link rel="alternate" href="{server.url(f"/essays/{essay.number}")}"/>'
            f"<author><name>Ines Halloran</name></author><published>{stamp}</published><updated>{stamp}</updated>"
            f'<content type="html">{escape(html)}</content></entry>'
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Soak Notes</title><id>tag:soak.example,2025:feed</id>"
        f"<updated>2025-06-01T00:00:00Z</updated>{''.join(entries)}</feed>"
    )


@dataclass
class Servers:
    text: tuple[Guild, Channel]
    news: tuple[Guild, Channel]
    forum: tuple[Guild, Channel]


def publication_states(db: Path) -> Counter[str]:
    """Read-only look at the queue while the bot runs (SQLite allows a second reader)."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
        rows = conn.execute("SELECT state, count(*) FROM publications GROUP BY state").fetchall()
    return Counter({state: n for state, n in rows})


async def setup_store(db: Path, feed_url: str, servers: Servers) -> None:
    store = await open_store(db)
    try:
        for guild, _channel in (servers.text, servers.news, servers.forum):
            await store.add_feed(feed_url, guild_id=guild.id)
        await store.set_destination(guild_id=servers.text[0].id, channel_id=servers.text[1].id, kind="text")
        await store.set_destination(guild_id=servers.news[0].id, channel_id=servers.news[1].id, kind="announcement")
        await store.set_destination(guild_id=servers.forum[0].id, channel_id=servers.forum[1].id, kind="forum")
    finally:
        await store.close()


async def grow_feed(db: Path, feeds: FetchServer, essays: list[SoakEssay], shown: int) -> int:
    """While the bot is down: once the feed's entries were all seen and posted, add a batch and make it due."""
    store = await open_store(db)
    try:
        (feed,) = await store.list_feeds()
        if shown and await store.seen_count(feed.id) < shown:
            return shown  # the last batch was not polled yet (killed too early): leave it due
        if (await store.publication_counts())["pending"] or shown == ESSAYS:
            return shown  # work left: the next run resumes it
        shown = min(ESSAYS, shown + BATCH)
        feeds.route("/feed", Route(body=atom(feeds, essays[:shown]), headers=ATOM))
        # Time passes while the bot is down: the feed's next poll is due.
        async with store.transaction() as conn:
            await conn.execute("UPDATE feeds SET next_poll_at = NULL")
        return shown
    finally:
        await store.close()


async def start_bot(fake: FakeDiscord, tmp_path: Path, env: dict[str, str], run: int) -> Process:
    before = len(fake.identify_payloads)
    bot = await Process.start(f"bot-{run}", ["-m", "bot", "run"], env, tmp_path)
    try:
        await fake.wait_until(lambda: len(fake.identify_payloads) > before, READY_TIMEOUT, "the bot to identify")
    except TimeoutError:
        await bot.kill()
        raise AssertionError(f"run {run} never identified:\n{bot.output()[-3000:]}") from None
    return bot


async def test_soak_kill9_while_publishing_posts_every_essay_exactly_once(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    essays = make_essays(rng)
    db = tmp_path / "db.sqlite3"
    kills: list[Kill] = []
    bot: Process | None = None
    async with asyncio.timeout(TOTAL_TIMEOUT), FakeDiscord.start(token=TOKEN) as fake, FetchServer() as feeds:
        text_guild, news_guild, forum_guild = (fake.add_guild(name) for name in ("Texts", "News", "Forums"))
        servers = Servers(
            text=(text_guild, fake.add_channel(text_guild, "essays")),
            news=(news_guild, fake.add_channel(news_guild, "essay-news", kind="announcement")),
            forum=(forum_guild, fake.add_channel(forum_guild, "essay-forum", kind="forum")),
        )
        await setup_store(db, feeds.url("/feed"), servers)
        env = process_env(
            DISCORD_TOKEN=TOKEN,
            DISCORD_API_BASE=fake.api_base,
            DISCORD_GATEWAY_URL=fake.gateway_url,
            DB_PATH=str(db),
            ALLOW_PRIVATE_FEEDS="true",
            POLL_INTERVAL_SECONDS="60",
            FIRST_POLL_POSTS=str(BATCH),
            LOG_LEVEL="INFO",
            # A killed run's claims hold its work until they run out: short ones, so each restart
            # resumes within seconds (the default minute would outlast a run of this soak).
            LEASE_SECONDS=str(LEASE_SECONDS),
            LEASE_RENEW_SECONDS=str(LEASE_SECONDS / 4),
        )
        shown = 0
        try:
            for run in range(KILLS):
                shown = await grow_feed(db, feeds, essays, shown)
                if shown == ESSAYS and not publication_states(db)["pending"]:
                    break  # nothing left to interrupt
                since = len(fake.requests)
                bot = await start_bot(fake, tmp_path, env, run)
                kills.append(await kill_at_random(db, fake, bot, rng, shown, since))
            while shown < ESSAYS:  # the kills ended before the last batches: add them now
                shown = await grow_feed(db, feeds, essays, shown)
                bot = await start_bot(fake, tmp_path, env, len(kills) + shown)
                await wait_for_queue(db, bot, expected=3 * shown)
                assert await bot.stop(signal.SIGTERM) == 0
            # A final clean run until the queue is empty.
            bot = await start_bot(fake, tmp_path, env, 1000)
            await wait_for_queue(db, bot, expected=3 * ESSAYS)
            assert await bot.stop(signal.SIGTERM) == 0
        finally:
            if bot is not None:
                await bot.kill()

        print(f"\nsoak seed={SEED} kills={len(kills)}")
        for kill in kills:
            print(f"  {kill}")
        assert len(kills) >= 20
        # The kills were spread over the publishing: most landed with work queued, at many points.
        mid_publishing = [k for k in kills if k.pending > 0]
        assert len(mid_publishing) >= 12
        assert len({k.done for k in mid_publishing}) >= 8
        fake.assert_clean()

        with contextlib.closing(sqlite3.connect(db)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        counts = await check_everything_once(db, fake, servers)
        lookups = len(fake.requests_to("GET", r"^/channels/\d+/messages$"))
        print(f"soak final counts={counts} recovery-lookups={lookups} requests={len(fake.requests)}")


@dataclass(frozen=True)
class Kill:
    when: str  # "publishing" or "anytime"
    delay: float  # seconds after the moment the kill was timed from
    essays_in_feed: int
    done: int  # publications done when the bot was killed
    pending: int  # publications queued and not done


async def kill_at_random(db: Path, fake: FakeDiscord, bot: Process, rng: random.Random, shown: int, since: int) -> Kill:
    """SIGKILL the bot at a random moment: usually while it publishes, sometimes at any time.

    ``since``: the index of the first request of this run in ``fake.requests``.
    """
    when = "anytime" if rng.random() < ANYTIME_SHARE else "publishing"
    if when == "publishing":
        delay = rng.uniform(*PUBLISHING_DELAY)

        def publishing() -> bool:
            return any(r.method in ("POST", "PATCH") and r.path.startswith("/channels/") for r in fake.requests[since:])

        queued_at_start = publication_states(db)["pending"]

        def drained() -> bool:
            # A run can finish its queue without a write: the last kill landed after Discord
            # took the message and before the bot recorded it, and recovery finds it by lookup.
            return bool(queued_at_start) and not publication_states(db)["pending"]

        try:
            await fake.wait_until(lambda: publishing() or drained(), READY_TIMEOUT, "the bot to start publishing")
        except TimeoutError:
            raise AssertionError(f"nothing was published:\n{bot.output()[-3000:]}") from None
    else:
        delay = rng.uniform(*ANYTIME_DELAY)
    await asyncio.sleep(delay)
    states = publication_states(db)
    bot.proc.send_signal(signal.SIGKILL)
    await bot.proc.wait()
    return Kill(when, round(delay, 3), shown, states["done"], states["pending"])


async def wait_for_queue(db: Path, bot: Process, *, expected: int) -> None:
    """Until nothing is pending and ``expected`` publications are done."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60.0
    while True:
        states = publication_states(db)
        if states["pending"] == 0 and states["done"] == expected:
            return
        if bot.proc.returncode is not None or loop.time() > deadline:
            raise AssertionError(f"queue not drained ({dict(states)}):\n{bot.output()[-4000:]}")
        await asyncio.sleep(0.1)


async def check_everything_once(
    db: Path | str, fake: FakeDiscord, servers: Servers, *, feed_id: int | None = None
) -> dict[str, int]:
    """Per server: exactly the messages and threads the plans call for, each essay (of ``feed_id``) once."""
    store = await open_store(db)
    try:
        pubs = await store.publication_counts()
        assert pubs == {"pending": 0, "done": 3 * ESSAYS, "stopped": 0}
        stored = [row for row in await store.list_essays(limit=1000, feed_id=feed_id)]
        assert len(stored) == ESSAYS
        analyses = {row.id: await store.load_analysis(row.id) for row in stored}
    finally:
        await store.close()

    counts: dict[str, int] = {"publications_done": pubs["done"]}
    for kind, (guild, channel) in (("text", servers.text), ("announcement", servers.news)):
        posted = fake.bot_messages(channel)
        cards = [m for m in posted if m.embeds]
        by_title = Counter(m.embeds[0]["title"] for m in cards)
        assert sorted(by_title.values()) == [1] * ESSAYS, f"{kind}: cards per essay {by_title}"
        threads = {t.id: t for t in fake.threads(channel)}
        anchors = {m.id: m for m in posted if not m.embeds}
        planned_messages = planned_threads = 0
        for row in stored:
            analysis = analyses[row.id]
            plan = plan_publication(row.essay, analysis, Destination(guild.id, channel.id, kind))  # type: ignore[arg-type]
            actions = Counter(step.action for step in plan)
            planned_messages += actions["card"] + actions["anchor"] + actions["thread_text"]
            planned_threads += actions["thread"]
            (card,) = [m for m in cards if m.embeds[0]["title"] == row.essay.title]
            assert card.crossposted == (kind == "announcement")
            linked = [int(i) for i in re.findall(rf"/{channel.id}/(\d+)\)", card.embeds[0]["description"])]
            assert len(linked) == len(analysis.sections), f"{row.essay.title}: card links {linked}"
            for anchor_id, section in zip(linked, analysis.sections, strict=True):
                assert anchor_id in anchors and anchor_id in threads
                assert threads[anchor_id].name == thread_name(section.index, section.title)
                assert [m.content for m in fake.bot_messages(anchor_id)] == section_messages(section)
        thread_messages = sum(len(fake.bot_messages(t)) for t in threads)
        assert len(posted) + thread_messages == planned_messages, kind
        assert len(threads) == planned_threads, kind
        counts[f"{kind}_messages"] = len(posted) + thread_messages
        counts[f"{kind}_threads"] = len(threads)

    guild, forum = servers.forum
    posts = fake.threads(forum)
    by_name = Counter(p.name for p in posts)
    planned_posts = planned_messages = 0
    for row in stored:
        analysis = analyses[row.id]
        plan = plan_publication(row.essay, analysis, Destination(guild.id, forum.id, "forum"))
        actions = Counter(step.action for step in plan)
        planned_posts += actions["forum_post"]
        planned_messages += actions["forum_post"] + actions["forum_text"]
        for section in analysis.sections:
            name = forum_post_name(row.essay.title, section.index, section.title)
            assert by_name[name] == 1, f"forum posts named {name!r}: {by_name[name]}"
            (post,) = [p for p in posts if p.name == name]
            assert [m.content for m in fake.bot_messages(post)] == section_messages(section)
    assert len(posts) == planned_posts
    forum_messages = sum(len(fake.bot_messages(p)) for p in posts)
    assert forum_messages == planned_messages
    counts["forum_posts"] = len(posts)
    counts["forum_messages"] = forum_messages
    return counts
