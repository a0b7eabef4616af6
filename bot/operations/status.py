"""Status: a server's queue, feeds and stopped destinations at a glance, and its mod-log channel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.operations.common import Shown, TimeFormat, as_is, fit_lines, iso_time
from bot.operations.feeds import feed_name
from bot.store import DestinationRow, FeedRow, Store


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


async def set_modlog(store: Store, guild_id: int, channel_id: int) -> None:
    await store.set_modlog(guild_id, channel_id)
