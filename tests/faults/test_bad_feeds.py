"""The real poller and store against the corpus of bad feeds in ``badfeeds.py``, served on 127.0.0.1.

For every case: no exception out of ``poll_feed``; nothing queued but genuinely new entries;
a one-line reason in the report and in the feed's ``last_error`` when the poll fails; and
the feed recovers (ok, failure count reset, a recovery message) once the good feed is back.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.essays.model import Analysis, Entry
from bot.fetch import Fetcher, FetchPolicy
from bot.intake import entry_to_essay
from bot.poller import PollReport, PollSettings, poll_feed, should_tell_failure
from bot.store import FeedRow, Store, open_store
from tests.faults.badfeeds import (
    CASES,
    FEED_TITLE,
    KNOWN,
    MIB,
    NEW,
    BadFeed,
    Post,
    Routes,
    good,
    log_posts,
    serve_posts,
    thousands,
)
from tests.fetch_server import FetchServer

pytestmark = pytest.mark.faults

GUILD = 4242
CHANNEL = 5151
NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
SETTINGS = PollSettings(first_poll_posts=1)
PASSWD_MARK = "root:x:0:0"


@pytest.fixture
async def server() -> AsyncIterator[FetchServer]:
    async with FetchServer() as srv:
        yield srv


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await open_store(tmp_path / "faults.sqlite3") as opened:
        yield opened


def fetch_policy(case: BadFeed | None = None) -> FetchPolicy:
    """Only the test server itself is reachable: every other private or loopback address is refused."""
    limits = case.policy if case else {}
    return FetchPolicy(
        allowed_networks=("127.0.0.1/32",),
        connect_timeout=2.0,
        read_timeout=limits.get("read_timeout", 2.0),
        total_timeout=limits.get("total_timeout", 5.0),
    )


def install(server: FetchServer, routes: Routes) -> None:
    for path, route in routes.items():
        server.route(path, route)


async def follow(store: Store, server: FetchServer) -> FeedRow:
    feed = await store.add_feed(server.url("/feed"), guild_id=GUILD)
    await store.set_destination(guild_id=GUILD, channel_id=CHANNEL, kind="text")
    return feed


async def poll(store: Store, fetcher: Fetcher, feed: FeedRow, now: datetime) -> PollReport:
    return await poll_feed(store, fetcher, feed, settings=SETTINGS, now=now, rng=random.Random(3))


async def pending(store: Store) -> list[tuple[int, int]]:
    return [(p.essay_id, p.destination_id) for p in await store.pending_publications()]


async def titles_of(store: Store, publications: list[tuple[int, int]]) -> list[str]:
    titles = []
    for essay_id, _ in publications:
        row = await store.get_essay_by_id(essay_id)
        assert row is not None
        titles.append(row.essay.title)
    return titles


async def stored_text_mentions(store: Store, needle: str) -> bool:
    return any(
        needle in row.essay.title or any(needle in block.text for block in row.essay.blocks)
        for row in await store.list_essays(limit=100_000)
    )


async def current(store: Store, feed: FeedRow) -> FeedRow:
    row = await store.get_feed(feed.id)
    assert row is not None
    return row


def check_failure(case: BadFeed, report: PollReport, row: FeedRow, *, failures: int, now: datetime, name: str) -> None:
    """A failed poll: nothing stored or queued, one clear line for the moderators and in the feed's row."""
    assert not report.ok
    assert (report.new, report.revised, report.queued) == ([], [], 0)
    assert row.consecutive_failures == failures
    assert row.last_error is not None and "\n" not in row.last_error
    assert case.reason in row.last_error, row.last_error
    if should_tell_failure(failures):
        assert report.message is not None and "\n" not in report.message
        assert report.message.startswith(f"{name} could not be read: {row.last_error}"), report.message
        assert f"{failures} failure{'s' if failures > 1 else ''} in a row" in report.message
    assert row.next_poll_at is not None and row.next_poll_at > now
    if case.retry_after is not None:
        assert row.next_poll_at >= now + timedelta(seconds=case.retry_after)


def failures_phrase(count: int) -> str:
    return f"{count} failure{'s' if count > 1 else ''}"


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
async def test_bad_feed_on_a_primed_feed(
    case: BadFeed, server: FetchServer, store: Store, record_property: Callable[[str, object], None]
) -> None:
    record_property("fault", case.fault)
    async with Fetcher(fetch_policy(case)) as fetcher:
        feed = await follow(store, server)
        install(server, good(server))
        assert (await poll(store, fetcher, feed, NOW - timedelta(hours=1))).ok
        before = await pending(store)
        essays_before = await store.essay_count()

        reports = []
        for number, serve in enumerate(case.polls, start=1):
            install(server, serve(server))
            now = NOW + timedelta(hours=number)
            report = await poll(store, fetcher, feed, now)
            reports.append(report)
            row = await current(store, feed)
            if case.expect == "fail":
                check_failure(case, report, row, failures=number, now=now, name=FEED_TITLE)
            else:
                assert report.ok, report.message
                assert row.consecutive_failures == 0 and row.last_error is None

        after = await pending(store)
        assert after[: len(before)] == before
        assert await titles_of(store, after[len(before) :]) == list(case.new_titles)
        assert all(report.revised == [] for report in reports)  # known essays read back unchanged
        if case.expect == "fail":
            assert await store.essay_count() == essays_before
        elif case.reason:
            assert any(case.reason in (report.message or "") for report in reports)
        if case.told_once:
            assert case.reason in (reports[0].message or "")
            assert [report.message for report in reports[1:]] == [None] * (len(reports) - 1)
        assert not await stored_text_mentions(store, PASSWD_MARK)
        for path in case.never_requested:
            assert server.hits(path) == 0, path

        install(server, good(server))
        recovered = await poll(store, fetcher, feed, NOW + timedelta(days=2))
        row = await current(store, feed)
        assert recovered.ok
        assert (recovered.new, recovered.revised, recovered.queued) == ([], [], 0)
        assert (row.consecutive_failures, row.last_error) == (0, None)
        if case.expect == "fail":
            assert recovered.message == f"{FEED_TITLE} is working again after {failures_phrase(len(case.polls))}."
        assert await pending(store) == after


FIRST_POLL_CASES = [case for case in CASES if case.first_poll]


@pytest.mark.parametrize("case", FIRST_POLL_CASES, ids=lambda case: case.name)
async def test_bad_feed_on_a_first_poll(
    case: BadFeed, server: FetchServer, store: Store, record_property: Callable[[str, object], None]
) -> None:
    record_property("fault", case.fault)
    async with Fetcher(fetch_policy(case)) as fetcher:
        feed = await follow(store, server)
        for number, serve in enumerate(case.polls, start=1):
            install(server, serve(server))
            now = NOW + timedelta(hours=number)
            report = await poll(store, fetcher, feed, now)
            row = await current(store, feed)
            if case.expect == "fail":
                check_failure(case, report, row, failures=number, now=now, name=feed.url)
                assert not row.primed
            else:
                assert report.ok, report.message
                assert row.primed
        if case.expect == "fail":
            assert await store.essay_count() == 0
            assert await pending(store) == []
        else:
            # The first poll never floods the channel, whatever the feed looks like.
            assert len(await pending(store)) <= SETTINGS.first_poll_posts
        assert not await stored_text_mentions(store, PASSWD_MARK)

        if case.expect == "fail":
            install(server, good(server))
            recovered = await poll(store, fetcher, feed, NOW + timedelta(days=2))
            row = await current(store, feed)
            assert recovered.ok and row.primed and row.consecutive_failures == 0
            assert recovered.queued == SETTINGS.first_poll_posts
            assert recovered.message is not None
            assert recovered.message.startswith(
                f"{FEED_TITLE} is working again after {failures_phrase(len(case.polls))}. "
                f"Connected {FEED_TITLE}: found {len(KNOWN)} essays"
            )


async def test_empty_feed_on_a_first_poll_is_a_quiet_new_blog(
    server: FetchServer, store: Store, record_property: Callable[[str, object], None]
) -> None:
    record_property("fault", "volume")
    async with Fetcher(fetch_policy()) as fetcher:
        feed = await follow(store, server)
        install(server, serve_posts()(server))
        report = await poll(store, fetcher, feed, NOW)
        assert report.ok and report.queued == 0
        assert report.message is not None and "found 0 essays" in report.message
        assert (await current(store, feed)).primed

        install(server, good(server))
        later = await poll(store, fetcher, feed, NOW + timedelta(hours=1))
        # A new blog's first essays are genuinely new: posted, oldest first.
        assert later.ok and later.queued == len(KNOWN)
        assert await titles_of(store, await pending(store)) == [item.title for item in KNOWN]


async def seed_seen_essays(store: Store, server: FetchServer, feed: FeedRow, posts: list[Post]) -> None:
    """Store ``posts`` as essays the feed has shown, in one transaction.

    This stands for a feed followed for years; storing 5,000 essays one poll at a time (with
    their analysis) would take most of the suite's time budget and is not what is tested here.
    """
    essays = [
        entry_to_essay(
            Entry(source=feed.url, title=p.title, entry_id=p.entry_id, url=server.url(p.path or ""), html=p.html())
        )
        for p in posts
    ]
    # One transaction for all of them (the batch path of a large ingest), without analysis.
    outcomes = await store.save_essays([(essay, Analysis(), feed.id) for essay in essays])
    for essay, outcome in zip(essays, outcomes, strict=True):
        await store.mark_seen(feed.id, essay.key, outcome.essay_id)
    await store.record_poll_success(
        feed.id, result="ok", etag=None, last_modified=None, title=FEED_TITLE, next_poll_at=NOW, primed=True
    )


async def test_feed_with_5000_entries_is_read_within_the_size_cap(
    server: FetchServer, store: Store, record_property: Callable[[str, object], None]
) -> None:
    record_property("fault", "volume")
    logs = log_posts(5000)
    policy = fetch_policy()
    async with Fetcher(policy) as fetcher:
        feed = await follow(store, server)
        await seed_seen_essays(store, server, feed, logs)
        install(server, thousands([*logs, NEW])(server))
        size = len(server.routes["/feed"].body)
        assert MIB < size < policy.max_body_bytes

        report = await poll(store, fetcher, feed, NOW + timedelta(hours=1))
        assert report.ok, report.message
        assert (len(report.new), report.revised, report.queued) == (1, [], 1)
        assert await titles_of(store, await pending(store)) == [NEW.title]
        assert await store.essay_count() == len(logs) + 1
        assert NEW.entry_id is not None
        assert list(await store.seen_entries(feed.id, [NEW.entry_id])) == [NEW.entry_id]


def test_the_corpus_is_big_and_named_uniquely() -> None:
    names = [case.name for case in CASES]
    assert len(names) >= 30
    assert len(set(names)) == len(names)
    assert all(case.reason for case in CASES if case.expect == "fail")
