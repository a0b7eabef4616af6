"""Which sections of an essay people discuss, in one server: the numbers, and the words for them.

The counts come from the store: one row per member's message in a section thread, kept while the
message exists (bot/store/activity.py). This module picks the essay a command means, gathers each
section's messages, participants and last message with links to its threads, and says it as text:
markdown for Discord (feed text escaped), plain text for the chart's alt text and the command line,
and JSON. The chart itself is drawn by ``bot.activity_chart``; Discord stays in the cog.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.errors import UserError
from bot.json_records import record
from bot.lookup import clip, one_line, resolve_essay, safe_url
from bot.publishing.render import escape_markdown, plain
from bot.store import EssayRow, Store
from bot.store.scope import GuildScope

logger = logging.getLogger(__name__)

CHART_FILENAME = "activity.png"
# Discord's limits for what this module writes (UTF-16 units, see bot.lookup.dlen).
ALT_TEXT_MAX = 1024  # an attachment's description
DESCRIPTION_MAX = 4096
THREAD_LINKS_PER_SECTION = 2
TITLE_MAX = 120

# Message types a member writes: a plain message and a reply. Not the system notices of a thread
# (a pin, a rename, the starter message a thread opens with) nor slash-command results.
MEMBER_MESSAGE_TYPES = frozenset({0, 19})

TimeFormat = Callable[[datetime], str]
Shown = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class SectionActivity:
    """One section: its title (as the feed wrote it), what members wrote in its threads, and where."""

    index: int
    title: str
    messages: int
    participants: int
    last_message_at: datetime | None
    threads: tuple[str, ...]  # the URLs of its discussion threads

    @property
    def label(self) -> str:
        """``§2 Who pays``: the feed's text with whitespace collapsed; callers escape it where it is shown."""
        title = " ".join(self.title.split())
        return f"§{self.index} {title}" if title else f"§{self.index}"


@dataclass(frozen=True, slots=True)
class EssayActivity:
    """An essay's sections in essay order, with their discussion in the server (or every server)."""

    essay_id: int
    key: str
    title: str
    url: str | None
    guild_id: int | None
    sections: tuple[SectionActivity, ...]
    participants: int  # distinct members across all its threads

    @property
    def messages(self) -> int:
        return sum(s.messages for s in self.sections)

    @property
    def has_threads(self) -> bool:
        return any(s.threads for s in self.sections)

    @property
    def most_active(self) -> SectionActivity | None:
        """The section with the most messages (then more people, then the earlier one); None when silent."""
        if self.messages == 0:
            return None
        return min(self.sections, key=lambda s: (-s.messages, -s.participants, s.index))


def is_member_message(*, author_is_bot: bool, from_webhook: bool, message_type: int) -> bool:
    """Whether a message counts: written by a person (no bot, this one included, and no webhook)."""
    return not author_is_bot and not from_webhook and message_type in MEMBER_MESSAGE_TYPES


def member_message_in_history(message: Mapping[str, Any]) -> tuple[int, int] | None:
    """(message id, author id) of a message as Discord lists it in a channel's history, if it counts."""
    author = message.get("author")
    if not isinstance(author, Mapping):
        return None
    try:
        message_id, author_id, kind = int(message["id"]), int(author["id"]), int(message.get("type", 0))
    except (KeyError, TypeError, ValueError):
        return None
    if not is_member_message(
        author_is_bot=bool(author.get("bot")), from_webhook=message.get("webhook_id") is not None, message_type=kind
    ):
        return None
    return message_id, author_id


def thread_url(guild_id: int, thread_id: int) -> str:
    return f"https://discord.com/channels/{guild_id}/{thread_id}"


async def essay_activity(
    store: Store, row: EssayRow, *, guild_id: GuildScope, until: datetime | None = None
) -> EssayActivity:
    """Every section of the essay, with the messages its threads in the server got (before ``until``)."""
    titles = await store.section_titles([row.id])
    stats = {s.section: s for s in await store.section_stats(row.id, guild_id=guild_id, until=until)}
    threads: dict[int, list[str]] = {}
    for thread in await store.section_threads(row.id, guild_id=guild_id):
        threads.setdefault(thread.section, []).append(thread_url(thread.guild_id, thread.thread_id))
    indexes = sorted({index for essay_id, index in titles if essay_id == row.id} | set(stats) | set(threads))
    sections = []
    for index in indexes:
        found = stats.get(index)
        sections.append(
            SectionActivity(
                index=index,
                title=titles.get((row.id, index), ""),
                messages=found.messages if found else 0,
                participants=found.participants if found else 0,
                last_message_at=found.last_message_at if found else None,
                threads=tuple(threads.get(index, ())),
            )
        )
    participants = await store.essay_participants(row.id, guild_id=guild_id, until=until)
    return EssayActivity(
        essay_id=row.id,
        key=row.essay.key,
        title=row.essay.title,
        url=row.essay.url,
        guild_id=guild_id,
        sections=tuple(sections),
        participants=participants,
    )


async def activity_target(store: Store, *, essay: str | None, channel_id: int | None, guild_id: int) -> EssayRow:
    """The essay /activity shows: the one named, else this section thread's, else the newest discussed here.

    Every lookup is scoped to the server (bot/store/scope.py).
    """
    if essay is not None and essay.strip():
        return await resolve_essay(store, essay, guild_id=guild_id)
    thread = await store.thread_section(channel_id) if channel_id is not None else None
    if thread is not None:
        row = await store.get_visible_essay(thread.essay_id, guild_id=guild_id)
        if row is not None:
            return row
    newest = await store.newest_discussed_essay_id(guild_id)
    row = await store.get_visible_essay(newest, guild_id=guild_id) if newest is not None else None
    if row is None:
        raise UserError("No essay has been posted in this server yet, so there is no discussion to show.")
    return row


# ------------------------------------------------------------------ words


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def messages_phrase(messages: int, participants: int) -> str:
    """``14 messages from 5 people``; ``no messages``."""
    if messages == 0:
        return "no messages"
    people = "1 person" if participants == 1 else f"{participants:,} people"
    return f"{_count(messages, 'message')} from {people}"


def iso_minute(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def silence_message(activity: EssayActivity, shown: Shown = escape_markdown) -> str | None:
    """Why there is nothing to draw, or None when there is."""
    title = shown(one_line(activity.title, TITLE_MAX))
    if not activity.has_threads:
        return f"“{title}” has no discussion threads in this server: it was not posted in its channels."
    if activity.messages == 0:
        return f"Nobody has written in the threads of “{title}” yet."
    return None


def text_alternative(activity: EssayActivity) -> str:
    """What the chart shows, in plain words, for screen readers (the image's alt text)."""
    parts = [f"Bar chart of messages per section of “{activity.title}”."]
    parts += [f"{s.label}: {messages_phrase(s.messages, s.participants)}." for s in activity.sections]
    top = activity.most_active
    if top is not None:
        parts.append(f"Most discussed: {top.label}.")
    return clip(plain(" ".join(parts)), ALT_TEXT_MAX)


def _thread_links(section: SectionActivity) -> str:
    links = [f"[thread]({url})" for url in section.threads[:THREAD_LINKS_PER_SECTION] if safe_url(url)]
    return " · ".join(links)


def activity_description(activity: EssayActivity, *, when: TimeFormat = iso_minute) -> str:
    """The numbers for the embed beside the chart: the most discussed section first, then every section.

    Section titles come from the feed and are escaped; each line links to the section's threads.
    """
    lines: list[str] = []
    top = activity.most_active
    if top is not None:
        links = _thread_links(top)
        lines.append(
            f"Most discussed: **{escape_markdown(top.label)}**, {messages_phrase(top.messages, top.participants)}"
            + (f" · {links}" if links else "")
        )
        lines.append("")
    for section in activity.sections:
        line = f"{escape_markdown(section.label)}: {messages_phrase(section.messages, section.participants)}"
        if section.last_message_at is not None:
            line += f", last {when(section.last_message_at)}"
        links = _thread_links(section)
        if links:
            line += f" · {links}"
        lines.append(line)
    lines.append("")
    lines.append(f"In all: {messages_phrase(activity.messages, activity.participants)}.")
    return _fit_lines(lines, DESCRIPTION_MAX)


def _fit_lines(lines: list[str], limit: int) -> str:
    """The lines joined, whole lines dropped from the end (with a note) until they fit."""
    text = "\n".join(lines)
    kept = list(lines)
    while len(text.encode("utf-16-le")) // 2 > limit and len(kept) > 1:
        kept.pop()
        text = "\n".join([*kept, "…"])
    return clip(text, limit)


def activity_lines(activity: EssayActivity) -> list[str]:
    """The command line's report: plain text, one line per section."""
    lines = [plain(activity.title)]
    if activity.url:
        lines.append(activity.url)
    for section in activity.sections:
        line = f"  {section.label}: {messages_phrase(section.messages, section.participants)}"
        if section.last_message_at is not None:
            line += f", last {iso_minute(section.last_message_at)}"
        lines.append(line)
        lines += [f"      {url}" for url in section.threads]
    top = activity.most_active
    lines.append(f"Most discussed: {top.label}" if top else "No messages in its threads yet.")
    lines.append(f"In all: {messages_phrase(activity.messages, activity.participants)}")
    return lines


def activity_json(activity: EssayActivity) -> dict[str, Any]:
    top = activity.most_active
    return {
        "essay": record(activity, "key", "title", "url"),
        **record(activity, "guild_id", "messages", "participants"),
        "most_discussed": top.index if top else None,
        "sections": [
            record(s, "index", "title", "messages", "participants", "last_message_at", "threads")
            for s in activity.sections
        ],
    }
