"""The moderator operations (bot.operations), against a real SQLite file and feeds on 127.0.0.1."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import operations
from bot.errors import NotFoundError, UserError
from bot.fetch import Fetcher, FetchPolicy
from bot.operations import DestinationOptions
from bot.poller import PollSettings, poll_feed
from bot.publishing.execution import plan_destination
from bot.publishing.plan import plan_publication
from bot.store import Store, open_store
from tests.fetch_server import FetchServer, Route
from tests.moderation_data import ESSAYS, HTML, LONE_ESSAY, essay_page, serve_blog, serve_lone_essay

GUILD = 111_000_000_000_000_001
OTHER_GUILD = 111_000_000_000_000_002
CHANNEL = 222_000_000_000_000_001
FORUM = 222_000_000_000_000_002
POLL = PollSettings(poll_interval=900.0, first_poll_posts=1, max_sections=6)


@pytest.fixture
def store(backend_store: Store) -> Store:
    """These tests ask only the Store protocol: each runs on SQLite and on PostgreSQL (tests/conftest.py)."""
    return backend_store


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[Store]:
    """For the tests that open the SQLite file itself."""
    async with await open_store(tmp_path / "db.sqlite3") as opened:
        yield opened


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(FetchPolicy(allow_private_addresses=True, total_timeout=10.0)) as opened:
        yield opened


@pytest.fixture
async def server() -> AsyncIterator[FetchServer]:
    async with FetchServer() as started:
        serve_blog(started)
        yield started


async def follow(store: Store, fetcher: Fetcher, server: FetchServer, guild_id: int = GUILD) -> int:
    added = await operations.add_feed(store, fetcher, server.url("/feed.xml"), guild_id=guild_id)
    return added.feed.id


async def text_destination(store: Store, **options: object) -> None:
    await operations.set_destination(
        store,
        DestinationOptions(guild_id=GUILD, channel_id=CHANNEL, kind="text", **options),  # type: ignore[arg-type]
    )


# --- feeds ------------------------------------------------------------------------------------


async def test_add_feed_checks_it_and_follows_it(store: Store, fetcher: Fetcher, server: FetchServer) -> None:
    added = await operations.add_feed(store, fetcher, server.url("/feed.xml"), guild_id=GUILD)
    assert added.check is not None
    assert added.check.entries == len(ESSAYS)
    assert added.feed.title == "Notes from the Quay"
    assert not added.already_followed
    assert [f.id for f in await store.list_feeds(guild_id=GUILD)] == [added.feed.id]
    again = await operations.add_feed(store, fetcher, server.url("/feed.xml"), guild_id=GUILD)
    assert again.already_followed and again.feed.id == added.feed.id
    other = await operations.add_feed(store, fetcher, server.url("/feed.xml"), guild_id=OTHER_GUILD)
    assert not other.already_followed and other.feed.id == added.feed.id


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/about", "not a feed"), ("/missing.xml", "not found (404)")],
)
async def test_add_feed_that_fails_its_check_stores_nothing(
    store: Store, fetcher: Fetcher, server: FetchServer, path: str, expected: str
) -> None:
    with pytest.raises(UserError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        await operations.add_feed(store, fetcher, server.url(path), guild_id=GUILD)
    assert await store.list_feeds() == []


async def test_add_feed_of_an_unreachable_host_stores_nothing(store: Store, fetcher: Fetcher) -> None:
    # Port 9 (discard) on loopback: nothing listens there in a test environment.
    with pytest.raises(UserError, match="Could not fetch the feed"):
        await operations.add_feed(store, fetcher, "http://127.0.0.1:9/feed.xml", guild_id=GUILD)
    assert await store.list_feeds() == []


async def test_add_feed_on_a_private_address_is_refused_without_a_request(store: Store, server: FetchServer) -> None:
    async with Fetcher(FetchPolicy()) as guarded:
        with pytest.raises(UserError, match="loopback"):
            await operations.add_feed(store, guarded, server.url("/feed.xml"), guild_id=GUILD)
    assert await store.list_feeds() == []
    assert server.hits("/feed.xml") == 0


async def test_add_feed_refuses_what_is_not_a_web_address(store: Store, fetcher: Fetcher) -> None:
    with pytest.raises(UserError, match="not a web address"):
        await operations.add_feed(store, fetcher, "ftp://blog.example/feed", guild_id=GUILD)
    assert await store.list_feeds() == []


async def test_add_feed_without_check_stores_the_normalised_address(store: Store) -> None:
    added = await operations.add_feed(
        store, None, "HTTPS://Blog.Example/feed/?utm_source=x", guild_id=None, check=False
    )
    assert added.check is None
    assert added.feed.url == "https://blog.example/feed"


async def test_feeds_are_found_by_id_or_address_within_the_server(
    store: Store, fetcher: Fetcher, server: FetchServer
) -> None:
    feed_id = await follow(store, fetcher, server)
    assert (await operations.resolve_feed(store, str(feed_id), guild_id=GUILD)).id == feed_id
    assert (await operations.resolve_feed(store, server.url("/feed.xml/"), guild_id=GUILD)).id == feed_id
    with pytest.raises(NotFoundError):
        await operations.resolve_feed(store, str(feed_id), guild_id=OTHER_GUILD)
    with pytest.raises(NotFoundError):
        await operations.resolve_feed(store, "999", guild_id=None)


async def test_remove_pause_and_resume(store: Store, fetcher: Fetcher, server: FetchServer) -> None:
    feed_id = await follow(store, fetcher, server)
    paused = await operations.set_feed_paused(store, str(feed_id), True, guild_id=GUILD)
    assert paused.paused
    resumed = await operations.set_feed_paused(store, str(feed_id), False, guild_id=GUILD)
    assert not resumed.paused
    await operations.remove_feed(store, str(feed_id), guild_id=GUILD)
    assert await store.list_feeds(guild_id=GUILD) == []
    # The last server to unfollow it takes the feed away.
    assert await store.get_feed(feed_id) is None


async def test_describe_feed_shows_its_health(store: Store) -> None:
    feed = await store.add_feed("https://blog.example/feed", guild_id=GUILD, title="Quay")
    when = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    await store.record_poll_failure(feed.id, error="blog.example answered with a server error (503)", next_poll_at=when)
    await store.record_poll_failure(feed.id, error="blog.example answered with a server error (503)", next_poll_at=when)
    row = await store.get_feed(feed.id)
    assert row is not None
    text = operations.describe_feed(row)
    assert "#" + str(feed.id) in text and "Quay (active)" in text
    assert "2 failure(s) in a row" in text
    assert "server error (503)" in text
    assert "last success never" in text
    assert operations.feed_json(row)["consecutive_failures"] == 2


# --- destinations -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"kind": "voice"}, "Unknown channel kind"),
        ({"archive_minutes": 30}, "archive duration"),
        ({"slowmode": 21601}, "Slowmode"),
        ({"forum_tags": (1,)}, "only apply to forum"),
        ({"role_id": GUILD}, "@everyone"),
        ({"feed": "https://nowhere.example/feed"}, "No feed this server follows"),
    ],
)
async def test_bad_destination_options_store_nothing(store: Store, options: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"guild_id": GUILD, "channel_id": CHANNEL, "kind": "text", **options}
    with pytest.raises(UserError, match=message):
        await operations.set_destination(store, DestinationOptions(**values))  # type: ignore[arg-type]
    assert await store.list_destinations() == []


async def test_set_destination_with_every_option(store: Store, fetcher: Fetcher, server: FetchServer) -> None:
    feed_id = await follow(store, fetcher, server)
    options = DestinationOptions(
        guild_id=GUILD,
        channel_id=FORUM,
        kind="forum",
        archive_minutes=4320,
        slowmode=30,
        forum_tags=(5, 6),
        role_id=333,
        feed=str(feed_id),
    )
    row = await operations.set_destination(store, options)
    assert (row.kind, row.archive_minutes, row.slowmode, row.forum_tags) == ("forum", 4320, 30, (5, 6))
    assert (row.mention_role_id, row.feed_id) == (333, feed_id)
    feeds = {f.id: f for f in await store.list_feeds()}
    line = operations.describe_destination(row, channel="#forum", feeds=feeds, role="@readers")
    assert line == "#forum: forum, archive 3 days, slowmode 30s, 2 tag(s), mentions @readers, only Notes from the Quay"
    await operations.remove_destination(store, GUILD, FORUM)
    with pytest.raises(NotFoundError):
        await operations.remove_destination(store, GUILD, FORUM)


async def test_resume_clears_a_stop(store: Store) -> None:
    await text_destination(store)
    row = await store.get_destination_for_channel(GUILD, CHANNEL)
    assert row is not None
    await store.stop_destination(row.id, "Missing Access")
    before = await operations.resume_destination(store, GUILD, CHANNEL)
    assert before.stopped_reason == "Missing Access"
    after = await store.get_destination_for_channel(GUILD, CHANNEL)
    assert after is not None and after.stopped_reason is None


@pytest.mark.parametrize(("channel_type", "kind"), [(0, "text"), (5, "announcement"), (15, "forum")])
def test_destination_kind_follows_the_channel_type(channel_type: int, kind: str) -> None:
    assert operations.destination_kind(channel_type) == kind


@pytest.mark.parametrize(("channel_type", "named"), [(2, "voice channel"), (11, "thread")])
def test_a_channel_no_essay_can_be_posted_in_is_named(channel_type: int, named: str) -> None:
    with pytest.raises(UserError, match=named):
        operations.destination_kind(channel_type)


def test_missing_permissions_per_layout() -> None:
    everything = dict.fromkeys(operations.needed_permissions("text"), True)
    assert operations.missing_permissions("text", everything) == []
    assert operations.missing_permissions("text", everything | {"create_public_threads": False}) == [
        "Create Public Threads"
    ]
    assert operations.missing_permissions("forum", {"view_channel": True}) == [
        "Create Posts (Send Messages)",
        "Embed Links",
        "Send Messages in Threads",
    ]


def test_forum_tags_are_matched_by_name() -> None:
    available = [(1, "Politics"), (2, "Law"), (3, "Economics"), (4, "Culture"), (5, "Local"), (6, "Letters")]
    assert operations.match_forum_tags(" law, POLITICS,law ", available) == (2, 1)
    with pytest.raises(UserError, match="no tag Sport") as raised:
        operations.match_forum_tags("Law, Sport", available)
    assert "Politics, Law, Economics" in str(raised.value)
    with pytest.raises(UserError, match="at most 5"):
        operations.match_forum_tags("politics,law,economics,culture,local,letters", available)


def test_ids_from_the_command_line() -> None:
    assert operations.parse_ids("12, 34,12", "tag") == (12, 34)
    with pytest.raises(UserError, match="`x1` is not a tag id"):
        operations.parse_ids("12,x1", "tag")


# --- posting ----------------------------------------------------------------------------------


async def test_post_needs_a_destination_first(store: Store, fetcher: Fetcher, server: FetchServer) -> None:
    url = serve_lone_essay(server)
    with pytest.raises(UserError, match="no destination yet"):
        await operations.post_essay(store, fetcher, url, guild_id=GUILD, max_sections=6)
    assert await store.essay_count() == 0


async def test_post_by_url_fetches_stores_and_queues_once(store: Store, fetcher: Fetcher, server: FetchServer) -> None:
    await text_destination(store)
    url = serve_lone_essay(server)
    outcome = await operations.post_essay(store, fetcher, url, guild_id=GUILD, max_sections=6)
    assert outcome.ingested and outcome.queued == 1
    assert outcome.essay.essay.title == LONE_ESSAY.title
    assert len(await store.pending_publications(guild_id=GUILD)) == 1
    # By key the second time: already queued, so it says how to post it again.
    with pytest.raises(UserError, match="repost"):
        await operations.post_essay(store, fetcher, outcome.essay.essay.key, guild_id=GUILD, max_sections=6)
    assert len(await store.pending_publications(guild_id=GUILD)) == 1


async def test_post_by_url_of_an_essay_another_server_follows(
    store: Store, fetcher: Fetcher, server: FetchServer
) -> None:
    """The public page is what this server may post; the other server's stored copy is neither shown nor changed."""
    await text_destination(store)
    await follow(store, fetcher, server, guild_id=OTHER_GUILD)
    [feed] = await store.list_feeds(guild_id=OTHER_GUILD)
    await poll_feed(store, fetcher, feed, settings=POLL)
    url = server.url(f"/posts/{ESSAYS[0].slug}")
    theirs = await store.find_essay(url)
    assert theirs is not None and await store.find_visible_essay(url, guild_id=GUILD) is None
    # The page shows what the feed showed: posting it here is posting a public page.
    outcome = await operations.post_essay(store, fetcher, url, guild_id=GUILD, max_sections=6)
    assert outcome.essay.id == theirs.id and outcome.queued == 1
    # A page that now differs from the other server's copy (a members-only feed, say) is refused, and nothing changes.
    second = ESSAYS[1]
    other_url = server.url(f"/posts/{second.slug}")
    server.route(f"/posts/{second.slug}", Route(body=essay_page(LONE_ESSAY), headers=HTML))
    stored = await store.find_essay(other_url)
    assert stored is not None
    with pytest.raises(UserError, match="feed this server does not follow"):
        await operations.post_essay(store, fetcher, other_url, guild_id=GUILD, max_sections=6)
    after = await store.find_essay(other_url)
    assert after is not None and after.content_hash == stored.content_hash
    assert await store.find_visible_essay(other_url, guild_id=GUILD) is None


async def test_post_refuses_a_feed_address_and_an_unknown_key(
    store: Store, fetcher: Fetcher, server: FetchServer
) -> None:
    await text_destination(store)
    with pytest.raises(UserError, match="is a feed"):
        await operations.post_essay(store, fetcher, server.url("/feed.xml"), guild_id=GUILD, max_sections=6)
    with pytest.raises(NotFoundError, match="no-such-key"):
        await operations.post_essay(store, fetcher, "no-such-key", guild_id=GUILD, max_sections=6)
    assert await store.essay_count() == 0


async def test_backfill_polls_a_new_feed_and_queues_the_newest_not_yet_posted(
    store: Store, fetcher: Fetcher, server: FetchServer
) -> None:
    feed_id = await follow(store, fetcher, server)
    await text_destination(store)
    outcome = await operations.backfill_feed(store, fetcher, str(feed_id), 1, guild_id=GUILD, settings=POLL)
    assert outcome.poll is not None and outcome.poll.ok
    # The first poll queued the newest essay; the backfill takes the next newest one.
    assert [row.essay.title for row in outcome.essays] == [ESSAYS[1].title]
    more = await operations.backfill_feed(store, fetcher, str(feed_id), 20, guild_id=GUILD, settings=POLL)
    assert more.poll is None
    assert [row.essay.title for row in more.essays] == [ESSAYS[0].title]
    pending = await store.pending_publications(guild_id=GUILD)
    titles = [(await store.get_essay_by_id(p.essay_id)).essay.title for p in pending]  # type: ignore[union-attr]
    assert titles == [ESSAYS[2].title, ESSAYS[1].title, ESSAYS[0].title]
    nothing = await operations.backfill_feed(store, fetcher, str(feed_id), 5, guild_id=GUILD, settings=POLL)
    assert nothing.essays == []


@pytest.mark.parametrize("count", [0, 21])
async def test_backfill_count_is_bounded(store: Store, fetcher: Fetcher, count: int) -> None:
    with pytest.raises(UserError, match="1 to 20"):
        await operations.backfill_feed(store, fetcher, "1", count, guild_id=GUILD, settings=POLL)


async def test_repost_requeues_a_finished_publication(store: Store, fetcher: Fetcher, server: FetchServer) -> None:
    await text_destination(store)
    posted = await operations.post_essay(store, fetcher, serve_lone_essay(server), guild_id=GUILD, max_sections=6)
    [publication] = await store.pending_publications(guild_id=GUILD)
    await store.finish_publication(publication.id)
    assert await store.pending_publications(guild_id=GUILD) == []
    outcome = await operations.repost_essay(store, posted.essay.essay.key, guild_id=GUILD)
    assert [d.channel_id for d in outcome.destinations] == [CHANNEL]
    assert [p.id for p in await store.pending_publications(guild_id=GUILD)] == [publication.id]
    with pytest.raises(NotFoundError):
        await operations.repost_essay(store, "unknown", guild_id=GUILD)


# --- preview and status ------------------------------------------------------------------------


async def test_preview_of_an_unstored_page_stores_nothing_and_matches_the_plan(
    store: Store, fetcher: Fetcher, server: FetchServer
) -> None:
    url = serve_lone_essay(server)
    report = await operations.preview_essay(store, fetcher, url, guild_id=GUILD, max_sections=6)
    assert report.default_layout and not report.stored
    assert report.thread_names == ["§1 · The fare rise", "§2 · A school pass"]
    assert report.card is not None and report.card["title"] == LONE_ESSAY.title
    assert await store.essay_count() == 0
    text = operations.format_preview(report, channel="#x")
    assert "no destination set yet" in text and "• §2 · A school pass" in text

    # Once stored and with a forum destination, the preview is the plan for that forum.
    await operations.set_destination(store, DestinationOptions(guild_id=GUILD, channel_id=FORUM, kind="forum"))
    posted = await operations.post_essay(store, fetcher, url, guild_id=GUILD, max_sections=6)
    forum = await operations.preview_essay(store, fetcher, url, guild_id=GUILD, channel_id=FORUM, max_sections=6)
    assert forum.stored and forum.destination.kind == "forum"
    destination_row = await store.get_destination_for_channel(GUILD, FORUM)
    assert destination_row is not None
    steps = plan_publication(
        posted.essay.essay, await store.load_analysis(posted.essay.id), plan_destination(destination_row)
    )
    assert forum.thread_names == [s.payload["name"] for s in steps if s.action == "forum_post"]


async def test_status_reports_queue_feeds_and_stopped_destinations(store: Store) -> None:
    feed = await store.add_feed("https://blog.example/feed", guild_id=GUILD, title="Quay")
    await store.record_poll_failure(feed.id, error="timed out", next_poll_at=datetime.now(UTC) + timedelta(hours=1))
    await text_destination(store)
    row = await store.get_destination_for_channel(GUILD, CHANNEL)
    assert row is not None
    await store.stop_destination(row.id, "the bot lost Send Messages")
    report = await operations.guild_status(store, GUILD)
    text = operations.format_status(report, channel=lambda cid: f"<#{cid}>")
    assert "Queue: 0 pending, 0 posted, 0 stopped." in text
    assert "Mod-log: not set." in text
    assert f"Feed #{feed.id} Quay: last poll" in text and "last error: timed out" in text
    assert f"Stopped: <#{CHANNEL}>: the bot lost Send Messages" in text


# --- backup -----------------------------------------------------------------------------------


async def test_backup_copies_a_live_database_and_refuses_to_overwrite(sqlite_store: Store, tmp_path: Path) -> None:
    store = sqlite_store
    await store.add_feed("https://blog.example/feed", guild_id=GUILD, title="Quay")
    target = tmp_path / "copy.sqlite3"
    assert await operations.backup_database(store, target) == target
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT url FROM feeds").fetchall() == [("https://blog.example/feed",)]
    finally:
        copy.close()
    with pytest.raises(UserError, match="--force"):
        await operations.backup_database(store, target)
    await store.add_feed("https://other.example/feed", guild_id=GUILD)
    await operations.backup_database(store, target, force=True)
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("SELECT count(*) FROM feeds").fetchone() == (2,)
    finally:
        copy.close()
    assert not (tmp_path / "copy.sqlite3.partial").exists()


async def test_preview_names_the_role_the_card_mentions(store: Store, fetcher: Fetcher, server: FetchServer) -> None:
    await text_destination(store, role_id=333)
    report = await operations.preview_essay(store, fetcher, serve_lone_essay(server), guild_id=GUILD, max_sections=6)
    assert report.card_content == "<@&333>"
    assert "The card mentions <@&333>." in operations.format_preview(report, channel=f"<#{CHANNEL}>")


def test_fit_lines_keeps_whole_lines_and_counts_the_rest() -> None:
    lines = [f"line {n:03d} " + "x" * 90 for n in range(100)]
    text = operations.fit_lines(lines, 1000)
    assert len(text) <= 1000
    kept = text.splitlines()
    assert kept[:-1] == lines[: len(kept) - 1]
    assert kept[-1] == f"…and {100 - (len(kept) - 1)} more lines"
