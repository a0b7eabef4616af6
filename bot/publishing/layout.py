"""What a publication shows: the layout a correction compares a new revision with.

A finished publication keeps, per posted section ("slot", the number it was posted under and
keeps for good), the text its thread shows, the exact messages that show it, the name of its
thread, and the text as of the last correction notice. Corrections read this, never the
essay's earlier revision (the store keeps only the latest), so what members saw is what a
correction compares with.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, cast

from bot.essays.model import Analysis, Block, BlockKind, Essay, Section
from bot.publishing.plan import (
    Destination,
    anchor_content,
    card_embed,
    forum_embed,
    forum_post_name,
    jump_url,
    thread_name,
)
from bot.publishing.render import section_messages
from bot.store import StepRow
from bot.store.base import from_iso, to_iso

logger = logging.getLogger(__name__)

LAYOUT_VERSION = 2


@dataclass(frozen=True, slots=True)
class Shown:
    """One posted section as members see it now.

    ``chunks`` are the messages holding the section's text in order (in a forum the first is
    the post's starter message) and ``texts`` what each shows. ``announced`` is the text as of
    the last correction notice in the thread (or as first posted), ``notice_at`` when that
    notice was posted: the next notice says what changed since, at most once an hour.
    """

    slot: int
    title: str
    heading: bool
    blocks: tuple[Block, ...]
    name: str
    thread: int | None
    anchor: int | None = None
    anchor_text: str = ""
    chunks: tuple[int, ...] = ()
    texts: tuple[str, ...] = ()
    frame: str = ""  # forum: a hash of the starter's embed as shown
    announced: tuple[Block, ...] = ()
    announced_title: str = ""
    notice_at: datetime | None = None
    removed: bool = False
    merged_into: int | None = None  # removed because its text now lies in this slot


@dataclass(frozen=True, slots=True)
class Layout:
    """Everything a publication shows: the card (text channels) and the posted sections in order.

    ``announced_only`` names sections the author added where no thread can be placed in order:
    the contents lists them, with no thread of their own.
    """

    card: int | None
    card_hash: str
    slots: tuple[Shown, ...]
    announced_only: tuple[str, ...] = ()
    legacy: bool = field(default=False, compare=False)

    def slot(self, number: int) -> Shown | None:
        return next((s for s in self.slots if s.slot == number), None)


def payload_hash(payload: Any) -> str:
    """A short, stable fingerprint of a JSON body: equal bodies, equal hashes."""
    raw = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


# --- JSON -------------------------------------------------------------------------------------


def _blocks_json(blocks: Sequence[Block]) -> list[list[str]]:
    return [[block.kind, block.text] for block in blocks]


def _blocks(raw: Any) -> tuple[Block, ...]:
    return tuple(Block(cast(BlockKind, str(kind)), str(text)) for kind, text in raw or [])


def _shown_json(shown: Shown) -> dict[str, Any]:
    return {
        "slot": shown.slot,
        "title": shown.title,
        "heading": shown.heading,
        "blocks": _blocks_json(shown.blocks),
        "name": shown.name,
        "thread": shown.thread,
        "anchor": shown.anchor,
        "anchor_text": shown.anchor_text,
        "chunks": list(shown.chunks),
        "texts": list(shown.texts),
        "frame": shown.frame,
        "announced": _blocks_json(shown.announced),
        "announced_title": shown.announced_title,
        "notice_at": to_iso(shown.notice_at) if shown.notice_at else None,
        "removed": shown.removed,
        "merged_into": shown.merged_into,
    }


def _shown(raw: Mapping[str, Any]) -> Shown:
    return Shown(
        slot=int(raw["slot"]),
        title=str(raw["title"]),
        heading=bool(raw["heading"]),
        blocks=_blocks(raw["blocks"]),
        name=str(raw["name"]),
        thread=raw.get("thread"),
        anchor=raw.get("anchor"),
        anchor_text=str(raw.get("anchor_text") or ""),
        chunks=tuple(int(c) for c in raw.get("chunks") or ()),
        texts=tuple(str(t) for t in raw.get("texts") or ()),
        frame=str(raw.get("frame") or ""),
        announced=_blocks(raw.get("announced")),
        announced_title=str(raw.get("announced_title") or ""),
        notice_at=from_iso(raw.get("notice_at")),
        removed=bool(raw.get("removed")),
        merged_into=raw.get("merged_into"),
    )


def layout_json(layout: Layout) -> str:
    return json.dumps(
        {
            "v": LAYOUT_VERSION,
            "card": layout.card,
            "card_hash": layout.card_hash,
            "slots": [_shown_json(s) for s in layout.slots],
            "announced_only": list(layout.announced_only),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def layout_from_json(raw: str | None) -> Layout | None:
    """The stored layout, or None when the publication was posted before layouts were kept."""
    if not raw:
        return None
    data = json.loads(raw)
    if not isinstance(data, dict) or data.get("v") != LAYOUT_VERSION:
        return None
    return Layout(
        card=data.get("card"),
        card_hash=str(data.get("card_hash") or ""),
        slots=tuple(_shown(s) for s in data["slots"]),
        announced_only=tuple(str(t) for t in data.get("announced_only") or ()),
    )


# --- building a layout from a finished publication --------------------------------------------


@dataclass(frozen=True, slots=True)
class PostedMessages:
    """The ids a publication's done steps recorded, by section."""

    card: int | None
    anchors: dict[int, int]
    threads: dict[int, int]
    chunks: dict[int, dict[int, int]]  # section -> chunk number -> message id


def posted_messages(steps: Sequence[StepRow]) -> PostedMessages:
    card: int | None = None
    anchors: dict[int, int] = {}
    threads: dict[int, int] = {}
    chunks: dict[int, dict[int, int]] = {}
    for step in steps:
        if step.state != "done":
            continue
        if step.action == "card":
            card = step.message_id
        elif step.section is None:
            continue
        elif step.action == "anchor" and step.message_id is not None:
            anchors[step.section] = step.message_id
        elif step.action in ("thread", "forum_post") and step.thread_id is not None:
            threads[step.section] = step.thread_id
            if step.action == "forum_post" and step.chunk is not None:
                # A forum post's starter message (the thread's id) holds the first chunk.
                chunks.setdefault(step.section, {})[step.chunk] = step.message_id or step.thread_id
        elif step.action in ("thread_text", "forum_text") and step.message_id is not None and step.chunk is not None:
            chunks.setdefault(step.section, {})[step.chunk] = step.message_id
    return PostedMessages(card, anchors, threads, chunks)


def section_links(destination: Destination, slots: Sequence[Shown]) -> dict[int, str]:
    """Links the contents lists use: to each anchor (text channels) or each post (forums)."""
    links: dict[int, str] = {}
    for shown in slots:
        if shown.removed:
            continue
        if destination.kind == "forum":
            if shown.thread is not None:
                links[shown.slot] = jump_url(destination.guild_id, shown.thread)
        elif shown.anchor is not None:
            links[shown.slot] = jump_url(destination.guild_id, destination.channel_id, shown.anchor)
    return links


def initial_layout(essay: Essay, analysis: Analysis, destination: Destination, steps: Sequence[StepRow]) -> Layout:
    """The layout a publication left once its plan finished: what its steps posted."""
    posted = posted_messages(steps)
    slots: list[Shown] = []
    for section in analysis.sections:
        texts = tuple(section_messages(section))
        ids = posted.chunks.get(section.index, {})
        forum = destination.kind == "forum"
        name = (
            forum_post_name(essay.title, section.index, section.title)
            if forum
            else thread_name(section.index, section.title)
        )
        slots.append(
            Shown(
                slot=section.index,
                title=section.title,
                heading=section.from_heading,
                blocks=section.blocks,
                name=name,
                thread=posted.threads.get(section.index),
                anchor=posted.anchors.get(section.index),
                anchor_text="" if forum else anchor_content(essay, section),
                chunks=tuple(ids[n] for n in sorted(ids)),
                # What each recorded message shows (a missing text reads as "", so it is rewritten).
                texts=tuple(texts[n - 1] if n <= len(texts) else "" for n in sorted(ids)),
                announced=section.blocks,
                announced_title=section.title,
                notice_at=None,
            )
        )
    links = section_links(destination, slots)
    if destination.kind == "forum":
        framed = []
        for shown, section in zip(slots, analysis.sections, strict=True):
            embed = forum_embed(essay, analysis, section, links)
            framed.append(_with_frame(shown, payload_hash(embed)))
        slots = framed
        return Layout(card=None, card_hash="", slots=tuple(slots))
    card_hash = payload_hash(card_embed(essay, analysis, links)) if posted.card is not None else ""
    return Layout(card=posted.card, card_hash=card_hash, slots=tuple(slots))


def _with_frame(shown: Shown, frame: str) -> Shown:
    return replace(shown, frame=frame)


def legacy_layout(essay: Essay, analysis: Analysis, destination: Destination, steps: Sequence[StepRow]) -> Layout:
    """For a publication posted before layouts were kept: its ids, with what it showed unknown.

    Positions stand for identity and every message is rewritten once; no notice is posted,
    since what changed cannot be told truthfully.
    """
    posted = posted_messages(steps)
    slots: list[Shown] = []
    by_index = {section.index: section for section in analysis.sections}
    for number in sorted(set(posted.threads) | set(posted.anchors)):
        section: Section | None = by_index.get(number)
        ids = posted.chunks.get(number, {})
        title = section.title if section is not None else f"Section {number}"
        blocks = section.blocks if section is not None else ()
        slots.append(
            Shown(
                slot=number,
                title=title,
                heading=section.from_heading if section is not None else False,
                blocks=blocks,
                name="",
                thread=posted.threads.get(number),
                anchor=posted.anchors.get(number),
                chunks=tuple(ids[n] for n in sorted(ids)),
                texts=tuple("" for _ in ids),
                announced=blocks,
                announced_title=title,
            )
        )
    return Layout(card=posted.card, card_hash="", slots=tuple(slots), legacy=True)
