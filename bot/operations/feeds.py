"""Feeds: follow one (after a test fetch), find, pause, resume and unfollow, and describe their health."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.errors import NotFoundError, UserError
from bot.essays.sources import SourceError
from bot.fetch import Fetcher, FetchError, normalise_url
from bot.intake import is_url, parse_fetched_feed
from bot.json_records import record
from bot.operations.common import Shown, TimeFormat, as_is, iso_time
from bot.poller import FirstPosts, queue_first_posts
from bot.store import FeedRow, Store

logger = logging.getLogger(__name__)

FEED_HINT = "Give the feed's own address (it often ends in /feed, /rss, /atom.xml or /feeds/posts/default)."


@dataclass(frozen=True, slots=True)
class FeedCheck:
    """What the test fetch of a feed found."""

    url: str
    title: str
    entries: int


@dataclass(frozen=True, slots=True)
class AddedFeed:
    feed: FeedRow
    check: FeedCheck | None
    already_followed: bool
    first_posts: FirstPosts | None = None  # the new follow's first posts: queued now, or what they wait for


def feed_url(raw: str) -> str:
    """The normalised form of a feed address, or a UserError saying what is wrong with it."""
    try:
        return normalise_url(raw.strip())
    except ValueError:
        raise UserError(f"`{raw.strip()[:200]}` is not a web address; give the feed's http(s) URL.") from None


async def check_feed(fetcher: Fetcher, url: str) -> FeedCheck:
    """Fetch and parse a feed once; a UserError says why it cannot be followed."""
    try:
        result = await fetcher.fetch(url)
    except FetchError as exc:
        hint = " Check the address and try again later." if exc.retryable else " Check the address."
        raise UserError(f"Could not fetch the feed: {exc.reason}.{hint}") from exc
    try:
        parsed = parse_fetched_feed(result)
    except SourceError as exc:
        raise UserError(f"That address is not a feed ({exc}). {FEED_HINT}") from exc
    final = result.final_url if result.moved_permanently else url
    return FeedCheck(url=feed_url(final), title=parsed.title.strip(), entries=len(parsed.entries))


async def add_feed(
    store: Store,
    fetcher: Fetcher | None,
    raw_url: str,
    *,
    guild_id: int | None,
    check: bool = True,
    first_posts: int = 1,
) -> AddedFeed:
    """Follow a feed in a server (with a test fetch first, unless ``check`` is false).

    A feed already read for another server has its newest ``first_posts`` essays queued here at
    once when this server has a channel for them; otherwise they wait (``bot.poller.queue_first_posts``).
    """
    url = feed_url(raw_url)
    checked: FeedCheck | None = None
    if check:
        if fetcher is None:
            raise RuntimeError("a feed check needs a fetcher")
        checked = await check_feed(fetcher, url)
        # A permanent redirect is followed once here, so polls go straight to the new address.
        url = checked.url
    existing = await store.get_feed_by_url(url)
    followed = False
    if existing is not None and guild_id is not None:
        followed = any(f.id == existing.id for f in await store.list_feeds(guild_id=guild_id))
    title = checked.title if checked and checked.title else None
    feed = await store.add_feed(url, guild_id=guild_id, title=title)
    logger.info("feed %s (%s) added for guild %s", feed.id, url, guild_id)
    first: FirstPosts | None = None
    if guild_id is not None and not followed:
        served = await queue_first_posts(store, count=first_posts, guild_id=guild_id, feed_id=feed.id)
        first = served[0] if served else None
    return AddedFeed(feed=feed, check=checked, already_followed=followed, first_posts=first)


def _newest(count: int) -> str:
    return "the newest essay" if count == 1 else f"the newest {count} essays"


def feed_next_step(first: FirstPosts | None, *, count: int, channel: Callable[[int], str], shown: Shown = as_is) -> str:
    """What happens next for a server that just followed a feed, in one or two sentences."""
    if count <= 0:
        return "New essays will be posted as they appear; post older ones with /marginalia backfill."
    if first is None:
        return "New essays will be posted as they appear."
    if first.waiting_for == "a channel":
        return (
            f"No channel takes its essays yet: set one with /marginalia destinations set, and {_newest(count)} "
            "will be posted there at once."
        )
    where = " and ".join(channel(c) for c in first.channel_ids[:3])
    if first.waiting_for == "the first poll":
        return f"{_newest(count).capitalize()} will be posted in {where} within a minute, once the feed is read."
    if not first.titles:
        return "Every one of its newest essays is already posted here; new ones will be posted as they appear."
    titles = ", ".join(f"“{shown(title[:100])}”" for title in first.titles[-3:])
    return f"Posting {_newest(len(first.titles))} in {where} now: {titles}. Older ones: /marginalia backfill."


async def destination_next_step(
    store: Store, guild_id: int, *, count: int, channel: Callable[[int], str], shown: Shown = as_is
) -> tuple[str, int]:
    """After a channel is set: queue the first posts it unblocked; say what happens next, and how many were queued."""
    served = await queue_first_posts(store, count=count, guild_id=guild_id)
    queued = sum(first.queued for first in served)
    feeds = {feed.id: feed for feed in await store.list_feeds(guild_id=guild_id)}
    lines: list[str] = []
    for first in served:
        name = shown(feed_name(feeds[first.feed_id])) if first.feed_id in feeds else f"feed #{first.feed_id}"
        if first.titles:
            where = " and ".join(channel(c) for c in first.channel_ids[:3])
            titles = ", ".join(f"“{shown(title[:100])}”" for title in first.titles[-3:])
            lines.append(f"Posting {_newest(len(first.titles))} of {name} in {where} now: {titles}.")
        elif first.waiting_for == "the first poll":
            lines.append(f"{_newest(count).capitalize()} of {name} will be posted within a minute, once it is read.")
    if not feeds:
        lines.append("No feed yet: add one with /marginalia feeds add, and its newest essay will be posted here.")
    elif not lines:
        lines.append("New essays of this server's feeds will be posted as they appear.")
    return " ".join(lines), queued


async def resolve_feed(store: Store, ref: str, *, guild_id: int | None) -> FeedRow:
    """A feed by id or URL; with a server, only among the feeds that server follows."""
    text = ref.strip()
    feed: FeedRow | None
    if text.isdigit():
        feed = await store.get_feed(int(text))
    else:
        feed = await store.get_feed_by_url(text)
        if feed is None and is_url(text):
            feed = await store.get_feed_by_url(feed_url(text))
    if (
        feed is not None
        and guild_id is not None
        and all(f.id != feed.id for f in await store.list_feeds(guild_id=guild_id))
    ):
        feed = None
    if feed is None:
        where = "this server follows" if guild_id is not None else "is stored"
        raise NotFoundError(f"No feed {where} matches `{text[:200]}`; the feeds list shows their ids and addresses.")
    return feed


async def remove_feed(store: Store, ref: str, *, guild_id: int | None) -> FeedRow:
    """Unfollow a feed in a server, or (no server) delete it for every server."""
    feed = await resolve_feed(store, ref, guild_id=guild_id)
    await store.remove_feed(feed.id, guild_id=guild_id)
    logger.info("feed %s removed (guild %s)", feed.id, guild_id)
    return feed


async def set_feed_paused(store: Store, ref: str, paused: bool, *, guild_id: int | None) -> FeedRow:
    """Pause or resume a server's follow of a feed (other servers following it are untouched);
    with no server (the command line), the feed itself for everyone."""
    feed = await resolve_feed(store, ref, guild_id=guild_id)
    await store.set_feed_paused(feed.id, paused, guild_id=guild_id)
    if guild_id is None:
        changed = await store.get_feed(feed.id)
    else:
        changed = next((f for f in await store.list_feeds(guild_id=guild_id) if f.id == feed.id), None)
    assert changed is not None
    return changed


def feed_name(feed: FeedRow) -> str:
    return feed.title or feed.url


def describe_feed(feed: FeedRow, when: TimeFormat = iso_time, shown: Shown = as_is) -> str:
    """Two or three lines: the feed and its health."""
    state = "paused" if feed.paused else "active"
    lines = [f"#{feed.id} {shown(feed_name(feed))} ({state})", f"  {feed.url}"]
    health = f"  last poll {when(feed.last_polled_at)}, last success {when(feed.last_ok_at)}"
    if feed.consecutive_failures:
        health += f", {feed.consecutive_failures} failure(s) in a row"
    lines.append(health)
    if feed.last_error:
        lines.append(f"  last error: {shown(feed.last_error[:300])}")
    return "\n".join(lines)


def feed_json(feed: FeedRow) -> dict[str, Any]:
    return record(
        feed,
        "id",
        "url",
        "title",
        "paused",
        "added_at",
        "last_polled_at",
        "last_ok_at",
        "last_result",
        "last_error",
        "consecutive_failures",
    )
