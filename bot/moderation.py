"""Moderator operations, shared by the ``/marginalia`` commands and the command line.

Each operation validates everything first and then writes once, so a failure stores
nothing: a feed that fails its test fetch is not added, a destination with an unknown
feed filter is not set. Failures the moderator can fix raise ``UserError`` with a
message that says what to do. Discord itself stays out: the cog checks channel kinds
and the bot's permissions with discord.py and passes plain ids and names in here.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.errors import NotFoundError, UserError
from bot.essays.model import Essay
from bot.essays.sources import SourceError
from bot.fetch import Fetcher, FetchError, normalise_url
from bot.intake import (
    IntakeError,
    analyse_for_store,
    entry_to_essay,
    is_url,
    load_source,
    parse_fetched_feed,
    store_public_page,
)
from bot.poller import FirstPosts, PollReport, PollSettings, poll_feed, queue_essay, queue_first_posts
from bot.publishing.execution import plan_destination
from bot.publishing.plan import (
    ARCHIVE_MINUTES,
    MAX_FORUM_TAGS,
    MAX_SLOWMODE,
    PREVIEW_ID_BASE,
    Destination,
    PlanError,
    PreviewItem,
    preview,
)
from bot.store import EssayRow, FeedRow, Store
from bot.store.publishing import DestinationKind, DestinationRow
from bot.store.scope import GuildScope

logger = logging.getLogger(__name__)

DESTINATION_KINDS: tuple[DestinationKind, ...] = ("text", "announcement", "forum")
ARCHIVE_LABELS: dict[int, str] = {60: "1 hour", 1440: "1 day", 4320: "3 days", 10080: "1 week"}
MAX_BACKFILL = 20
# How many of a feed's newest stored essays a backfill looks through for ones not yet posted.
BACKFILL_SCAN = 500
FEED_HINT = "Give the feed's own address (it often ends in /feed, /rss, /atom.xml or /feeds/posts/default)."

# Permission names as discord.py spells them (``discord.Permissions`` attributes), per layout.
# A forum post is created with Send Messages in the forum; later chunks go in the post's thread.
_CHANNEL_PERMISSIONS = (
    "view_channel",
    "send_messages",
    "embed_links",
    "create_public_threads",
    "send_messages_in_threads",
)
_FORUM_PERMISSIONS = ("view_channel", "send_messages", "embed_links", "send_messages_in_threads")
PERMISSION_LABELS: dict[str, str] = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "embed_links": "Embed Links",
    "create_public_threads": "Create Public Threads",
    "send_messages_in_threads": "Send Messages in Threads",
}
_FORUM_LABELS: dict[str, str] = {"send_messages": "Create Posts (Send Messages)"}


def iso_time(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value is not None else "never"


TimeFormat = Callable[[datetime | None], str]
# How text from a feed is shown: as it is on the command line; escaped for Discord's markdown by the cogs.
Shown = Callable[[str], str]


def as_is(text: str) -> str:
    return text


# --- feeds ----------------------------------------------------------------------------------


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
    return {
        "id": feed.id,
        "url": feed.url,
        "title": feed.title,
        "paused": feed.paused,
        "added_at": feed.added_at.isoformat(),
        "last_polled_at": feed.last_polled_at.isoformat() if feed.last_polled_at else None,
        "last_ok_at": feed.last_ok_at.isoformat() if feed.last_ok_at else None,
        "last_result": feed.last_result,
        "last_error": feed.last_error,
        "consecutive_failures": feed.consecutive_failures,
    }


# --- destinations ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DestinationOptions:
    """A destination as a moderator asks for it, before validation."""

    guild_id: int
    channel_id: int
    kind: str
    archive_minutes: int = 10080
    slowmode: int = 0
    forum_tags: tuple[int, ...] = ()
    role_id: int | None = None
    feed: str | None = None


def check_kind(kind: str) -> DestinationKind:
    for known in DESTINATION_KINDS:
        if kind == known:
            return known
    raise UserError(f"Unknown channel kind `{kind[:40]}`: use text, announcement or forum.")


# Discord channel type numbers; a destination's layout follows from its channel's type.
_KIND_OF_CHANNEL_TYPE: dict[int, DestinationKind] = {0: "text", 5: "announcement", 15: "forum"}
_OTHER_CHANNEL_TYPES: dict[int, str] = {
    2: "a voice channel",
    4: "a category",
    10: "a thread",
    11: "a thread",
    12: "a thread",
    13: "a stage channel",
    14: "a server directory",
    16: "a media channel",
}


def destination_kind(channel_type: int) -> DestinationKind:
    """The layout for a channel type: text, announcement or forum; a UserError for any other channel."""
    kind = _KIND_OF_CHANNEL_TYPE.get(channel_type)
    if kind is None:
        what = _OTHER_CHANNEL_TYPES.get(channel_type, "a kind of channel the bot cannot post in")
        raise UserError(f"That is {what}. Choose a text, announcement or forum channel.")
    return kind


def needed_permissions(kind: DestinationKind) -> tuple[str, ...]:
    return _FORUM_PERMISSIONS if kind == "forum" else _CHANNEL_PERMISSIONS


def missing_permissions(kind: DestinationKind, granted: Mapping[str, bool]) -> list[str]:
    """Readable names of the permissions the bot lacks for this layout, in a stable order."""
    labels = {**PERMISSION_LABELS, **(_FORUM_LABELS if kind == "forum" else {})}
    return [labels[name] for name in needed_permissions(kind) if not granted.get(name, False)]


def match_forum_tags(requested: str, available: Sequence[tuple[int, str]]) -> tuple[int, ...]:
    """Tag ids for comma-separated tag names (case-insensitive); a UserError names any unknown one."""
    names = [name.strip() for name in requested.split(",") if name.strip()]
    by_name = {name.casefold(): tag_id for tag_id, name in available}
    unknown = [name for name in names if name.casefold() not in by_name]
    if unknown:
        offered = ", ".join(name for _, name in available) or "none"
        raise UserError(f"This forum has no tag {', '.join(unknown)[:300]}. Its tags are: {offered[:1200]}.")
    ids = tuple(dict.fromkeys(by_name[name.casefold()] for name in names))
    if len(ids) > MAX_FORUM_TAGS:
        raise UserError(f"A forum post takes at most {MAX_FORUM_TAGS} tags; you gave {len(ids)}.")
    return ids


def parse_ids(text: str, what: str) -> tuple[int, ...]:
    """Comma-separated ids (for the command line), or a UserError naming the bad one."""
    ids: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if not part.isdigit():
            raise UserError(f"`{part[:40]}` is not a {what} id (a number).")
        ids.append(int(part))
    return tuple(dict.fromkeys(ids))


async def set_destination(store: Store, options: DestinationOptions) -> DestinationRow:
    """Validate every option, then create or replace the channel's destination in one write."""
    kind = check_kind(options.kind)
    if options.archive_minutes not in ARCHIVE_MINUTES:
        choices = ", ".join(f"{m} ({ARCHIVE_LABELS[m]})" for m in ARCHIVE_MINUTES)
        raise UserError(f"The archive duration must be one of {choices} minutes.")
    if not 0 <= options.slowmode <= MAX_SLOWMODE:
        raise UserError(f"Slowmode must be between 0 and {MAX_SLOWMODE} seconds (6 hours).")
    if options.forum_tags and kind != "forum":
        raise UserError("Forum tags only apply to forum channels; leave them out for this channel.")
    if len(options.forum_tags) > MAX_FORUM_TAGS:
        raise UserError(f"A forum post takes at most {MAX_FORUM_TAGS} tags.")
    if options.role_id is not None and options.role_id == options.guild_id:
        raise UserError("The bot never mentions @everyone; choose a role members can opt into, or none.")
    feed_id: int | None = None
    if options.feed:
        feed_id = (await resolve_feed(store, options.feed, guild_id=options.guild_id)).id
    destination = await store.set_destination(
        guild_id=options.guild_id,
        channel_id=options.channel_id,
        kind=kind,
        feed_id=feed_id,
        archive_minutes=options.archive_minutes,
        slowmode=options.slowmode,
        forum_tags=options.forum_tags,
        mention_role_id=options.role_id,
    )
    logger.info(
        "destination %s set: guild %s channel %s (%s)", destination.id, options.guild_id, options.channel_id, kind
    )
    return destination


async def get_destination(store: Store, guild_id: int, channel_id: int) -> DestinationRow:
    destination = await store.get_destination_for_channel(guild_id, channel_id)
    if destination is None:
        raise NotFoundError("That channel is not a destination; the destinations list shows the ones there are.")
    return destination


async def remove_destination(store: Store, guild_id: int, channel_id: int) -> DestinationRow:
    destination = await get_destination(store, guild_id, channel_id)
    await store.remove_destination(guild_id, channel_id)
    return destination


async def resume_destination(store: Store, guild_id: int, channel_id: int) -> DestinationRow:
    """Clear a stop; the caller wakes the publisher. The returned row is as it was before."""
    destination = await get_destination(store, guild_id, channel_id)
    await store.resume_destination(destination.id)
    return destination


def describe_destination(
    destination: DestinationRow,
    *,
    channel: str,
    feeds: Mapping[int, FeedRow],
    role: str | None = None,
    shown: Shown = as_is,
) -> str:
    """One line per destination; ``channel`` and ``role`` are already formatted by the caller."""
    parts = [f"{channel}: {destination.kind}", f"archive {ARCHIVE_LABELS.get(destination.archive_minutes, '?')}"]
    if destination.slowmode:
        parts.append(f"slowmode {destination.slowmode}s")
    if destination.forum_tags:
        parts.append(f"{len(destination.forum_tags)} tag(s)")
    if destination.mention_role_id is not None:
        parts.append(f"mentions {role or destination.mention_role_id}")
    if destination.feed_id is not None:
        feed = feeds.get(destination.feed_id)
        parts.append(f"only {shown(feed_name(feed)) if feed else f'feed #{destination.feed_id}'}")
    else:
        parts.append("every feed")
    line = ", ".join(parts)
    if destination.stopped_reason:
        line += f" — STOPPED: {shown(destination.stopped_reason[:300])}"
    return line


def destination_json(destination: DestinationRow) -> dict[str, Any]:
    return {
        "id": destination.id,
        "guild_id": destination.guild_id,
        "channel_id": destination.channel_id,
        "kind": destination.kind,
        "feed_id": destination.feed_id,
        "archive_minutes": destination.archive_minutes,
        "slowmode": destination.slowmode,
        "forum_tags": list(destination.forum_tags),
        "mention_role_id": destination.mention_role_id,
        "stopped_reason": destination.stopped_reason,
    }


# --- essays: find, fetch, preview -----------------------------------------------------------


async def find_stored_essay(store: Store, ref: str, *, guild_id: GuildScope) -> EssayRow | None:
    """A stored essay the server may see, by key or URL."""
    text = ref.strip()
    row = await store.find_visible_essay(text, guild_id=guild_id)
    if row is None and is_url(text):
        try:
            row = await store.find_visible_essay(normalise_url(text), guild_id=guild_id)
        except ValueError:
            return None
    return row


async def fetch_essay_page(fetcher: Fetcher, url: str) -> Essay:
    """Fetch one essay page into an Essay (not stored); a UserError says why it cannot be read."""
    try:
        loaded = await load_source(url, fetcher)
    except IntakeError as exc:
        raise UserError(f"Could not read that essay: {exc}") from exc
    if loaded.feed is not None:
        raise UserError(
            "That address is a feed, not an essay: follow it with the feeds commands and use backfill, "
            "or give one essay's own address."
        )
    if not loaded.entries:
        problem = loaded.problems[0] if loaded.problems else "no essay found"
        raise UserError(f"Could not read that essay: {problem}")
    try:
        return entry_to_essay(loaded.entries[0])
    except IntakeError as exc:
        raise UserError(f"Could not read that essay: {exc}") from exc


async def find_or_ingest_essay(
    store: Store, fetcher: Fetcher, ref: str, *, guild_id: GuildScope, max_sections: int
) -> tuple[EssayRow, bool]:
    """A stored essay the server may see, by key or URL; another URL is fetched and stored first.

    True when stored now. A page that another server's feed already stored is used only when
    what the page shows now is that same text: the server proved it can read it, and nothing of
    the other server's copy (a members-only version, say) is shown or changed.
    """
    row = await find_stored_essay(store, ref, guild_id=guild_id)
    if row is not None:
        return row, False
    text = ref.strip()
    if not is_url(text):
        raise NotFoundError(f"No stored essay has the key `{text[:200]}`; give the essay's URL to fetch it.")
    essay = await fetch_essay_page(fetcher, text)
    try:
        stored, new = await store_public_page(store, essay, max_sections=max_sections)
    except IntakeError as exc:
        raise UserError(
            "Another copy of that essay is stored from a feed this server does not follow; "
            "follow the blog's feed with /marginalia feeds add to post it."
        ) from exc
    logger.info("essay %s ingested by hand (%s)", stored.essay.key, "new" if new else "as stored")
    return stored, new


@dataclass(frozen=True, slots=True)
class PostOutcome:
    essay: EssayRow
    queued: int
    ingested: bool


async def post_essay(store: Store, fetcher: Fetcher, ref: str, *, guild_id: int, max_sections: int) -> PostOutcome:
    """Queue one essay (by key or URL; an unknown URL is fetched and stored first) for this server."""
    destinations = await store.list_destinations(guild_id=guild_id)
    if not destinations:
        raise UserError("This server has no destination yet: set one with /marginalia destinations set.")
    row, ingested = await find_or_ingest_essay(store, fetcher, ref, guild_id=guild_id, max_sections=max_sections)
    queued = await queue_essay(store, row.id, guild_id=guild_id)
    if queued == 0:
        if not any(accepts(d, row) for d in destinations):
            raise UserError(
                "No destination of this server takes this essay (each is limited to another feed); "
                "set one for every feed, or for this essay's feed."
            )
        raise UserError("That essay is already posted or queued in every destination; use repost to post it again.")
    logger.info("essay %s queued by hand for %d destination(s) in guild %s", row.essay.key, queued, guild_id)
    return PostOutcome(essay=row, queued=queued, ingested=ingested)


@dataclass(frozen=True, slots=True)
class BackfillOutcome:
    feed: FeedRow
    essays: list[EssayRow]
    poll: PollReport | None


async def backfill_feed(
    store: Store,
    fetcher: Fetcher,
    ref: str,
    count: int,
    *,
    guild_id: int,
    settings: PollSettings,
) -> BackfillOutcome:
    """Queue the ``count`` newest essays of a feed not yet posted in this server, oldest first."""
    if not 1 <= count <= MAX_BACKFILL:
        raise UserError(f"Backfill takes 1 to {MAX_BACKFILL} essays at a time.")
    feed = await resolve_feed(store, ref, guild_id=guild_id)
    destinations = [d for d in await store.list_destinations(guild_id=guild_id) if d.feed_id in (None, feed.id)]
    if not destinations:
        raise UserError("No destination of this server takes this feed: set one with /marginalia destinations set.")
    poll: PollReport | None = None
    if not feed.primed:
        # Never polled: read it now, so its essays are stored (the first poll stores the whole feed).
        poll = await poll_feed(store, fetcher, feed, settings=settings)
    essays = await store.newest_visible_essays(guild_id=guild_id, feed_id=feed.id, limit=BACKFILL_SCAN)
    if not essays:
        current = await store.get_feed(feed.id) or feed
        reason = f": {current.last_error}" if current.last_error else ""
        raise UserError(f"No essay of this feed is stored yet{reason}. Check it with /marginalia feeds list.")
    chosen: list[EssayRow] = []
    for row in essays:  # newest first
        if len(chosen) == count:
            break
        for destination in destinations:
            if await store.find_publication(row.id, destination.id) is None:
                chosen.append(row)
                break
    for row in reversed(chosen):  # oldest first, so they are posted in order
        await queue_essay(store, row.id, guild_id=guild_id)
    logger.info("backfill of feed %s queued %d essay(s) in guild %s", feed.id, len(chosen), guild_id)
    return BackfillOutcome(feed=feed, essays=list(reversed(chosen)), poll=poll)


@dataclass(frozen=True, slots=True)
class RepostOutcome:
    essay: EssayRow
    destinations: list[DestinationRow]


def accepts(destination: DestinationRow, essay: EssayRow) -> bool:
    """Whether a destination's feed filter lets this essay through (hand-posted essays have no feed)."""
    return destination.feed_id is None or destination.feed_id == essay.feed_id


async def repost_essay(store: Store, ref: str, *, guild_id: int, channel_id: int | None = None) -> RepostOutcome:
    """Post a stored essay again from scratch in the server's destinations (or one of them).

    The messages already posted stay; the publisher makes a whole new card and threads.
    """
    row = await find_stored_essay(store, ref, guild_id=guild_id)
    if row is None:
        raise NotFoundError(f"No stored essay matches `{ref.strip()[:200]}`; post it first.")
    if channel_id is not None:
        targets = [await get_destination(store, guild_id, channel_id)]
    else:
        targets = [d for d in await store.list_destinations(guild_id=guild_id) if accepts(d, row)]
    if not targets:
        raise UserError("No destination of this server takes this essay; set one with /marginalia destinations set.")
    for destination in targets:
        publication = await store.find_publication(row.id, destination.id)
        if publication is None:
            await store.queue_publication(row.id, destination.id, row.revision)
        else:
            await store.requeue_publication(publication.id, row.revision)
    logger.info("essay %s queued again for %d destination(s) in guild %s", row.essay.key, len(targets), guild_id)
    return RepostOutcome(essay=row, destinations=targets)


@dataclass(frozen=True, slots=True)
class PreviewReport:
    """What a post will produce: the final card (or first forum post's) embed and the thread names."""

    title: str
    destination: Destination
    default_layout: bool
    stored: bool
    items: list[PreviewItem]
    thread_names: list[str]
    card: dict[str, Any] | None
    card_content: str | None
    messages_per_section: dict[int, int] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return len(self.items)


async def preview_essay(
    store: Store,
    fetcher: Fetcher,
    ref: str,
    *,
    guild_id: int,
    channel_id: int | None = None,
    max_sections: int,
) -> PreviewReport:
    """The exact plan for one essay in one destination of the server (or a default text layout); stores nothing."""
    destination, default = await _preview_destination(store, guild_id, channel_id)
    row = await find_stored_essay(store, ref, guild_id=guild_id)
    if row is not None:
        essay = row.essay
        analysis = await store.load_analysis(row.id)
    else:
        if not is_url(ref.strip()):
            raise NotFoundError(f"No stored essay has the key `{ref.strip()[:200]}`; give the essay's URL.")
        essay = await fetch_essay_page(fetcher, ref.strip())
        # The same analysis a post would store (the store is only read here).
        analysis = await analyse_for_store(store, essay, max_sections=max_sections)
    try:
        items = preview(essay, analysis, destination)
    except PlanError as exc:
        raise UserError(f"This essay cannot be posted as it is: {exc}") from exc
    return summarise_preview(essay.title, destination, items, default=default, stored=row is not None)


async def _preview_destination(store: Store, guild_id: int, channel_id: int | None) -> tuple[Destination, bool]:
    if channel_id is not None:
        return plan_destination(await get_destination(store, guild_id, channel_id)), False
    destinations = await store.list_destinations(guild_id=guild_id)
    if destinations:
        return plan_destination(destinations[0]), False
    return Destination(guild_id=guild_id, channel_id=PREVIEW_ID_BASE, kind="text"), True


def summarise_preview(
    title: str, destination: Destination, items: list[PreviewItem], *, default: bool, stored: bool
) -> PreviewReport:
    thread_names: list[str] = []
    card: dict[str, Any] | None = None
    card_content: str | None = None
    per_section: dict[int, int] = {}
    for item in items:
        body = item.request.json or {}
        action = item.step.action
        if action in ("thread", "forum_post"):
            thread_names.append(str(body["name"]))
        if action in ("thread_text", "forum_text", "forum_post") and item.step.section is not None:
            per_section[item.step.section] = per_section.get(item.step.section, 0) + 1
        if action == "card":
            card_content = body.get("content")
            card = body["embeds"][0]
        elif action == "card_links":
            card = body["embeds"][0]  # the card as it ends up, linking the anchors
        elif action == "forum_links" and card is None:
            card = body["embeds"][0]  # the first post's embed as it ends up
    return PreviewReport(
        title=title,
        destination=destination,
        default_layout=default,
        stored=stored,
        items=items,
        thread_names=thread_names,
        card=card,
        card_content=card_content,
        messages_per_section=per_section,
    )


def format_preview(report: PreviewReport, *, channel: str, limit: int = 1900) -> str:
    """The text part of the preview; the card itself goes in an embed."""
    layout = f"{report.destination.kind} layout"
    where = "a text channel (no destination set yet)" if report.default_layout else f"{channel} ({layout})"
    lines = [f"Preview for {where}; nothing is posted."]
    if report.card_content:
        lines.append(f"The card mentions {report.card_content}.")
    if not report.stored:
        lines.append("The essay is not stored yet: posting it will fetch and store it.")
    noun = "forum posts" if report.destination.kind == "forum" else "threads"
    if report.destination.kind != "forum":
        lines.append(
            "The card below, then " + (f"{len(report.thread_names)} {noun}:" if report.thread_names else "no threads.")
        )
    else:
        lines.append(f"{len(report.thread_names)} {noun} (the first one's embed below):")
    for name in report.thread_names:
        lines.append(f"• {name}")
    lines.append(f"{report.requests} Discord requests in all.")
    return fit_lines(lines, limit)


def fit_lines(lines: Sequence[str], limit: int = 1900) -> str:
    """As many whole lines as fit ``limit`` characters, then how many were left out."""
    kept: list[str] = []
    used = 0
    for number, line in enumerate(lines):
        if used + len(line) + 1 > limit - 20:
            kept.append(f"…and {len(lines) - number} more lines")
            break
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)


# --- status ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatusReport:
    counts: dict[str, int]
    feeds: list[FeedRow]
    destinations: list[DestinationRow]
    modlog_channel_id: int | None


async def guild_status(store: Store, guild_id: int) -> StatusReport:
    return StatusReport(
        counts=await store.publication_counts(guild_id=guild_id),
        feeds=await store.list_feeds(guild_id=guild_id),
        destinations=await store.list_destinations(guild_id=guild_id),
        modlog_channel_id=await store.get_modlog(guild_id),
    )


def format_status(
    report: StatusReport,
    *,
    channel: Callable[[int], str],
    when: TimeFormat = iso_time,
    limit: int = 1900,
    shown: Shown = as_is,
) -> str:
    counts = report.counts
    lines = [
        f"Queue: {counts.get('pending', 0)} pending, {counts.get('done', 0)} posted, "
        f"{counts.get('stopped', 0)} stopped.",
        f"Mod-log: {channel(report.modlog_channel_id) if report.modlog_channel_id else 'not set'}.",
    ]
    if not report.feeds:
        lines.append("Feeds: none yet.")
    for feed in report.feeds:
        state = " (paused)" if feed.paused else ""
        line = f"Feed #{feed.id} {shown(feed_name(feed)[:100])}{state}: last poll {when(feed.last_polled_at)}"
        if feed.last_error:
            line += f", last error: {shown(feed.last_error[:200])}"
        lines.append(line)
    stopped = [d for d in report.destinations if d.stopped_reason]
    lines.append(f"Destinations: {len(report.destinations)}, {len(stopped)} stopped.")
    for destination in stopped:
        lines.append(f"Stopped: {channel(destination.channel_id)}: {shown((destination.stopped_reason or '')[:300])}")
    return fit_lines(lines, limit)


# --- modlog ---------------------------------------------------------------------------------


async def set_modlog(store: Store, guild_id: int, channel_id: int) -> None:
    await store.set_modlog(guild_id, channel_id)


# --- backup ---------------------------------------------------------------------------------


async def backup_database(store: Store, target: Path, *, force: bool = False) -> Path:
    """Copy the live database with SQLite's online backup, then verify the copy.

    The copy is written beside the target and renamed into place only once it passes
    ``PRAGMA integrity_check``, so a failed backup never leaves a half-written file
    under the asked-for name.
    """
    partial = await asyncio.to_thread(_prepare_backup, target, force)
    # aiosqlite runs the backup on the store's own thread, so the target must allow that thread.
    copy = sqlite3.connect(partial, check_same_thread=False)
    try:
        await store.connection.backup(copy)
    finally:
        copy.close()
    problem = await asyncio.to_thread(_integrity_problem, partial)
    if problem is not None:
        await asyncio.to_thread(partial.unlink, missing_ok=True)
        raise UserError(f"The backup failed its integrity check ({problem}); the database may need attention.")
    await asyncio.to_thread(partial.replace, target)
    logger.info("database backed up to %s", target)
    return target


def _prepare_backup(target: Path, force: bool) -> Path:
    """The partial file to write; refuses an existing target unless forced."""
    if target.exists() and not force:
        raise UserError(f"{target} already exists; choose another path or add --force to overwrite it.")
    if not target.parent.is_dir():
        raise UserError(f"{target.parent} is not a directory; create it first.")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    return partial


def _integrity_problem(path: Path) -> str | None:
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute("PRAGMA integrity_check").fetchall()
    finally:
        connection.close()
    results = [str(row[0]) for row in rows]
    return None if results == ["ok"] else "; ".join(results)[:500]
