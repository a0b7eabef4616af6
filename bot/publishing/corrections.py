"""Corrections: the plan that brings a posted essay in step with the author's revision.

Pure. ``plan_correction`` compares a publication's layout (what it shows, ``layout``) with the
revision laid onto its posted sections by content (``matching``) and returns the requests that
make every message show the new text, and nothing else:

- each message whose text changed is edited in place: the card, an anchor, every full-text
  message of a thread (re-split when the length changes: a longer text first uses the room
  Discord leaves above the usual chunk size, then continues in a new message; a shorter one
  deletes the messages it no longer needs), forum starter messages;
- a section the author removed: its anchor (or post) says so; its thread gets a notice, then is
  renamed and archived;
- a section the author added after the last posted one is posted with its own anchor and thread
  (or forum post); one added in the middle has no place in order and is listed in the contents;
- thread announcements (a notice, a rename, an archive) happen at most once an hour per thread:
  the next one says what changed since the last, and is planned when it falls due.

A plan is stored whole before its first request and run step by step like a publication, so a
crash resumes it without a second notice. Ids that only exist once an earlier step has run are
written as the negative of that step's number (``-seq``) and filled in from its result.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from bot.essays.model import Analysis, Essay, Section
from bot.publishing.layout import Layout, Shown, layout_from_json, layout_json, payload_hash, section_links
from bot.publishing.matching import Part, Revision, lay_out, same_words, words_of
from bot.publishing.notices import removed_notice, revised_notice
from bot.publishing.plan import (
    ANCHOR_TITLE_LIMIT,
    NO_MENTIONS,
    Destination,
    Request,
    StepResult,
    anchor_content,
    card_embed,
    embed_header,
    forum_embed,
    forum_post_name,
    forum_post_payload,
    text_message,
    thread_name,
    thread_settings,
)
from bot.publishing.render import (
    MESSAGE_LIMIT,
    THREAD_NAME_LIMIT,
    bold,
    collapse,
    discord_length,
    escape_markdown,
    payload_violations,
    section_messages,
    shorten,
)

logger = logging.getLogger(__name__)

# Discord lets a channel be renamed twice in ten minutes; notices, renames and archives of one
# thread come at most once an hour, so a burst of edits makes one notice, not one per save.
ANNOUNCE_EVERY = timedelta(hours=1)
CONTINUED = "*(continued after a correction)*\n"

CorrectionAction = Literal[
    "anchor",  # an added section's anchor message
    "thread",  # its thread
    "thread_text",  # its text in the thread
    "forum_post",  # an added section's forum post
    "forum_text",  # the rest of its text in the post
    "edit",  # a message's new text: an anchor, a chunk of a thread's text
    "starter",  # a forum post's starter message: first chunk and embed
    "card",  # the essay card
    "post_text",  # a chunk the longer text needs beyond the posted ones
    "delete",  # a chunk the shorter text no longer needs
    "notice",  # the correction notice in a thread
    "thread_patch",  # a thread's new name, and archiving a removed section's thread
]
# Steps that create a message: they carry a nonce, and after a crash the message is looked for.
MESSAGE_ACTIONS = frozenset({"anchor", "thread_text", "forum_text", "post_text", "notice"})
_LINK_RE = re.compile(r"(https://discord\.com/channels/\d+)/(-?\d+)(?:/(-?\d+))?")


class CorrectionError(Exception):
    """A stored plan cannot be read or a payload would break Discord's limits."""


@dataclass(frozen=True, slots=True)
class CorrectionStep:
    """One request of a correction. ``channel`` and ``message`` may be ``-seq`` (see the module doc)."""

    seq: int
    action: CorrectionAction
    slot: int | None
    chunk: int | None
    channel: int
    message: int | None = None
    payload: dict[str, Any] | None = None

    @property
    def method(self) -> Literal["POST", "PATCH", "DELETE"]:
        if self.action in ("edit", "starter", "card", "thread_patch"):
            return "PATCH"
        if self.action == "delete":
            return "DELETE"
        return "POST"


@dataclass(frozen=True, slots=True)
class CorrectionPlan:
    """The steps of one correction, the layout once they are done, and when a deferred notice falls due."""

    steps: tuple[CorrectionStep, ...]
    target: Layout
    due: datetime | None = None

    @property
    def empty(self) -> bool:
        return not self.steps


# --- the plan ---------------------------------------------------------------------------------


def fit_texts(section: Section, posted: int) -> list[str]:
    """The section's text as thread messages, keeping within the ``posted`` count where it can.

    Chunks are cut below Discord's limit to leave room for later wording; a longer text first
    uses that room (whole-limit chunks), and only then needs more messages.
    """
    texts = section_messages(section)
    if 0 < posted < len(texts):
        wider = section_messages(section, MESSAGE_LIMIT)
        if len(wider) <= posted:
            return wider
    return texts


def removed_anchor(slot: int, title: str) -> str:
    """The anchor of a section the author removed: its heading, saying so."""
    heading = f"§{slot}"
    cut = shorten(collapse(title), ANCHOR_TITLE_LIMIT)
    if cut:
        heading += f" · {cut}"
    return (
        bold(escape_markdown(heading)) + " — removed by the author\n"
        "The author took this section out of the essay after it was posted; its thread keeps the "
        "text as it was and the discussion."
    )


def removed_embed(essay: Essay) -> dict[str, Any]:
    """The embed of a forum post whose section the author removed."""
    embed = embed_header(essay, dated=False, credited=False)
    embed["description"] = "The author took this section out of the essay after it was posted."
    return embed


def _name(essay: Essay, destination: Destination, slot: int, title: str, removed: bool = False) -> str:
    shown = f"(removed) {title}" if removed else title
    if destination.kind == "forum":
        return forum_post_name(essay.title, slot, shown)
    return thread_name(slot, shown)


def _section(part: Part) -> Section:
    return Section(part.slot, part.title, part.blocks, 0, len(part.blocks), part.heading)


class _Planner:
    def __init__(self, layout: Layout, essay: Essay, destination: Destination, now: datetime) -> None:
        self.layout = layout
        self.essay = essay
        self.destination = destination
        self.now = now
        self.steps: list[CorrectionStep] = []
        self.due: list[datetime] = []

    def add(
        self,
        action: CorrectionAction,
        slot: int | None,
        chunk: int | None,
        channel: int,
        message: int | None = None,
        payload: dict[str, Any] | None = None,
    ) -> int:
        seq = len(self.steps) + 1
        step = CorrectionStep(seq, action, slot, chunk, channel, message, payload)
        if payload is not None:
            problems = _thread_patch_violations(payload) if action == "thread_patch" else payload_violations(payload)
            if problems:
                raise CorrectionError(f"correction step {seq} ({action}) would be refused: {'; '.join(problems)}")
        self.steps.append(step)
        return seq

    @property
    def forum(self) -> bool:
        return self.destination.kind == "forum"

    # Added sections: posted first, so the contents lists can link to them.
    def post_added(self, part: Part, view: Analysis) -> Shown:
        section = _section(part)
        texts = section_messages(section)
        name = _name(self.essay, self.destination, part.slot, part.title)
        channel = self.destination.channel_id
        if self.forum:
            first = texts[0] if texts else None
            payload = forum_post_payload(self.essay, view, self.destination, section, first)
            post = self.add("forum_post", part.slot, 1 if first else None, channel, payload=payload)
            chunks = [-post] if first else []
            for number, text in enumerate(texts[1:], start=2):
                chunks.append(-self.add("forum_text", part.slot, number, -post, payload=text_message(text)))
            thread, anchor, anchor_text = -post, None, ""
        else:
            anchor_text = anchor_content(self.essay, section)
            anchor_seq = self.add("anchor", part.slot, None, channel, payload=text_message(anchor_text))
            settings: dict[str, Any] = {"name": name, **thread_settings(self.destination)}
            thread_seq = self.add("thread", part.slot, None, channel, -anchor_seq, settings)
            chunks = [
                -self.add("thread_text", part.slot, number, -thread_seq, payload=text_message(text))
                for number, text in enumerate(texts, start=1)
            ]
            thread, anchor = -thread_seq, -anchor_seq
        return Shown(
            slot=part.slot,
            title=part.title,
            heading=part.heading,
            blocks=part.blocks,
            name=name,
            thread=thread,
            anchor=anchor,
            anchor_text=anchor_text,
            chunks=tuple(chunks),
            texts=tuple(texts),
            announced=part.blocks,
            announced_title=part.title,
        )

    def retext(self, shown: Shown, part: Part) -> Shown:
        """Edit, add or delete the thread messages holding a kept section's text."""
        if shown.thread is None or (same_words(shown.blocks, part.blocks) and not self.layout.legacy):
            return replace(shown, title=part.title, blocks=shown.blocks)
        texts = fit_texts(_section(part), len(shown.chunks))
        chunks = list(shown.chunks[: len(texts)])
        shown_texts = list(shown.texts) + [""] * (len(shown.chunks) - len(shown.texts))
        new_texts: list[str] = []
        for number, text in enumerate(texts, start=1):
            if number <= len(shown.chunks):
                # A forum post's first chunk is its starter message, edited with its embed.
                starter = self.forum and number == 1
                if text != shown_texts[number - 1] and not starter:
                    payload = {"content": text, "allowed_mentions": NO_MENTIONS}
                    self.add("edit", shown.slot, number, shown.thread, shown.chunks[number - 1], payload)
                new_texts.append(text)
            else:
                text = CONTINUED + text
                chunks.append(-self.add("post_text", shown.slot, number, shown.thread, payload=text_message(text)))
                new_texts.append(text)
        for number in range(len(texts) + 1, len(shown.chunks) + 1):
            self.add("delete", shown.slot, number, shown.thread, shown.chunks[number - 1])
        return replace(shown, title=part.title, blocks=part.blocks, chunks=tuple(chunks), texts=tuple(new_texts))

    def reanchor(self, shown: Shown, content: str) -> Shown:
        if self.forum or shown.anchor is None or content == shown.anchor_text:
            return shown
        payload = {"content": content, "allowed_mentions": NO_MENTIONS}
        self.add("edit", shown.slot, None, self.destination.channel_id, shown.anchor, payload)
        return replace(shown, anchor_text=content)

    def restarter(self, current: Shown, embed: dict[str, Any]) -> Shown:
        """Edit a forum post's starter message when its first chunk or its embed changed."""
        before = self.layout.slot(current.slot)
        starter = current.chunks[0] if current.chunks else None
        if starter is None or current.thread is None:
            return current
        content = current.texts[0] if current.texts else None
        old = before.texts[0] if before is not None and before.texts else None
        frame = payload_hash(embed)
        if frame == current.frame and content == old and not self.layout.legacy:
            return current
        payload: dict[str, Any] = {"embeds": [embed], "allowed_mentions": NO_MENTIONS}
        if content:
            payload["content"] = content
        self.add("starter", current.slot, 1, current.thread, starter, payload)
        return replace(current, frame=frame)

    def announce(self, before: Shown, after: Shown, part: Part) -> Shown:
        """The thread's notice, rename and archive, when due; otherwise when they fall due."""
        if after.thread is None:
            return after
        removed = part.removed
        name = _name(self.essay, self.destination, after.slot, after.title, removed)
        if removed:
            pending = bool(before.announced)
            rename = True
        else:
            text_pending = not same_words(before.announced, after.blocks)
            heading_pending = before.heading and collapse(before.announced_title) != collapse(after.title)
            rename = bool(before.name) and name != before.name
            pending = text_pending or heading_pending or rename
        if not pending:
            return after
        if before.notice_at is not None and self.now < before.notice_at + ANNOUNCE_EVERY:
            self.due.append(before.notice_at + ANNOUNCE_EVERY)
            return after
        if removed:
            self.add("notice", after.slot, None, after.thread, payload=_notice(removed_notice(self.essay.title)))
            self.add("thread_patch", after.slot, None, after.thread, payload={"name": name, "archived": True})
            return replace(after, name=name, announced=(), announced_title=after.title, notice_at=self.now)
        text = revised_notice(
            self.essay.title,
            before.announced,
            after.blocks,
            old_heading=before.announced_title if before.heading else None,
            new_heading=after.title if before.heading else None,
        )
        if text:
            self.add("notice", after.slot, None, after.thread, payload=_notice(text))
        if rename:
            self.add("thread_patch", after.slot, None, after.thread, payload={"name": name})
        return replace(
            after,
            name=name if rename or not before.name else before.name,
            announced=after.blocks,
            announced_title=after.title,
            notice_at=self.now if text or rename else before.notice_at,
        )


def _thread_patch_violations(payload: Mapping[str, Any]) -> list[str]:
    name = str(payload.get("name", "x"))
    if not name.strip() or discord_length(name) > THREAD_NAME_LIMIT:
        return [f"name is {discord_length(name)} characters, not 1..{THREAD_NAME_LIMIT}"]
    return []


def _notice(text: str) -> dict[str, Any]:
    # Notices notify (no SUPPRESS_NOTIFICATIONS): members following the thread should hear of them.
    return {"content": text, "allowed_mentions": {"parse": []}, "flags": 1 << 2}


def view_of(revision: Revision) -> Analysis:
    """The revision as the contents lists show it: the live sections, numbered as posted."""
    return Analysis(sections=[_section(part) for part in revision.parts if not part.removed])


def plan_correction(
    layout: Layout, essay: Essay, analysis: Analysis, destination: Destination, now: datetime
) -> CorrectionPlan:
    """The requests that make a publication show ``essay`` as revised; empty when nothing visible changed."""
    revision = lay_out(layout, analysis)
    view = view_of(revision)
    planner = _Planner(layout, essay, destination, now)
    parts = {part.slot: part for part in revision.parts}

    shown: dict[int, Shown] = {s.slot: s for s in layout.slots}
    for part in revision.parts:
        if part.added:
            shown[part.slot] = planner.post_added(part, view)
    order = [part.slot for part in revision.parts]
    links = section_links(destination, [shown[slot] for slot in order])
    by_slot = {section.index: section for section in view.sections}

    final: dict[int, Shown] = {}
    for slot in order:
        part = parts[slot]
        before = layout.slot(slot)
        current = shown[slot]
        if before is None:  # added in this plan: its forum embed still needs the links
            if destination.kind == "forum":
                embed = forum_embed(essay, view, by_slot[slot], links, revision.unplaced)
                current = planner.restarter(current, embed)
            final[slot] = current
            continue
        if part.removed:
            if before.removed:
                # Removed earlier; its thread may still be owed the notice (deferred by the hour).
                final[slot] = planner.announce(before, before, part)
                continue
            current = replace(current, removed=True)
            current = planner.reanchor(current, removed_anchor(slot, current.title))
            if destination.kind == "forum":
                current = planner.restarter(current, removed_embed(essay))
        else:
            current = planner.retext(current, part)
            section = by_slot[slot]
            if destination.kind == "forum":
                current = planner.restarter(current, forum_embed(essay, view, section, links, revision.unplaced))
            else:
                current = planner.reanchor(current, anchor_content(essay, section))
        final[slot] = planner.announce(before, current, part)

    card_hash = layout.card_hash
    if layout.card is not None and destination.kind != "forum":
        embed = card_embed(essay, view, links or None, revision.unplaced)
        card_hash = payload_hash(embed)
        if card_hash != layout.card_hash or layout.legacy:
            planner.add(
                "card",
                None,
                None,
                destination.channel_id,
                layout.card,
                {"embeds": [embed], "allowed_mentions": NO_MENTIONS},
            )
    target = Layout(
        card=layout.card,
        card_hash=card_hash,
        slots=tuple(final[slot] for slot in order),
        announced_only=revision.unplaced,
    )
    return CorrectionPlan(tuple(planner.steps), target, min(planner.due, default=None))


def section_map(layout: Layout, analysis: Analysis) -> dict[int, int | None]:
    """For each slot, the section of the current analysis sharing most of its words (None: removed).

    Lookups link a quote's section to the thread that shows it.
    """
    sections = [(section.index, Counter(w.lower() for w in words_of(section.blocks))) for section in analysis.sections]
    owners: dict[int, int | None] = {}
    for shown in layout.slots:
        if shown.removed:
            owners[shown.slot] = None
            continue
        mine = Counter(w.lower() for w in words_of(shown.blocks))
        best, best_shared = None, 0
        for index, theirs in sections:
            shared = sum((mine & theirs).values())
            if shared > best_shared:
                best, best_shared = index, shared
        owners[shown.slot] = best
    return owners


# --- running a stored plan ----------------------------------------------------------------------


def plan_json(plan: CorrectionPlan) -> str:
    return json.dumps(
        {
            "steps": [
                {
                    "seq": s.seq,
                    "action": s.action,
                    "slot": s.slot,
                    "chunk": s.chunk,
                    "channel": s.channel,
                    "message": s.message,
                    "payload": s.payload,
                }
                for s in plan.steps
            ],
            "target": json.loads(layout_json(plan.target)),
            "due": plan.due.isoformat() if plan.due else None,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def plan_from_json(raw: str) -> CorrectionPlan:
    try:
        data = json.loads(raw)
        steps = tuple(
            CorrectionStep(
                seq=int(s["seq"]),
                action=s["action"],
                slot=s["slot"],
                chunk=s["chunk"],
                channel=int(s["channel"]),
                message=s["message"],
                payload=s["payload"],
            )
            for s in data["steps"]
        )
        target = layout_from_json(json.dumps(data["target"]))
        due = datetime.fromisoformat(data["due"]) if data.get("due") else None
    except (KeyError, TypeError, ValueError) as exc:
        raise CorrectionError(f"the stored correction plan cannot be read: {exc}") from exc
    if target is None:
        raise CorrectionError("the stored correction plan has no layout")
    return CorrectionPlan(steps, target, due)


def _resolve(value: int, results: Mapping[int, StepResult], field: Literal["message_id", "thread_id"]) -> int:
    if value >= 0:
        return value
    result = results.get(-value)
    found = getattr(result, field) if result is not None else None
    if found is None:
        raise CorrectionError(f"step {-value} has no {field} yet")
    return int(found)


def build_correction_request(step: CorrectionStep, results: Mapping[int, StepResult]) -> Request:
    """The step's REST request, with the ids earlier steps produced filled in."""
    channel = _resolve(step.channel, results, "thread_id")
    body = fill_links(step.payload, results) if step.payload is not None else None
    message = _resolve(step.message, results, "message_id") if step.message is not None else None
    if step.action == "thread":
        path = f"/channels/{channel}/messages/{message}/threads"
    elif step.action == "forum_post":
        path = f"/channels/{channel}/threads"
    elif step.action == "thread_patch":
        path = f"/channels/{channel}"
    elif step.method == "POST":
        path = f"/channels/{channel}/messages"
    else:
        path = f"/channels/{channel}/messages/{message}"
    return Request(step.method, path, channel, body, message)


def fill_links(payload: Mapping[str, Any], results: Mapping[int, StepResult]) -> dict[str, Any]:
    """The payload with links to ``-seq`` ids made real (a new anchor, a new forum post)."""

    def real(match: re.Match[str]) -> str:
        base, first, second = match.group(1), int(match.group(2)), match.group(3)
        if second is None:
            return f"{base}/{_resolve(first, results, 'thread_id')}"
        return f"{base}/{first}/{_resolve(int(second), results, 'message_id')}"

    raw = json.dumps(payload, ensure_ascii=False)
    if "/-" not in raw:
        return dict(payload)
    filled: dict[str, Any] = json.loads(_LINK_RE.sub(real, raw))
    problems = payload_violations(filled)
    if problems:
        raise CorrectionError("; ".join(problems))
    return filled


def result_of(step: CorrectionStep, request: Request, data: Any, results: Mapping[int, StepResult]) -> StepResult:
    """What a successful response means for later steps."""
    body = data if isinstance(data, Mapping) else {}
    raw_id = body.get("id")
    made = int(raw_id) if isinstance(raw_id, str | int) and str(raw_id).isdigit() else None
    if step.action in MESSAGE_ACTIONS:
        return StepResult(message_id=made, channel_id=request.channel_id)
    if step.action == "thread":
        anchor = _resolve(step.message, results, "message_id") if step.message is not None else None
        return StepResult(message_id=anchor, thread_id=made or anchor, channel_id=request.channel_id)
    if step.action == "forum_post":
        starter = body.get("message")
        starter_id = starter.get("id") if isinstance(starter, Mapping) else None
        message = int(starter_id) if isinstance(starter_id, str | int) and str(starter_id).isdigit() else made
        return StepResult(message_id=message, thread_id=made, channel_id=request.channel_id)
    return StepResult(channel_id=request.channel_id)


def finished_layout(plan: CorrectionPlan, results: Mapping[int, StepResult]) -> Layout:
    """The plan's target layout with the ids its steps produced."""

    def real(value: int | None, field: Literal["message_id", "thread_id"]) -> int | None:
        if value is None or value >= 0:
            return value
        result = results.get(-value)
        return getattr(result, field) if result is not None else None

    slots = []
    for shown in plan.target.slots:
        chunks = tuple(c for c in (real(c, "message_id") for c in shown.chunks) if c is not None)
        slots.append(
            replace(
                shown,
                thread=real(shown.thread, "thread_id"),
                anchor=real(shown.anchor, "message_id"),
                chunks=chunks,
                texts=shown.texts[: len(chunks)] if len(chunks) < len(shown.chunks) else shown.texts,
            )
        )
    return replace(plan.target, slots=tuple(slots))
