"""Corrections: what changed between the posted analysis of an essay and a new revision.

A publication keeps a snapshot of what it posted (per section: title, a hash of the text, the
quotes and the figures). When the essay is revised, the card and the anchors (or the forum
starter messages) are edited to the new text, and each section thread whose part changed gets
a short notice saying what: text revised, quotes and figures added or removed.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.essays.model import Analysis, Essay
from bot.publishing.execution import Posted
from bot.publishing.plan import (
    QUIET_FLAGS,
    Destination,
    anchor_content,
    card_embed,
    forum_embed,
    jump_url,
)
from bot.publishing.render import MESSAGE_LIMIT, collapse, discord_length, escape_markdown, section_messages, shorten

logger = logging.getLogger(__name__)

ITEM_LIMIT = 120
ITEMS_SHOWN = 5


@dataclass(frozen=True, slots=True)
class SectionSnapshot:
    """What a publication showed of one section."""

    index: int
    title: str
    text_hash: str
    quotes: tuple[str, ...] = ()
    figures: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SectionChange:
    """How one section differs in the new revision; ``gone`` when the section no longer exists."""

    index: int
    text_changed: bool = False
    new_title: str | None = None
    quotes_added: tuple[str, ...] = ()
    quotes_removed: tuple[str, ...] = ()
    figures_added: tuple[str, ...] = ()
    figures_removed: tuple[str, ...] = ()
    gone: bool = False


@dataclass(frozen=True, slots=True)
class Edit:
    """A PATCH of a message the publication posted."""

    channel_id: int
    message_id: int
    payload: dict[str, Any] = field(default_factory=dict)


def _hash(text: str) -> str:
    return hashlib.sha256(collapse(text).encode()).hexdigest()[:32]


def take_snapshot(analysis: Analysis) -> list[SectionSnapshot]:
    """The parts of an analysis a correction compares, section by section."""
    out: list[SectionSnapshot] = []
    for section in analysis.sections:
        quotes = tuple(dict.fromkeys(collapse(q.text) for q in analysis.quotes if q.section == section.index))
        figures = tuple(dict.fromkeys(collapse(f.text) for f in analysis.figures if f.section == section.index))
        out.append(SectionSnapshot(section.index, section.title, _hash(section.text), quotes, figures))
    return out


def snapshot_json(snapshot: Sequence[SectionSnapshot]) -> str:
    return json.dumps(
        [
            {"index": s.index, "title": s.title, "hash": s.text_hash, "quotes": s.quotes, "figures": s.figures}
            for s in snapshot
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def snapshot_from_json(raw: str | None) -> list[SectionSnapshot] | None:
    """The stored snapshot, or None when there is none (posted before snapshots existed)."""
    if not raw:
        return None
    return [
        SectionSnapshot(
            index=int(item["index"]),
            title=str(item["title"]),
            text_hash=str(item["hash"]),
            quotes=tuple(item.get("quotes") or ()),
            figures=tuple(item.get("figures") or ()),
        )
        for item in json.loads(raw)
    ]


def _added(old: Sequence[str], new: Sequence[str]) -> tuple[str, ...]:
    before = set(old)
    return tuple(item for item in new if item not in before)


def diff(old: Sequence[SectionSnapshot], new: Sequence[SectionSnapshot]) -> list[SectionChange]:
    """The changed sections among those the publication posted (a new section has no thread)."""
    current = {s.index: s for s in new}
    changes: list[SectionChange] = []
    for before in old:
        after = current.get(before.index)
        if after is None:
            changes.append(SectionChange(before.index, gone=True))
            continue
        change = SectionChange(
            index=before.index,
            text_changed=before.text_hash != after.text_hash,
            new_title=after.title if collapse(after.title) != collapse(before.title) else None,
            quotes_added=_added(before.quotes, after.quotes),
            quotes_removed=_added(after.quotes, before.quotes),
            figures_added=_added(before.figures, after.figures),
            figures_removed=_added(after.figures, before.figures),
        )
        if (
            change.text_changed
            or change.new_title
            or change.quotes_added
            or change.quotes_removed
            or change.figures_added
            or change.figures_removed
        ):
            changes.append(change)
    return changes


def _items(label: str, items: Sequence[str]) -> str:
    shown = [f"“{escape_markdown(shorten(item, ITEM_LIMIT))}”" for item in items[:ITEMS_SHOWN]]
    more = f" and {len(items) - ITEMS_SHOWN} more" if len(items) > ITEMS_SHOWN else ""
    return f"- {label}: " + "; ".join(shown) + more


def notice_text(change: SectionChange, essay_title: str) -> str:
    """The notice posted in a section thread, sanitised and within Discord's message limit."""
    title = escape_markdown(shorten(collapse(essay_title), 200))
    if change.gone:
        return f"**Correction:** the author revised *{title}*, and this section is no longer part of it."
    lines = [f"**Correction:** the author revised *{title}*."]
    if change.new_title:
        lines.append(f"- This section is now titled “{escape_markdown(shorten(change.new_title, ITEM_LIMIT))}”.")
    if change.text_changed:
        lines.append("- The text of this section changed; the summary above shows the new version.")
    if change.quotes_added:
        lines.append(_items("Quotes added", change.quotes_added))
    if change.quotes_removed:
        lines.append(_items("Quotes removed", change.quotes_removed))
    if change.figures_added:
        lines.append(_items("Figures added", change.figures_added))
    if change.figures_removed:
        lines.append(_items("Figures removed", change.figures_removed))
    text = "\n".join(lines)
    if discord_length(text) > MESSAGE_LIMIT:
        text = shorten(text, MESSAGE_LIMIT)
    return text


def notice_payload(text: str, nonce: str) -> dict[str, Any]:
    return {
        "content": text,
        "allowed_mentions": {"parse": []},
        "flags": QUIET_FLAGS,
        "nonce": nonce,
        "enforce_nonce": True,
    }


def notice_nonce(publication_id: int, revision: int, section: int) -> str:
    """The same nonce for the same notice, so a retried request cannot post it twice."""
    return f"c{publication_id}r{revision}s{section}"[:25]


def correction_edits(essay: Essay, analysis: Analysis, destination: Destination, posted: Posted) -> list[Edit]:
    """The edits that make the posted card and anchors (or forum starters) show the new revision.

    Only sections that still exist and were posted are edited; links point at what was posted.
    """
    edits: list[Edit] = []
    by_index = {section.index: section for section in analysis.sections}
    if destination.kind == "forum":
        post_links = {
            index: jump_url(destination.guild_id, thread)
            for index, thread in posted.threads.items()
            if index in by_index
        }
        for index, starter in sorted(posted.starters.items()):
            section = by_index.get(index)
            thread = posted.threads.get(index)
            if section is None or thread is None:
                continue
            chunks = section_messages(section)
            payload: dict[str, Any] = {
                "embeds": [forum_embed(essay, analysis, section, post_links)],
                "allowed_mentions": {"parse": []},
            }
            if chunks:
                payload["content"] = chunks[0]
            edits.append(Edit(thread, starter, payload))
        return edits
    if posted.card is not None:
        anchor_links = {
            index: jump_url(destination.guild_id, destination.channel_id, message)
            for index, message in posted.anchors.items()
            if index in by_index
        }
        embed = card_embed(essay, analysis, anchor_links or None)
        edits.append(Edit(destination.channel_id, posted.card, {"embeds": [embed], "allowed_mentions": {"parse": []}}))
    for index, message in sorted(posted.anchors.items()):
        section = by_index.get(index)
        if section is None:
            continue
        content = anchor_content(essay, section)
        edits.append(Edit(destination.channel_id, message, {"content": content, "allowed_mentions": {"parse": []}}))
    return edits


def notices(
    changes: Sequence[SectionChange], threads: Mapping[int, int], essay_title: str
) -> list[tuple[int, int, str]]:
    """(section, thread id, text) for each changed section that has a thread."""
    return [
        (change.index, threads[change.index], notice_text(change, essay_title))
        for change in changes
        if change.index in threads
    ]
