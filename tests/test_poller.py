"""The feed poller against feeds served on 127.0.0.1 and a real SQLite store."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from html import escape

import pytest

from bot.fetch import Fetcher
from bot.poller import (
    PollReport,
    PollSettings,
    poll_due_feeds,
    poll_feed,
    queue_essay,
    queue_first_posts,
    should_tell_failure,
)
from bot.store import FeedRow, Store
from tests.fetch_server import FetchServer, Route


@pytest.fixture
def store(backend_store: Store) -> Store:
    """These tests ask only the Store protocol: each runs on SQLite and on PostgreSQL (tests/conftest.py)."""
    return backend_store


GUILD = 1001
OTHER_GUILD = 2002
CHANNEL = 5001
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
ATOM = {"Content-Type": "application/atom+xml; charset=utf-8"}

PARAGRAPHS = (
    "The county board spent most of the spring on {topic}, and the arguments were rarely about the thing itself. "
    "They were about who decides, who pays, and who is told afterwards.",
    "Residents who spoke about {topic} at the hearings kept coming back to one point: the costs fall on people "
    "who were never asked, while the benefits are promised to people who have not arrived yet.",
    "Whatever the vote on {topic} decides, the record of how the decision was reached will matter longer than "
    "the decision, because the next board will read it before doing the same thing again.",
)


@dataclass(frozen=True)
class Post:
    """One entry of a test feed; ``teaser`` gives only a short summary and a link to the page."""

    slug: str
    title: str
    day: int
    topic: str
    entry_id: str | None = None
    edit: str = ""
    teaser: bool = False

    @property
    def id(self) -> str:
        return self.entry_id or f"tag:test.blog,2025:{self.slug}"

    @property
    def published(self) -> str:
        return f"2025-05-{self.day:02d}T09:00:00Z"

    def html(self) -> str:
        paragraphs = [p.format(topic=self.topic) for p in PARAGRAPHS]
        if self.edit:
            paragraphs.append(self.edit)
        return "".join(f"<p>{p}</p>" for p in paragraphs)


def atom(server: FetchServer, posts: list[Post], *, title: str = "County Ledger") -> str:
    entries = []
    for post in posts:
        if post.teaser:
            body = f'<summary type="text">Short teaser about {post.topic}. Continue reading</summary>'
        else:
            body = f'<content type="html">{escape(post.html())}</content>'
        entries.append(
            f"<entry><id>{post.id}</id><title>{escape(post.title)}</title>"
            f'<link rel="alternate" href="{server.url("/posts/" + post.slug)}"/>'
            f"<published>{post.published}</published><updated>{post.published}</updated>{body}</entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{title}</title><id>tag:test.blog,2025:feed</id><updated>2025-05-30T00:00:00Z</updated>"
        f"{''.join(entries)}</feed>"
    )


def article_page(post: Post) -> str:
    return (
        f"<!doctype html><html><head><title>{escape(post.title)}</title>"
        f'<meta property="og:title" content="{escape(post.title)}"></head>'
        f"<body><nav>Home · Archive</nav><article><h1>{escape(post.title)}</h1>{post.html()}</article>"
        "<footer>Share this post</footer></body></html>"
    )


POSTS = [
    Post("ferry", "The Ferry Subsidy", 3, "the ferry subsidy"),
    Post("library", "Library Hours", 7, "library opening hours"),
    Post("zoning", "Zoning the Waterfront", 12, "waterfront zoning"),
    Post("bridge", "Bridge Tolls Again", 20, "bridge tolls"),
    Post("schools", "School Bus Routes", 16, "school bus routes"),
]
NEW_POST = Post("wells", "Well Water Testing", 28, "well water testing")


def serve(server: FetchServer, posts: list[Post], *, etag: str | None = None) -> None:
    server.route("/feed", Route(body=atom(server, posts), headers=ATOM, etag=etag))


async def follow(store: Store, server: FetchServer, *, guild_id: int = GUILD, channel_id: int = CHANNEL) -> FeedRow:
    feed = await store.add_feed(server.url("/feed"), guild_id=guild_id)
    await store.set_destination(guild_id=guild_id, channel_id=channel_id, kind="text")
    return feed


async def poll(
    store: Store, fetcher: Fetcher, feed: FeedRow, *, first_poll_posts: int = 1, now: datetime = NOW
) -> PollReport:
    settings = PollSettings(first_poll_posts=first_poll_posts)
    return await poll_feed(store, fetcher, feed, settings=settings, now=now, rng=random.Random(7))


async def queued_titles(store: Store) -> list[str]:
    titles = []
    for publication in await store.pending_publications():
        row = await store.get_essay_by_id(publication.essay_id)
        assert row is not None
        titles.append(row.essay.title)
    return titles


async def primed(store: Store, fetcher: Fetcher, server: FetchServer, posts: list[Post]) -> FeedRow:
    serve(server, posts)
    feed = await follow(store, server)
    report = await poll(store, fetcher, feed)
    assert report.ok
    return feed


# ------------------------------------------------------------------------ first poll


@pytest.mark.parametrize("first_poll_posts", [0, 1, 3])
async def test_first_poll_stores_everything_and_queues_only_the_newest(
    server: FetchServer, fetcher: Fetcher, store: Store, first_poll_posts: int
) -> None:
    serve(server, POSTS)
    feed = await follow(store, server)
    report = await poll(store, fetcher, feed, first_poll_posts=first_poll_posts)

    assert report.ok
    assert len(report.new) == len(POSTS)
    assert report.guild_ids == [GUILD]
    assert await store.essay_count() == len(POSTS)
    # Newest by date, not by feed order (the feed lists "Bridge Tolls Again" before "School Bus Routes").
    newest = ["Bridge Tolls Again", "School Bus Routes", "Zoning the Waterfront"][:first_poll_posts]
    # Queued oldest first, so they are posted in the order they were written.
    assert await queued_titles(store) == newest[::-1]
    assert report.queued == first_poll_posts
    refreshed = await store.get_feed(feed.id)
    assert refreshed is not None and refreshed.primed and refreshed.title == "County Ledger"
    assert len(await store.seen_entries(feed.id, [p.id for p in POSTS])) == len(POSTS)
    told = report.message_for(GUILD)
    assert told is not None
    assert told.startswith("Connected County Ledger: found 5 essays")
    assert "/marginalia post" in told and "/marginalia backfill" in told
    if first_poll_posts:
        assert f"Posted the newest {first_poll_posts} (" in told and told.count("Bridge Tolls Again") == 1
    else:
        assert "None posted" in told


async def test_first_poll_without_a_channel_says_so_and_the_channel_set_later_gets_the_newest(
    server: FetchServer, fetcher: Fetcher, store: Store
) -> None:
    """The README's order (feed first, then channel) ends with the newest essay posted."""
    serve(server, POSTS)
    feed = await store.add_feed(server.url("/feed"), guild_id=GUILD)
    report = await poll(store, fetcher, feed)
    assert report.queued == 0
    told = report.message_for(GUILD)
    assert told is not None and "No channel takes this feed yet" in told
    await store.set_destination(guild_id=GUILD, channel_id=CHANNEL, kind="text")
    [first] = await queue_first_posts(store, count=1, guild_id=GUILD)
    assert (first.titles, first.channel_ids, first.queued) == (["Bridge Tolls Again"], [CHANNEL], 1)
    assert await queued_titles(store) == ["Bridge Tolls Again"]
    # Served once: setting another channel later posts no backlog there.
    await store.set_destination(guild_id=GUILD, channel_id=CHANNEL + 1, kind="text")
    assert await queue_first_posts(store, count=1, guild_id=GUILD) == []


async def test_a_server_following_a_feed_already_read_gets_its_newest_at_once(
    server: FetchServer, fetcher: Fetcher, store: Store
) -> None:
    feed = await primed(store, fetcher, server, POSTS)
    await store.set_destination(guild_id=OTHER_GUILD, channel_id=CHANNEL + 7, kind="text")
    await store.add_feed(feed.url, guild_id=OTHER_GUILD)
    [first] = await queue_first_posts(store, count=2, guild_id=OTHER_GUILD, feed_id=feed.id)
    assert first.titles == ["School Bus Routes", "Bridge Tolls Again"] and first.queued == 2


async def test_a_server_pausing_a_shared_feed_pauses_it_only_for_itself(
    server: FetchServer, fetcher: Fetcher, store: Store
) -> None:
    feed = await primed(store, fetcher, server, POSTS)
    await store.add_feed(feed.url, guild_id=OTHER_GUILD)
    await store.set_destination(guild_id=OTHER_GUILD, channel_id=CHANNEL + 2, kind="text")
    await store.set_feed_paused(feed.id, True, guild_id=GUILD)
    assert [f.paused for f in await store.list_feeds(guild_id=GUILD)] == [True]
    assert [f.paused for f in await store.list_feeds(guild_id=OTHER_GUILD)] == [False]
    refreshed = await store.get_feed(feed.id)
    assert refreshed is not None and not refreshed.paused  # still polled for the other server
    before = {p.destination_id for p in await store.pending_publications()}
    serve(server, [NEW_POST, *POSTS])
    report = await poll(store, fetcher, feed)
    assert len(report.new) == 1
    new_destinations = {p.destination_id for p in await store.pending_publications()} - before
    assert [d.channel_id for d in await store.list_destinations() if d.id in new_destinations] == [CHANNEL + 2]


# ------------------------------------------------------------------------ later polls


async def test_repoll_of_an_unchanged_feed_does_nothing(server: FetchServer, fetcher: Fetcher, store: Store) -> None:
    feed = await primed(store, fetcher, server, POSTS)
    before = await store.pending_publications()
    report = await poll(store, fetcher, feed)
    assert report.ok
    assert (report.new, report.revised, report.queued, report.message) == ([], [], 0, None)
    assert await store.pending_publications() == before
    assert server.hits("/feed") == 2  # fetched in full (no validators), and still nothing new


async def test_new_entry_is_queued_once_per_destination_of_each_following_guild(
    server: FetchServer, fetcher: Fetcher, store: Store
) -> None:
    feed = await primed(store, fetcher, server, POSTS)
    # A second channel in the same guild filtered to this feed, and a second guild following it.
    await store.set_destination(guild_id=GUILD, channel_id=CHANNEL + 1, kind="forum", feed_id=feed.id)
    await store.add_feed(feed.url, guild_id=OTHER_GUILD)
    await store.set_destination(guild_id=OTHER_GUILD, channel_id=CHANNEL + 2, kind="announcement")
    # A guild with a channel that does not follow the feed gets nothing.
    await store.set_destination(guild_id=3003, channel_id=CHANNEL + 3, kind="text")
    already = len(await store.pending_publications())

    serve(server, [NEW_POST, *POSTS])
    report = await poll(store, fetcher, feed)

    assert len(report.new) == 1 and report.revised == []
    assert report.queued == 3
    assert report.message is None  # a new essay is the publisher's news, not the moderators'
    assert sorted(report.guild_ids) == [GUILD, OTHER_GUILD]
    fresh = [p for p in await store.pending_publications() if p.essay_id == report.new[0]]
    destinations = {d.id: d.channel_id for d in await store.list_destinations()}
    assert sorted(destinations[p.destination_id] for p in fresh) == [CHANNEL, CHANNEL + 1, CHANNEL + 2]
    assert len(await store.pending_publications()) == already + 3

    again = await poll(store, fetcher, feed)
    assert (again.new, again.queued) == ([], 0)


async def test_destination_filtered_to_another_feed_gets_nothing(
    server: FetchServer, fetcher: Fetcher, store: Store
) -> None:
    serve(server, POSTS)
    feed = await store.add_feed(server.url("/feed"), guild_id=GUILD)
    other = await store.add_feed(server.url("/other-feed"), guild_id=GUILD)
    await store.set_destination(guild_id=GUILD, channel_id=CHANNEL, kind="text", feed_id=other.id)
    await poll(store, fetcher, feed)

    serve(server, [NEW_POST, *POSTS])
    report = await poll(store, fetcher, feed)
    assert len(report.new) == 1
    assert report.queued == 0
    assert await store.pending_publications() == []


async def test_edited_entry_makes_a_revision_and_queues_nothing(
    server: FetchServer, fetcher: Fetcher, store: Store
) -> None:
    feed = await primed(store, fetcher, server, POSTS)
    before = await store.pending_publications()
    edited = [replace(POSTS[0], edit="Correction: the subsidy vote was postponed, not cancelled."), *POSTS[1:]]
    serve(server, edited)

    report = await poll(store, fetcher, feed)

    [essay_id] = report.revised
    assert report.new == [] and report.queued == 0
    row = await store.get_essay_by_id(essay_id)
    assert row is not None and row.revision == 2
    assert "postponed, not cancelled" in row.essay.body_text
    assert await store.pending_publications() == before
    assert (await poll(store, fetcher, feed)).revised == []


async def test_not_modified_feed_is_a_quiet_success(server: FetchServer, fetcher: Fetcher, store: Store) -> None:
    serve(server, POSTS, etag='"v1"')
    feed = await follow(store, server)
    await poll(store, fetcher, feed)

    report = await poll(store, fetcher, feed)

    assert report.ok and report.message is None and report.new == []
    assert server.requests[-1].headers["If-None-Match"] == '"v1"'
    refreshed = await store.get_feed(feed.id)
    assert refreshed is not None
    assert refreshed.last_result == "not modified" and refreshed.etag == '"v1"'
    assert refreshed.next_poll_at is not None and refreshed.next_poll_at > NOW


@pytest.mark.parametrize(
    ("route", "fragment"),
    [
        (Route(body="<html><body><h1>Database error</h1></body></html>", headers=ATOM), "HTML page"),
        (Route(status=500, body="down"), "500"),
        (Route(body=b'<?xml version="1.0"?><error>maintenance</error>', headers=ATOM), "not a feed"),
    ],
)
async def test_error_page_after_success_stores_nothing_and_tells_moderators(
    server: FetchServer, fetcher: Fetcher, store: Store, route: Route, fragment: str
) -> None:
    feed = await primed(store, fetcher, server, POSTS)
    pending = await store.pending_publications()
    server.route("/feed", route)

    report = await poll(store, fetcher, feed)

    assert not report.ok and report.new == [] and report.queued == 0
    assert await store.essay_count() == len(POSTS)
    assert await store.pending_publications() == pending
    refreshed = await store.get_feed(feed.id)
    assert refreshed is not None and refreshed.consecutive_failures == 1
    assert report.message is not None
    assert fragment in report.message and "1 failure in a row" in report.message


async def test_feed_that_comes_back_empty_is_a_failure(server: FetchServer, fetcher: Fetcher, store: Store) -> None:
    feed = await primed(store, fetcher, server, POSTS)
    serve(server, [])
    report = await poll(store, fetcher, feed)
    assert not report.ok
    assert report.message is not None and "no entries" in report.message
    serve(server, POSTS)
    recovered = await poll(store, fetcher, feed)
    assert recovered.ok and recovered.queued == 0 and recovered.new == []


@pytest.mark.parametrize("links_change", [False, True])
async def test_feed_whose_every_id_changed_posts_nothing(
    server: FetchServer, fetcher: Fetcher, store: Store, links_change: bool
) -> None:
    feed = await primed(store, fetcher, server, POSTS)
    pending = await store.pending_publications()
    # The blog moved platform: every entry has a new id (and perhaps a new link); titles and dates stay.
    moved = [
        replace(p, entry_id=f"urn:new-platform:{i}", slug=f"2025/{p.slug}" if links_change else p.slug)
        for i, p in enumerate(POSTS)
    ]
    serve(server, moved)

    report = await poll(store, fetcher, feed)

    assert report.ok and report.new == [] and report.queued == 0
    assert await store.essay_count() == len(POSTS)
    assert await store.pending_publications() == pending
    assert report.message is not None and "5 entries came back with new ids" in report.message
    again = await poll(store, fetcher, feed)
    assert (again.new, again.queued, again.message) == ([], 0, None)


async def test_entry_repeated_under_a_new_id_is_not_posted_twice(
    server: FetchServer, fetcher: Fetcher, store: Store
) -> None:
    feed = await primed(store, fetcher, server, POSTS)
    serve(server, [replace(POSTS[3], entry_id="urn:repeat:bridge"), *POSTS])
    report = await poll(store, fetcher, feed)
    assert (report.new, report.queued) == ([], 0)
    assert report.message is not None and "1 entry came back with new ids" in report.message


async def test_feed_replaced_by_unknown_entries_is_handled_like_a_first_poll(
    server: FetchServer, fetcher: Fetcher, store: Store
) -> None:
    feed = await primed(store, fetcher, server, POSTS)
    strangers = [Post(f"other-{i}", f"Another Blog Post {i}", 10 + i, f"unrelated topic {i}") for i in range(6)]
    serve(server, strangers)

    report = await poll(store, fetcher, feed)

    assert len(report.new) == 6
    assert report.queued == 1
    assert (await queued_titles(store))[-1] == "Another Blog Post 5"
    assert report.message is not None
    assert "6 of its 6 entries looked new at once" in report.message and "/marginalia backfill" in report.message


async def test_entry_that_vanishes_and_returns_is_not_posted_again(
    server: FetchServer, fetcher: Fetcher, store: Store
) -> None:
    feed = await primed(store, fetcher, server, POSTS)
    pending = await store.pending_publications()
    serve(server, POSTS[1:])
    gone = await poll(store, fetcher, feed)
    serve(server, POSTS)
    back = await poll(store, fetcher, feed)
    assert gone.ok and back.ok
    assert gone.new == back.new == [] and gone.queued == back.queued == 0
    assert await store.pending_publications() == pending


# ------------------------------------------------------------------------ crash safety


@pytest.mark.parametrize("crash_in", ["queue_publication", "mark_seen"])
async def test_crash_between_steps_converges_to_one_publication(
    server: FetchServer, fetcher: Fetcher, store: Store, monkeypatch: pytest.MonkeyPatch, crash_in: str
) -> None:
    feed = await primed(store, fetcher, server, POSTS)
    serve(server, [NEW_POST, *POSTS])
    original = getattr(store, crash_in)

    async def crash(*args: object, **kwargs: object) -> object:
        raise RuntimeError("power cut")

    monkeypatch.setattr(store, crash_in, crash)
    with pytest.raises(RuntimeError):
        await poll(store, fetcher, feed)
    monkeypatch.setattr(store, crash_in, original)
    stored = await store.get_essay(NEW_POST.id)
    assert stored is not None  # the essay was written before the crash

    report = await poll(store, fetcher, feed)
    again = await poll(store, fetcher, feed)

    publications = [p for p in await store.pending_publications() if p.essay_id == stored.id]
    assert len(publications) == 1
    assert report.new == []  # the essay was already stored; only the missing steps ran
    assert report.queued == (1 if crash_in == "queue_publication" else 0)
    assert again.queued == 0
    assert await store.seen_entries(feed.id, [NEW_POST.id]) == {NEW_POST.id: stored.id}


async def test_crash_during_first_poll_converges(
    server: FetchServer, fetcher: Fetcher, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve(server, POSTS)
    feed = await follow(store, server)
    original = store.mark_seen

    async def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(store, "mark_seen", crash)
    with pytest.raises(RuntimeError):
        await poll(store, fetcher, feed, first_poll_posts=2)
    monkeypatch.setattr(store, "mark_seen", original)
    refreshed = await store.get_feed(feed.id)
    assert refreshed is not None and not refreshed.primed

    report = await poll(store, fetcher, feed, first_poll_posts=2)

    assert report.ok and report.new == []
    assert await queued_titles(store) == ["School Bus Routes", "Bridge Tolls Again"]


# ------------------------------------------------------------------------ failures


def test_failures_are_told_at_1_3_10_and_every_24_after() -> None:
    told = [n for n in range(1, 90) if should_tell_failure(n)]
    assert told == [1, 3, 10, 34, 58, 82]


async def test_backoff_grows_and_recovery_is_told(server: FetchServer, fetcher: Fetcher, store: Store) -> None:
    feed = await primed(store, fetcher, server, POSTS)
    server.route("/feed", Route(status=503, body="busy"))
    delays: list[float] = []
    messages: list[str | None] = []
    for attempt in range(4):
        now = NOW + timedelta(days=attempt)
        report = await poll(store, fetcher, feed, now=now)
        refreshed = await store.get_feed(feed.id)
        assert refreshed is not None and refreshed.next_poll_at is not None
        delays.append((refreshed.next_poll_at - now).total_seconds())
        messages.append(report.message)

    assert delays == sorted(delays) and delays[-1] > 4 * delays[0]
    assert messages[0] is not None and "503" in messages[0] and "1 failure in a row" in messages[0]
    assert messages[1] is None and messages[3] is None
    assert messages[2] is not None and "3 failures in a row" in messages[2]

    serve(server, POSTS)
    recovered = await poll(store, fetcher, feed)
    assert recovered.ok
    assert recovered.message == "County Ledger is working again after 4 failures."
    refreshed = await store.get_feed(feed.id)
    assert refreshed is not None and refreshed.consecutive_failures == 0
    assert (await poll(store, fetcher, feed)).message is None


async def test_retry_after_is_honoured(server: FetchServer, fetcher: Fetcher, store: Store) -> None:
    feed = await primed(store, fetcher, server, POSTS)
    server.route("/feed", Route(status=429, body="slow down", headers={"Retry-After": "20000"}))
    await poll(store, fetcher, feed)
    refreshed = await store.get_feed(feed.id)
    assert refreshed is not None and refreshed.next_poll_at is not None
    assert refreshed.next_poll_at >= NOW + timedelta(seconds=20000)


# ------------------------------------------------------------------------ summary-only feeds


async def test_summary_entry_whose_page_fails_is_retried_and_then_posted(
    server: FetchServer, fetcher: Fetcher, store: Store
) -> None:
    feed = await primed(store, fetcher, server, POSTS)
    teaser = replace(NEW_POST, teaser=True)
    serve(server, [teaser, *POSTS])
    server.route("/posts/wells", Route(status=500, body="down"))

    failed = await poll(store, fetcher, feed)
    assert failed.ok and failed.new == [] and failed.queued == 0
    assert failed.message is not None and "1 entry could not be read" in failed.message
    assert await store.seen_entries(feed.id, [teaser.id]) == {}
    # The same problem is not told again on every poll.
    assert (await poll(store, fetcher, feed)).message is None

    server.route("/posts/wells", Route(body=article_page(NEW_POST), headers={"Content-Type": "text/html"}))
    fixed = await poll(store, fetcher, feed)
    assert len(fixed.new) == 1 and fixed.queued == 1
    row = await store.get_essay_by_id(fixed.new[0])
    assert row is not None and "well water testing" in row.essay.body_text
    # Known summary-only entries do not cost a page fetch on every poll.
    hits = server.hits("/posts/wells")
    await poll(store, fetcher, feed)
    assert server.hits("/posts/wells") == hits


async def test_first_poll_backlog_page_failure_is_stored_later_but_never_posted(
    server: FetchServer, fetcher: Fetcher, store: Store
) -> None:
    teasers = [replace(p, teaser=True) for p in POSTS]
    for post in teasers:
        server.route(f"/posts/{post.slug}", Route(body=article_page(post), headers={"Content-Type": "text/html"}))
    server.route("/posts/ferry", Route(status=404, body="gone"))  # the oldest one
    serve(server, teasers)
    feed = await follow(store, server)

    first = await poll(store, fetcher, feed)
    assert len(first.new) == 4 and first.queued == 1
    assert first.message is not None and "could not be read" in first.message

    server.route("/posts/ferry", Route(body=article_page(POSTS[0]), headers={"Content-Type": "text/html"}))
    later = await poll(store, fetcher, feed)
    assert len(later.new) == 1 and later.queued == 0
    assert await queued_titles(store) == ["Bridge Tolls Again"]


# ------------------------------------------------------------------------ scheduling and manual posts


async def test_poll_due_feeds_polls_only_due_unpaused_feeds(
    server: FetchServer, fetcher: Fetcher, store: Store
) -> None:
    serve(server, POSTS)
    server.route("/paused", Route(body=atom(server, POSTS[:1]), headers=ATOM))
    due = await follow(store, server)
    paused = await store.add_feed(server.url("/paused"), guild_id=GUILD)
    await store.set_feed_paused(paused.id, True)
    settings = PollSettings()

    reports = await poll_due_feeds(store, fetcher, settings=settings, now=NOW, rng=random.Random(1))
    assert [r.feed_id for r in reports] == [due.id]
    assert server.hits("/paused") == 0

    # Polled a moment ago: not due again until its next poll time.
    assert await poll_due_feeds(store, fetcher, settings=settings, now=NOW, rng=random.Random(1)) == []
    later = NOW + timedelta(seconds=settings.poll_interval * 2)
    assert [r.feed_id for r in await poll_due_feeds(store, fetcher, settings=settings, now=later)] == [due.id]


async def test_poll_due_feeds_survives_an_unexpected_error(
    server: FetchServer, fetcher: Fetcher, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve(server, POSTS)
    feed = await follow(store, server)

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(store, "save_essay", broken)
    [report] = await poll_due_feeds(store, fetcher, settings=PollSettings(), now=NOW)
    assert not report.ok and report.guild_ids == [GUILD]
    assert report.message is not None and "internal error" in report.message
    refreshed = await store.get_feed(feed.id)
    assert refreshed is not None and refreshed.consecutive_failures == 1
    assert refreshed.next_poll_at is not None and refreshed.next_poll_at > NOW


async def test_queue_essay_for_a_manual_post_uses_the_guilds_matching_destinations(
    server: FetchServer, fetcher: Fetcher, store: Store
) -> None:
    feed = await primed(store, fetcher, server, POSTS)
    other = await store.add_feed(server.url("/other-feed"), guild_id=GUILD)
    await store.set_destination(guild_id=GUILD, channel_id=CHANNEL + 1, kind="forum", feed_id=feed.id)
    await store.set_destination(guild_id=GUILD, channel_id=CHANNEL + 2, kind="text", feed_id=other.id)
    await store.set_destination(guild_id=OTHER_GUILD, channel_id=CHANNEL + 3, kind="text")
    oldest = await store.get_essay(POSTS[0].id)
    assert oldest is not None

    assert await queue_essay(store, oldest.id, guild_id=GUILD) == 2
    channels = {d.id: d.channel_id for d in await store.list_destinations()}
    queued = [channels[p.destination_id] for p in await store.pending_publications() if p.essay_id == oldest.id]
    assert sorted(queued) == [CHANNEL, CHANNEL + 1]
    assert await queue_essay(store, oldest.id, guild_id=GUILD) == 0  # already queued there

    # Without a guild: every following guild's matching destinations (OTHER_GUILD does not follow).
    second = await store.get_essay(POSTS[1].id)
    assert second is not None
    assert await queue_essay(store, second.id) == 2
    assert await queue_essay(store, 999_999) == 0


# ------------------------------------------------------------------ analysis failures


async def test_an_essay_whose_analysis_fails_is_posted_without_it_and_the_rest_go_on(
    server: FetchServer, fetcher: Fetcher, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One essay that breaks an analyser is reported and stored without that part; the others are untouched."""
    import bot.essays.analysis as analysis

    real = analysis.find_figures

    def figures_that_fail_on_wells(sections, *, published):  # type: ignore[no-untyped-def]
        if any("well water" in section.text for section in sections):
            raise RuntimeError("an analyser bug")
        return real(sections, published=published)

    monkeypatch.setattr(analysis, "find_figures", figures_that_fail_on_wells)
    feed = await primed(store, fetcher, server, POSTS)
    later = Post("tolls", "Toll Roads Revisited", 29, "toll roads")
    serve(server, [later, NEW_POST, *POSTS])
    report = await poll(store, fetcher, feed)

    assert report.ok and len(report.new) == 2 and report.queued == 2
    assert report.message is not None
    assert "“Well Water Testing” was stored without its figures (RuntimeError: an analyser bug)" in report.message
    wells = await store.find_essay(NEW_POST.id)
    assert wells is not None
    stored = await store.load_analysis(wells.id)
    assert stored.sections and stored.figures == []
    assert set(await queued_titles(store)) >= {"Well Water Testing", "Toll Roads Revisited"}
