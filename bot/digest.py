"""The weekly digest: the week's essays posted in a server and their most discussed sections, once a week.

A server's schedule (``digest_schedules``) holds its channel and the next run, so a restart keeps it.
Runs fall on Mondays at 09:00 UTC and cover the calendar week (UTC) that ended that midnight. Each
week's digest is posted exactly once, even across crashes, the way the publisher posts its steps
(``bot.publishing.execution``):

1. the week's record (server, week) is created once, with the request body and a nonce fixed then;
2. it is marked attempted before the request, and done with the message id after it;
3. a record found attempted (a crash, a timeout) is first looked for in the channel's recent
   messages; only if it is not there is the same body sent again, with the same nonce and
   ``enforce_nonce``, so Discord itself drops a copy of a request that did go through.

A bot offline for weeks posts the latest week only, not a backlog. Discord stays in the cog, which
gives ``run_due_digests`` a ``DigestSender``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from bot.activity import EssayActivity, essay_activity, messages_phrase, thread_url
from bot.lookup import clip, link, one_line
from bot.publishing.execution import new_nonce
from bot.publishing.render import escape_markdown, plain
from bot.store import BusySection, DigestSchedule, DigestState, PostedEssay, Store

logger = logging.getLogger(__name__)

WEEK = timedelta(days=7)
RUN_WEEKDAY = 0  # Monday
RUN_HOUR = 9  # 09:00 UTC
MAX_ESSAYS = 12
TOP_SECTIONS = 2  # the most discussed sections named per essay
STILL_DISCUSSED = 3  # sections of earlier essays busiest this week
DESCRIPTION_MAX = 4096
TITLE_MAX = 120
COLOUR = 0x5B7DB1


class DigestRefused(Exception):
    """Discord refused the digest for a reason a moderator must fix (a permission, a deleted channel)."""


class DigestSender(Protocol):
    """What the digest needs of Discord (the cog implements it)."""

    async def send(self, channel_id: int, body: dict[str, Any]) -> int:
        """Post ``body`` in the channel; the new message's id. Raises DigestRefused when refused for good;
        anything else raised is taken as "unknown, try again later"."""
        ...

    async def find(self, channel_id: int, body: dict[str, Any], nonce: str, since: datetime | None) -> int | None:
        """The id of a message of the bot's in the channel that is this body, posted since ``since``."""
        ...


# ------------------------------------------------------------------ when


def latest_run(now: datetime) -> datetime:
    """The most recent Monday 09:00 UTC at or before ``now``."""
    now = now.astimezone(UTC)
    day = now.replace(hour=RUN_HOUR, minute=0, second=0, microsecond=0) - timedelta(
        days=(now.weekday() - RUN_WEEKDAY) % 7
    )
    return day if day <= now else day - WEEK


def next_run(now: datetime) -> datetime:
    """The first Monday 09:00 UTC after ``now``."""
    return latest_run(now) + WEEK


def week_of(run: datetime) -> tuple[datetime, datetime]:
    """The week a run covers: Monday 00:00 to the next Monday 00:00 UTC, ending the day the run falls on."""
    end = run.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return end - WEEK, end


def week_key(run: datetime) -> str:
    """The week a run covers, by its first day: the run of Monday 2025-09-15 covers 2025-09-08 to 09-14."""
    return week_of(run)[0].date().isoformat()


def week_label(start: datetime, end: datetime) -> str:
    """``8–14 September 2025``, ``29 September – 5 October 2025``, ``29 December 2025 – 4 January 2026``."""
    last = (end - timedelta(seconds=1)).astimezone(UTC)
    first = start.astimezone(UTC)
    if first.year != last.year:
        return f"{first.day} {first:%B %Y} – {last.day} {last:%B %Y}"
    if first.month != last.month:
        return f"{first.day} {first:%B} – {last.day} {last:%B %Y}"
    return f"{first.day}–{last.day} {last:%B %Y}"


# ------------------------------------------------------------------ what


@dataclass(frozen=True, slots=True)
class WeekEssay:
    posted: PostedEssay
    activity: EssayActivity


@dataclass(frozen=True, slots=True)
class StillDiscussed:
    """A section of an earlier essay, busy this week."""

    busy: BusySection
    essay_title: str
    section_title: str


@dataclass(frozen=True, slots=True)
class WeekDigest:
    guild_id: int
    start: datetime
    end: datetime
    essays: tuple[WeekEssay, ...]
    earlier: tuple[StillDiscussed, ...]

    @property
    def empty(self) -> bool:
        return not self.essays and not self.earlier


async def gather_week(store: Store, guild_id: int, start: datetime, end: datetime) -> WeekDigest:
    """The essays posted in the server in [start, end) with their sections' messages up to ``end``,
    and the earlier essays' sections that drew the most messages in that week."""
    posted = (await store.essays_posted_between(guild_id, start, end))[:MAX_ESSAYS]
    essays: list[WeekEssay] = []
    for item in posted:
        row = await store.get_visible_essay(item.essay_id, guild_id=guild_id)
        if row is not None:
            essays.append(WeekEssay(item, await essay_activity(store, row, guild_id=guild_id, until=end)))
    this_week = {item.essay_id for item in posted}
    busy = await store.busiest_sections_between(guild_id, start, end, limit=STILL_DISCUSSED + len(this_week) * 10)
    earlier_busy = [b for b in busy if b.essay_id not in this_week][:STILL_DISCUSSED]
    titles = await store.section_titles([b.essay_id for b in earlier_busy])
    briefs = await store.briefs([b.essay_id for b in earlier_busy], guild_id=guild_id)
    earlier = tuple(
        StillDiscussed(b, briefs[b.essay_id].title, titles.get((b.essay_id, b.section), ""))
        for b in earlier_busy
        if b.essay_id in briefs
    )
    return WeekDigest(guild_id, start, end, tuple(essays), earlier)


def _essay_link(guild_id: int, item: PostedEssay) -> str | None:
    if item.message_id is not None:
        return f"https://discord.com/channels/{guild_id}/{item.channel_id}/{item.message_id}"
    if item.thread_id is not None:
        return thread_url(guild_id, item.thread_id)
    return None


def _section_link(label: str, urls: tuple[str, ...]) -> str:
    return link(label, urls[0] if urls else None)


def digest_lines(digest: WeekDigest) -> list[str]:
    """The digest's text, markdown with every title escaped, one line per essay and per section."""
    lines: list[str] = []
    if digest.essays:
        lines.append("**Posted this week**")
    for item in digest.essays:
        activity = item.activity
        title = one_line(item.posted.title, TITLE_MAX)
        lines.append(
            f"**{link(title, _essay_link(digest.guild_id, item.posted))}** — "
            f"{messages_phrase(activity.messages, activity.participants)}"
        )
        ranked = sorted(
            (s for s in activity.sections if s.messages > 0), key=lambda s: (-s.messages, -s.participants, s.index)
        )[:TOP_SECTIONS]
        if ranked:
            named = ", ".join(
                f"{_section_link(s.label, s.threads)} ({messages_phrase(s.messages, s.participants)})" for s in ranked
            )
            lines.append(f"  most discussed: {named}")
    if digest.earlier:
        if lines:
            lines.append("")
        lines.append("**Still discussed**")
    for still in digest.earlier:
        busy = still.busy
        title = plain(still.section_title)
        label = f"§{busy.section} {title}" if title else f"§{busy.section}"
        url = thread_url(digest.guild_id, busy.thread_id)
        lines.append(
            f"{link(label, url)} in *{escape_markdown(one_line(still.essay_title, TITLE_MAX))}*: "
            f"{messages_phrase(busy.messages, busy.participants)} this week"
        )
    return lines


def _fit(lines: list[str], limit: int) -> str:
    kept = list(lines)
    text = "\n".join(kept)
    while len(text.encode("utf-16-le")) // 2 > limit and len(kept) > 1:
        kept.pop()
        text = "\n".join([*kept, "…"])
    return clip(text, limit)


def digest_body(digest: WeekDigest, nonce: str) -> dict[str, Any] | None:
    """The message request for the week (None when there is nothing to tell); it can ping nobody."""
    if digest.empty:
        return None
    embed = {
        "title": f"The week in essays · {week_label(digest.start, digest.end)}",
        "description": _fit(digest_lines(digest), DESCRIPTION_MAX),
        "color": COLOUR,
        "footer": {"text": "Messages by members in each section's threads. /activity shows any essay's chart."},
    }
    return {
        "embeds": [embed],
        "allowed_mentions": {"parse": []},
        "nonce": nonce,
        "enforce_nonce": True,
    }


# ------------------------------------------------------------------ exactly once


@dataclass(frozen=True, slots=True)
class DigestOutcome:
    guild_id: int
    week: str
    channel_id: int
    state: DigestState
    message_id: int | None = None
    error: str | None = None
    # True when this call did nothing: the week was settled by an earlier one.
    earlier: bool = False


async def set_weekly(store: Store, guild_id: int, channel_id: int, now: datetime) -> DigestSchedule:
    """Send the server's digest to a channel every week (the next run kept if one is planned)."""
    return await store.set_digest_schedule(guild_id, channel_id, next_run(now))


async def turn_off(store: Store, guild_id: int) -> bool:
    """No more digests in the server; True if there was a schedule."""
    return await store.remove_digest_schedule(guild_id)


async def run_due_digests(
    store: Store, sender: DigestSender, now: datetime, *, skip: frozenset[int] = frozenset()
) -> list[DigestOutcome]:
    """Post every digest that is due (servers in ``skip`` wait); what happened to each.

    A digest whose request failed in an unknown way stays due, and the next call looks for it
    in the channel before sending it again.
    """
    outcomes: list[DigestOutcome] = []
    for schedule in await store.due_digest_schedules(now):
        if schedule.guild_id in skip:
            continue
        try:
            outcomes.append(await run_digest(store, sender, schedule, now))
        except Exception:
            # One server's failure (Discord unreachable, a timeout) never holds up the others.
            logger.warning("the digest of server %s is left for the next round", schedule.guild_id, exc_info=True)
    return outcomes


async def run_digest(store: Store, sender: DigestSender, schedule: DigestSchedule, now: datetime) -> DigestOutcome:
    """Post the digest of the latest finished week of one server, unless it was posted (or tried) already."""
    guild_id = schedule.guild_id
    run = latest_run(now)
    week = week_key(run)
    row = await store.get_digest(guild_id, week)
    created = row is None
    if row is None:
        start, end = week_of(run)
        digest = await gather_week(store, guild_id, start, end)
        nonce = new_nonce()
        body = digest_body(digest, nonce)
        row = await store.open_digest(
            guild_id,
            week,
            channel_id=schedule.channel_id,
            nonce=nonce,
            body=json.dumps(body, ensure_ascii=False) if body is not None else None,
        )
    outcome = DigestOutcome(guild_id, week, row.channel_id, row.state, row.message_id, row.error)
    if row.state in ("done", "empty", "failed") or row.body is None:
        await store.advance_digest_schedule(guild_id, schedule.next_run_at, run + WEEK)
        return replace(outcome, earlier=not created)
    body = json.loads(row.body)
    if row.state == "attempted":
        found = await sender.find(row.channel_id, body, row.nonce, row.attempted_at)
        if found is not None:
            logger.info("digest %s of server %s: found the message from before the restart", week, guild_id)
            return await _finish(store, schedule, run, outcome, "done", message_id=found)
    await store.mark_digest_attempted(guild_id, week)
    try:
        message_id = await sender.send(row.channel_id, body)
    except DigestRefused as exc:
        logger.warning("digest %s of server %s refused: %s", week, guild_id, exc)
        return await _finish(store, schedule, run, outcome, "failed", error=str(exc))
    logger.info("posted digest %s of server %s", week, guild_id)
    return await _finish(store, schedule, run, outcome, "done", message_id=message_id)


async def _finish(
    store: Store,
    schedule: DigestSchedule,
    run: datetime,
    outcome: DigestOutcome,
    state: DigestState,
    *,
    message_id: int | None = None,
    error: str | None = None,
) -> DigestOutcome:
    await store.finish_digest(outcome.guild_id, outcome.week, state=state, message_id=message_id, error=error)
    await store.advance_digest_schedule(outcome.guild_id, schedule.next_run_at, run + WEEK)
    return DigestOutcome(outcome.guild_id, outcome.week, outcome.channel_id, state, message_id, error)


def refusal_message(channel: str, reason: str) -> str:
    """What the moderators read when Discord refused a digest."""
    return (
        f"This week's digest could not be posted in {channel}: {reason}. "
        "The next one is tried next week; `/marginalia digest` changes the channel."
    )
