"""Destinations: the channels essays are posted to, their options and the permissions they need."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.errors import NotFoundError, UserError
from bot.json_records import record
from bot.operations.common import Shown, as_is
from bot.operations.feeds import feed_name, resolve_feed
from bot.publishing.plan import ARCHIVE_MINUTES, MAX_FORUM_TAGS, MAX_SLOWMODE
from bot.store import DestinationKind, DestinationRow, FeedRow, Store

logger = logging.getLogger(__name__)

DESTINATION_KINDS: tuple[DestinationKind, ...] = ("text", "announcement", "forum")
ARCHIVE_LABELS: dict[int, str] = {60: "1 hour", 1440: "1 day", 4320: "3 days", 10080: "1 week"}

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
    return record(
        destination,
        "id",
        "guild_id",
        "channel_id",
        "kind",
        "feed_id",
        "archive_minutes",
        "slowmode",
        "forum_tags",
        "mention_role_id",
        "stopped_reason",
    )
