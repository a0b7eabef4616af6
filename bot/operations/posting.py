"""Posting by hand: find or fetch an essay, post it, backfill a feed, post an essay again."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.errors import NotFoundError, UserError
from bot.essays.model import Essay
from bot.fetch import Fetcher, normalise_url
from bot.intake import IntakeError, entry_to_essay, is_url, load_source, store_public_page
from bot.operations.destinations import get_destination
from bot.operations.feeds import resolve_feed
from bot.poller import PollReport, PollSettings, poll_feed, queue_essay
from bot.store import DestinationRow, EssayRow, FeedRow, Store
from bot.store.scope import GuildScope

logger = logging.getLogger(__name__)

MAX_BACKFILL = 20
# How many of a feed's newest stored essays a backfill looks through for ones not yet posted.
BACKFILL_SCAN = 500


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
