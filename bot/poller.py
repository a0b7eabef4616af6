"""The feed poller's core: fetch a feed, store what is new or revised, queue it for posting.

No Discord here: each poll returns a PollReport; the bot passes its message to the
moderators of the guilds following the feed and wakes the publisher.

What people complain about in feed bots shapes this module: duplicates after a
restart or an edit, an error page read as a feed where "everything is new", the
archive flooding in on the first run (or nothing posted with no word why), and
silence when a feed breaks. Hence:

- the identities a feed has shown are remembered (``feed_entries``), so an entry
  that vanishes and returns stays seen;
- the writes for a new entry go store essay → queue publications → mark seen, each
  idempotent, so a crash between them and the next poll converge without a double post;
- the first poll stores the backlog and posts only the newest few, and says so;
- an entry whose id changed but whose link or title and date match a stored essay is
  recognised, and a poll where most entries look new at once is handled like a first poll;
- failures back off and are told to moderators at the 1st, 3rd, 10th and every 24th
  after, and once more when the feed recovers.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from bot.essays.model import Entry, Essay
from bot.essays.sections import DEFAULT_MAX_SECTIONS
from bot.essays.sources import SourceError
from bot.fetch import Fetcher, FetchError, FetchResult, next_poll_delay, normalise_url
from bot.intake import (
    IntakeError,
    analysis_failure_line,
    complete_entries,
    entry_identity,
    entry_to_essay,
    parse_fetched_feed,
    store_essay,
)
from bot.leases import HeldLease, LeaseSettings, Renew
from bot.store import FeedRow, IngestOutcome, Store, StoreError
from bot.store.base import utcnow

logger = logging.getLogger(__name__)

# Failure counts at which moderators hear about a broken feed; after the last, every 24th.
TELL_AT_FAILURES = (1, 3, 10)
TELL_EVERY_FAILURES = 24
# On a primed feed with at least this many entries, more than this share looking new at
# once means the feed was replaced or rebuilt rather than that the author wrote them all.
MASS_CHANGE_MIN_ENTRIES = 5
MASS_CHANGE_SHARE = 0.8
_MAX_TITLES = 3
_TITLE_CHARS = 80
_REASON_CHARS = 300
# Discord allows 2000 characters; leave room for whatever the cog adds around it.
_MESSAGE_CHARS = 1800
_COMMANDS = "Use /marginalia post or /marginalia backfill to post more."
# The end of a poll summary recording entries seen under new ids ("ok; 3 entries under new ids").
_RENAMED_RE = re.compile(r"; \d+ entr(?:y|ies) under new ids$")


@dataclass(frozen=True)
class PollSettings:
    poll_interval: float = 900.0
    first_poll_posts: int = 1
    max_sections: int = DEFAULT_MAX_SECTIONS


@dataclass
class PollReport:
    feed_id: int
    url: str
    ok: bool
    new: list[int] = field(default_factory=list)  # essay ids stored as new on this poll
    revised: list[int] = field(default_factory=list)  # essay ids that got a new revision
    queued: int = 0  # publications queued by this poll
    message: str | None = None  # for the moderators of the guilds following the feed; None: nothing to say
    guild_ids: list[int] = field(default_factory=list)  # guilds following the feed
    first_posts: list[FirstPosts] = field(default_factory=list)  # servers' new follows served (or waiting)

    def message_for(self, guild_id: int) -> str | None:
        """What the moderators of one server following the feed are told, with their own first posts."""
        own = [first_posts_line(first) for first in self.first_posts if first.guild_id == guild_id]
        lines = [line for line in (self.message, *own) if line]
        return _clip(" ".join(lines), _MESSAGE_CHARS) if lines else None


@dataclass
class _Item:
    """A feed entry with its identity; ``essay`` is None until a summary-only entry's page is read."""

    entry: Entry
    identity: str
    essay: Essay | None


# --------------------------------------------------------------------------- public API


async def poll_due_feeds(
    store: Store,
    fetcher: Fetcher,
    *,
    settings: PollSettings,
    now: datetime | None = None,
    rng: random.Random | None = None,
    leases: LeaseSettings | None = None,
) -> list[PollReport]:
    """Poll, one after another, every feed not paused whose next poll is due (or that was never polled).

    Each feed is claimed first (``Store.claim_due_feeds``), so several bot processes over one database
    poll each due feed once; the claim is renewed while the poll runs and recording the poll releases
    it. One feed is claimed at a time: a feed waiting its turn stays free for another process.
    """
    now = now or utcnow()
    rng = rng or random.Random()
    leases = leases or LeaseSettings()
    reports: list[PollReport] = []
    polled: set[int] = set()
    while claimed := await store.claim_due_feeds(limit=1, lease=leases.length, due_by=now):
        feed = claimed[0]
        if feed.id in polled:
            # Polled in this round and still due: its outcome could not be recorded (a storage
            # failure). Its lease keeps it from the next claims until it runs out.
            continue
        polled.add(feed.id)
        async with HeldLease(f"feed {feed.id}", _feed_renewal(store, feed.id), leases):
            reports.append(await _poll_claimed(store, fetcher, feed, settings=settings, now=now, rng=rng))
    return reports


def _feed_renewal(store: Store, feed_id: int) -> Renew:
    async def renew(length: timedelta) -> bool:
        return await store.renew_feed_lease(feed_id, lease=length)

    return renew


async def _poll_claimed(
    store: Store, fetcher: Fetcher, feed: FeedRow, *, settings: PollSettings, now: datetime, rng: random.Random
) -> PollReport:
    try:
        return await poll_feed(store, fetcher, feed, settings=settings, now=now, rng=rng)
    except Exception as exc:
        # A bug or a database failure on one feed must not stop the others; backing the
        # feed off keeps it from failing again on every tick.
        logger.exception("polling feed %d (%s) failed unexpectedly", feed.id, feed.url)
        # A storage failure (a full disk) is something moderators can act on: say what it is.
        reason = str(exc) if isinstance(exc, StoreError) else None
        return await _record_internal_failure(store, feed, settings=settings, now=now, rng=rng, reason=reason)


async def poll_feed(
    store: Store,
    fetcher: Fetcher,
    feed: FeedRow,
    *,
    settings: PollSettings,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> PollReport:
    """Poll one feed: store new and revised essays, queue the new ones, record the outcome."""
    # Re-read the row: the caller's copy may predate an earlier poll (failure counts, validators).
    feed = await store.get_feed(feed.id) or feed
    poll = _FeedPoll(store, fetcher, feed, settings, now or utcnow(), rng or random.Random())
    return await poll.run()


async def queue_essay(store: Store, essay_id: int, *, guild_id: int | None = None) -> int:
    """Queue publications of one essay; return how many were newly queued.

    Without ``guild_id``: to every destination of every guild following the essay's
    feed whose filter lets it through. With ``guild_id`` (a moderator's manual post):
    to every destination of that guild whose filter is unset or is the essay's feed.
    An essay already queued or posted to a destination is not queued there again.
    """
    row = await store.get_essay_by_id(essay_id)
    if row is None:
        logger.warning("cannot queue essay %d: no such essay", essay_id)
        return 0
    if guild_id is None:
        if row.feed_id is None:
            return 0
        return await _queue_for_feed(store, row.id, row.revision, row.feed_id)
    destinations = [
        d for d in await store.list_destinations(guild_id=guild_id) if d.feed_id is None or d.feed_id == row.feed_id
    ]
    queued = 0
    for destination in destinations:
        if await store.queue_publication(row.id, destination.id, row.revision) is not None:
            queued += 1
    return queued


@dataclass(frozen=True)
class FirstPosts:
    """What a server's new follow of a feed got: its newest essays queued, or what it waits for."""

    guild_id: int
    feed_id: int
    titles: list[str]  # queued now, oldest first
    channel_ids: list[int]  # where they go
    waiting_for: str | None = None  # "a channel" or "the first poll"; None once done
    queued: int = 0  # publications queued


async def queue_first_posts(
    store: Store, *, count: int, guild_id: int | None = None, feed_id: int | None = None
) -> list[FirstPosts]:
    """Queue the newest ``count`` essays of each feed a server has just followed, once it can.

    A server that follows a feed is owed its newest essays (FIRST_POLL_POSTS) as soon as two
    things are true, in whichever order a moderator does them: the feed has been read, and the
    server has a channel that takes the feed. Called after a feed's poll, when a channel is set
    and when a feed is followed; each follow is served once.
    """
    outcomes: list[FirstPosts] = []
    removed = await store.removed_guilds()
    for owed_guild, owed_feed in await store.first_posts_owed(guild_id=guild_id, feed_id=feed_id):
        if owed_guild in removed:
            continue
        feed = await store.get_feed(owed_feed)
        if feed is None:
            continue
        destinations = [d for d in await store.list_destinations(guild_id=owed_guild) if d.feed_id in (None, feed.id)]
        channels = [d.channel_id for d in destinations]
        if not destinations or not feed.primed:
            waiting = "a channel" if not destinations else "the first poll"
            outcomes.append(FirstPosts(owed_guild, owed_feed, [], channels, waiting_for=waiting))
            continue
        newest = await store.newest_visible_essays(guild_id=owed_guild, feed_id=feed.id, limit=max(0, count))
        titles: list[str] = []
        queued = 0
        for row in reversed(newest):  # oldest first, so they are posted in order
            made = [await store.queue_publication(row.id, d.id, row.revision) for d in destinations]
            queued += sum(publication is not None for publication in made)
            if any(publication is not None for publication in made):
                titles.append(row.essay.title)
        await store.first_posts_done(owed_guild, owed_feed)
        outcomes.append(FirstPosts(owed_guild, owed_feed, titles, channels, queued=queued))
    return outcomes


async def _queue_for_feed(store: Store, essay_id: int, revision: int, feed_id: int) -> int:
    """Queue an essay for the destinations taking ``feed_id`` (the feed that showed it)."""
    removed = await store.removed_guilds()
    queued = 0
    for destination in await store.destinations_for_feed(feed_id):
        if destination.guild_id in removed:
            continue
        if await store.queue_publication(essay_id, destination.id, revision) is not None:
            queued += 1
    return queued


async def _record_internal_failure(
    store: Store,
    feed: FeedRow,
    *,
    settings: PollSettings,
    now: datetime,
    rng: random.Random,
    reason: str | None = None,
) -> PollReport:
    """Back off a feed whose poll raised; ``reason`` is a storage failure worth telling as it is."""
    report = PollReport(feed.id, feed.url, ok=False)
    try:
        report.guild_ids = await store.guilds_following(feed.id)
        current = await store.get_feed(feed.id) or feed
        delay = next_poll_delay(settings.poll_interval, current.consecutive_failures + 1, retry_after=None, rng=rng)
        failures = await store.record_poll_failure(
            feed.id,
            error=_clip(reason) if reason else "internal error (see the bot's log)",
            next_poll_at=now + timedelta(seconds=delay),
        )
    except Exception:
        logger.exception("could not record the failure of feed %d", feed.id)
        if reason:
            # The failure could not be counted (the same storage problem, surely); tell it anyway.
            report.message = f"{_feed_name(feed)} could not be polled: {_clip(reason)}."
        return report
    if not should_tell_failure(failures):
        return report
    if reason:
        report.message = (
            f"{_feed_name(current)} could not be polled: {_clip(reason)} "
            f"({_failures(failures)} in a row; next try in {describe_delay(delay)})."
        )
    else:
        report.message = (
            f"{_feed_name(current)} could not be polled because of an internal error "
            f"({_failures(failures)} in a row; next try in {describe_delay(delay)}). The bot's log has the details."
        )
    return report


# ------------------------------------------------------------------------- one poll


class _FeedPoll:
    """One poll of one feed, collecting what happened into its report."""

    def __init__(
        self,
        store: Store,
        fetcher: Fetcher,
        feed: FeedRow,
        settings: PollSettings,
        now: datetime,
        rng: random.Random,
    ) -> None:
        self.store = store
        self.fetcher = fetcher
        self.feed = feed
        self.settings = settings
        self.now = now
        self.rng = rng
        self.name = _feed_name(feed)
        self.report = PollReport(feed.id, feed.url, ok=False)
        self.notes: list[str] = []  # always worth telling (first poll, anomalies)
        self.problems: list[str] = []  # entries that could not be read this time
        self.renamed = 0  # entries recognised as stored essays under a new id

    async def run(self) -> PollReport:
        self.report.guild_ids = await self.store.guilds_following(self.feed.id)
        try:
            result = await self.fetcher.fetch(self.feed.url, etag=self.feed.etag, last_modified=self.feed.last_modified)
        except FetchError as exc:
            return await self._fail(exc.reason, exc.retry_after)
        if result.moved_permanently:
            logger.info("feed %d moved permanently to %s", self.feed.id, result.final_url)
        if result.not_modified:
            return await self._succeed(result, title=None, primed=self.feed.primed)
        try:
            parsed = parse_fetched_feed(result)
        except SourceError as exc:
            return await self._fail(exc.reason, None)
        if parsed.warning:
            logger.info("feed %d parsed with a warning: %s", self.feed.id, parsed.warning)
        if not parsed.entries and await self.store.seen_count(self.feed.id) > 0:
            # An empty feed that listed essays before is a broken generator, not a quiet blog.
            return await self._fail("the feed came back with no entries, though it listed essays before", None)
        if self.feed.title is None and parsed.title:
            self.name = parsed.title
        items = self._prepare(parsed.entries)
        if self.feed.primed:
            await self._update(items)
        else:
            await self._prime(items)
        report = await self._succeed(result, title=parsed.title or None, primed=True)
        report.first_posts = await queue_first_posts(
            self.store, count=self.settings.first_poll_posts, feed_id=self.feed.id
        )
        report.queued += sum(first.queued for first in report.first_posts)
        return report

    # ----------------------------------------------------------------- entries

    def _prepare(self, entries: Sequence[Entry]) -> list[_Item]:
        """Identify each entry once; clean those that carry their text."""
        items: list[_Item] = []
        identities: set[str] = set()
        for entry in entries:
            essay: Essay | None = None
            if entry.summary_only:
                identity = entry_identity(entry)
            else:
                try:
                    essay = entry_to_essay(entry)
                except IntakeError as exc:
                    self.problems.append(str(exc))
                    continue
                identity = essay.key  # the same identity the store keys the essay by
            if identity in identities:
                continue  # a feed repeating an entry
            identities.add(identity)
            items.append(_Item(entry, identity, essay))
        return items

    async def _complete(self, items: Sequence[_Item]) -> list[_Item]:
        """The items whose text is at hand, fetching article pages for summary-only ones."""
        pending = [item for item in items if item.essay is None]
        if pending:
            completed, problems = await complete_entries([item.entry for item in pending], self.fetcher)
            self.problems.extend(problems)
            by_identity = {item.identity: item for item in pending}
            for entry in completed:
                item = by_identity[entry_identity(entry)]
                try:
                    item.essay = entry_to_essay(entry)
                except IntakeError as exc:
                    self.problems.append(str(exc))
        return [item for item in items if item.essay is not None]

    async def _store(self, item: _Item, *, key: str | None = None) -> IngestOutcome:
        assert item.essay is not None
        essay = item.essay if key is None else replace(item.essay, key=key)
        outcome = await store_essay(self.store, essay, feed_id=self.feed.id, max_sections=self.settings.max_sections)
        if outcome.analysis_failures:
            # Stored and posted without that part of the analysis; the moderators hear which essay.
            self.notes.append(f"{self.name}: {analysis_failure_line(essay.title, outcome.analysis_failures)}.")
        if outcome.status == "new":
            self.report.new.append(outcome.essay_id)
        elif outcome.status == "revised":
            self.report.revised.append(outcome.essay_id)
        return outcome

    async def _queue(self, outcome: IngestOutcome) -> None:
        self.report.queued += await _queue_for_feed(self.store, outcome.essay_id, outcome.revision, self.feed.id)

    # ------------------------------------------------------------- first poll

    async def _prime(self, items: list[_Item]) -> None:
        # Each following server gets the newest few once it has a channel (queue_first_posts, after the poll).
        await self._store_backlog(items, queue=False)
        self.notes.append(f"Connected {self.name}: found {_essays(len(items))}.")

    async def _store_backlog(self, items: list[_Item], *, queue: bool = True) -> list[_Item]:
        """Store every item, mark all seen, queue only the newest few (unless not ``queue``); return them."""
        chosen = _newest_first(items)[: max(0, self.settings.first_poll_posts)]
        chosen_ids = {item.identity for item in chosen}
        stored: dict[str, IngestOutcome] = {}
        for item in await self._complete(items):
            stored[item.identity] = await self._store(item)
        for item in reversed(chosen) if queue else ():  # oldest first, so they are posted in order
            if item.identity in stored:
                await self._queue(stored[item.identity])
        for item in items:
            if item.identity in stored:
                await self.store.mark_seen(self.feed.id, item.identity, stored[item.identity].essay_id)
            elif item.identity not in chosen_ids:
                # Backlog whose page failed: seen (never posted by itself), stored once its page can be had.
                await self.store.mark_seen(self.feed.id, item.identity, None)
            # A chosen entry that failed stays unseen: the next poll posts it as new.
        return chosen

    async def _backlog_note(self, opening: str, chosen: list[_Item]) -> str:
        if not chosen:
            if self.settings.first_poll_posts <= 0:
                return f"{opening}; none posted (first-poll posting is off). {_COMMANDS}"
            return f"{opening}; new ones will be posted as they appear."
        if not await self.store.destinations_for_feed(self.feed.id):
            return f"{opening}, but no channel is set to receive this feed yet. {_COMMANDS}"
        return f"{opening}; posted the newest {len(chosen)} ({_titles(chosen)}). {_COMMANDS}"

    # ------------------------------------------------------------ later polls

    async def _update(self, items: list[_Item]) -> None:
        seen = await self.store.seen_entries(self.feed.id, [item.identity for item in items])
        for item in items:
            if item.identity in seen:
                await self._refresh(item, seen[item.identity])
        fresh = await self._recognise([item for item in items if item.identity not in seen])
        if len(items) >= MASS_CHANGE_MIN_ENTRIES and len(fresh) > MASS_CHANGE_SHARE * len(items):
            logger.warning(
                "feed %d: %d of %d entries new at once; treated as a first poll", self.feed.id, len(fresh), len(items)
            )
            chosen = await self._store_backlog(fresh)
            opening = (
                f"{self.name}: {len(fresh)} of its {len(items)} entries looked new at once "
                f"(the feed may have been replaced or rebuilt), so they were stored without a flood"
            )
            self.notes.append(await self._backlog_note(opening, chosen))
            return
        for item in _newest_first(await self._complete(fresh))[::-1]:
            outcome = await self._store(item)
            await self._queue(outcome)
            await self.store.mark_seen(self.feed.id, item.identity, outcome.essay_id)

    async def _refresh(self, item: _Item, essay_id: int | None) -> None:
        """A seen entry: store it if it never was, or make a revision if its text changed."""
        if essay_id is None:
            for ready in await self._complete([item]):
                outcome = await self._store(ready)
                await self.store.mark_seen(self.feed.id, item.identity, outcome.essay_id)
            return
        if item.essay is None:
            return  # summary-only: the page is not fetched again on every poll
        existing = await self.store.get_essay_by_id(essay_id)
        if existing is None:
            return
        # The stored key wins: an entry recognised after an id change revises its old essay.
        if replace(item.essay, key=existing.essay.key).content_hash != existing.content_hash:
            await self._store(item, key=existing.essay.key)

    async def _recognise(self, fresh: list[_Item]) -> list[_Item]:
        """Mark seen the unseen entries matching a stored essay of the feed; return the others."""
        if not fresh:
            return []
        # An essay stored under the entry's own identity is no id change but a poll cut short
        # before its entry was marked seen: that one goes on through the normal steps.
        unseen = {item.identity for item in fresh}
        briefs = [b for b in await self.store.feed_essay_briefs(self.feed.id) if b.key not in unseen]
        by_url = {_normal_url(b.url): b.id for b in briefs if b.url}
        by_title = {_title_date(b.title, b.published): b.id for b in briefs if b.published}
        unmatched: list[_Item] = []
        matched = 0
        for item in fresh:
            essay_id = by_url.get(_normal_url(item.entry.url)) if item.entry.url else None
            if essay_id is None and item.entry.published and item.entry.title.strip():
                essay_id = by_title.get(_title_date(item.entry.title, _utc(item.entry.published).date()))
            if essay_id is None:
                unmatched.append(item)
                continue
            await self.store.mark_seen(self.feed.id, item.identity, essay_id)
            matched += 1
        if matched:
            logger.warning("feed %d: %d entries changed identity; matched to stored essays", self.feed.id, matched)
            self.renamed += matched
        return unmatched

    # --------------------------------------------------------------- outcome

    async def _succeed(self, result: FetchResult, *, title: str | None, primed: bool) -> PollReport:
        delay = next_poll_delay(self.settings.poll_interval, 0, retry_after=None, rng=self.rng)
        summary = "not modified" if result.not_modified else "ok"
        if self.problems:
            summary = f"partial: {_entries(len(self.problems))} could not be read: {_clip(self.problems[0])}"
        # What was told after the previous poll, so the same thing is not told on every poll.
        previous = self.feed.last_result or ""
        previous_summary = _RENAMED_RE.sub("", previous)
        renamed_before = previous != previous_summary
        if self.renamed:
            summary += f"; {_entries(self.renamed)} under new ids"
        # With entries still to retry, forget the validators so the next poll reads the feed in full.
        keep_validators = not self.problems
        await self.store.record_poll_success(
            self.feed.id,
            result=summary,
            etag=result.etag if keep_validators else None,
            last_modified=result.last_modified if keep_validators else None,
            title=title,
            next_poll_at=self.now + timedelta(seconds=delay),
            primed=primed,
        )
        self.report.ok = True
        parts: list[str] = []
        if self.feed.consecutive_failures:
            parts.append(f"{self.name} is working again after {_failures(self.feed.consecutive_failures)}.")
        parts.extend(self.notes)
        # A feed whose ids change on every poll is told about once, not every 15 minutes.
        if self.renamed and not renamed_before:
            parts.append(
                f"{self.name}: {_entries(self.renamed)} came back with new ids but match essays already stored, "
                f"so {'it was' if self.renamed == 1 else 'they were'} not posted again."
            )
        # The same problem is told once, not on every poll until it is fixed.
        if self.problems and _RENAMED_RE.sub("", summary) != previous_summary:
            parts.append(
                f"{self.name}: {_entries(len(self.problems))} could not be read and will be retried: "
                f"{_clip(self.problems[0])}"
            )
        self.report.message = _clip(" ".join(parts), _MESSAGE_CHARS) if parts else None
        logger.info(
            "polled feed %d: %s; %d new, %d revised, %d queued",
            self.feed.id,
            summary,
            len(self.report.new),
            len(self.report.revised),
            self.report.queued,
        )
        return self.report

    async def _fail(self, reason: str, retry_after: float | None) -> PollReport:
        reason = _clip(reason.strip().splitlines()[0] if reason.strip() else "unknown error")
        delay = next_poll_delay(
            self.settings.poll_interval, self.feed.consecutive_failures + 1, retry_after=retry_after, rng=self.rng
        )
        failures = await self.store.record_poll_failure(
            self.feed.id, error=reason, next_poll_at=self.now + timedelta(seconds=delay)
        )
        logger.info("polling feed %d failed (%d in a row): %s", self.feed.id, failures, reason)
        if should_tell_failure(failures):
            self.report.message = (
                f"{self.name} could not be read: {reason} "
                f"({_failures(failures)} in a row; next try in {describe_delay(delay)})."
            )
        return self.report


# ----------------------------------------------------------------------------- helpers


def should_tell_failure(failures: int) -> bool:
    """Tell moderators on the 1st, 3rd and 10th failure in a row, then every 24th."""
    last = TELL_AT_FAILURES[-1]
    return failures in TELL_AT_FAILURES or (failures > last and (failures - last) % TELL_EVERY_FAILURES == 0)


def describe_delay(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 90:
        return _plural(max(1, minutes), "minute")
    hours = round(seconds / 3600)
    if hours < 48:
        return _plural(hours, "hour")
    return _plural(round(seconds / 86400), "day")


def first_posts_line(first: FirstPosts) -> str | None:
    """One server's news about its new follow: its first essays posted, or what they wait for."""
    if first.waiting_for == "a channel":
        return (
            "No channel takes this feed yet: set one with /marginalia destinations set and its newest "
            "essays will be posted there at once."
        )
    if first.waiting_for is not None:
        return None  # the first poll is coming; nothing to do
    if not first.titles:
        return f"None posted (first-poll posting is off). {_COMMANDS}"
    titles = ", ".join(_clip(title, _TITLE_CHARS) for title in first.titles[-_MAX_TITLES:])
    return f"Posted the newest {len(first.titles)} ({titles}). {_COMMANDS}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _failures(count: int) -> str:
    return _plural(count, "failure")


def _essays(count: int) -> str:
    return _plural(count, "essay")


def _entries(count: int) -> str:
    return f"{count} {'entry' if count == 1 else 'entries'}"


def _feed_name(feed: FeedRow) -> str:
    return feed.title or feed.url


def _clip(text: str, limit: int = _REASON_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _titles(items: Sequence[_Item]) -> str:
    shown = [_clip(item.entry.title.strip() or "Untitled", _TITLE_CHARS) for item in items[:_MAX_TITLES]]
    more = len(items) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _newest_first(items: Sequence[_Item]) -> list[_Item]:
    """By published date when every entry has one, else in feed order (feeds list newest first)."""
    dated: list[tuple[datetime, _Item]] = []
    for item in items:
        if item.entry.published is None:
            return list(items)
        dated.append((_utc(item.entry.published), item))
    # A stable sort: entries of the same moment keep their feed order.
    dated.sort(key=lambda pair: pair[0], reverse=True)
    return [item for _, item in dated]


def _normal_url(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return normalise_url(url)
    except ValueError:
        return url.strip()


def _title_date(title: str, day: date | None) -> tuple[str, date | None]:
    return " ".join(title.split()).casefold(), day
