"""The posting plan: an essay, its analysis and a destination become an ordered list of Discord requests.

Pure and deterministic: the same inputs give the same steps and payloads, byte for byte, so a
preview shows exactly what will be posted and an interrupted publication can be re-planned and
resumed from the steps already done. Ids that only exist once earlier steps have run (the card's
message, the anchors, the threads) are filled in by ``render_step`` and ``build_request`` from
those steps' results.

Layouts:
- text: card, then per section an anchor message, a thread started from it and the section's
  text in that thread, then an edit of the card that links each anchor;
- announcement: as text, with a crosspost of the card right after it;
- forum: per section a forum post (first chunk in its starter message) and the rest of the text
  in that post, then per post an edit of its starter message linking the other posts.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from bot.essays.model import Analysis, Essay, Section
from bot.essays.text import sentences
from bot.publishing.render import (
    AUTHOR_NAME_LIMIT,
    EMBED_DESCRIPTION_LIMIT,
    EMBED_TITLE_LIMIT,
    FIELD_VALUE_LIMIT,
    FOOTER_LIMIT,
    THREAD_NAME_LIMIT,
    bold,
    collapse,
    discord_length,
    escape_markdown,
    excerpt,
    guard_line_start,
    payload_violations,
    plain,
    safe_url,
    section_excerpt_text,
    section_messages,
    shorten,
)

logger = logging.getLogger(__name__)

DestinationKind = Literal["text", "announcement", "forum"]
Action = Literal[
    "card",
    "crosspost",
    "anchor",
    "thread",
    "thread_text",
    "card_links",
    "forum_post",
    "forum_text",
    "forum_links",
]
Method = Literal["POST", "PATCH", "DELETE"]

ARCHIVE_MINUTES = (60, 1440, 4320, 10080)
MAX_SLOWMODE = 21600
MAX_FORUM_TAGS = 5
SUMMARY_LIMIT = 350
EXCERPT_LIMIT = 300
# A section title in a contents line or an anchor heading; names are cut to their own limits.
CONTENTS_TITLE_LIMIT = 80
ANCHOR_TITLE_LIMIT = 200
# The essay URL is shown in message text only when it is reasonably short.
CONTENT_URL_LIMIT = 512
LABEL_LIMIT = 60
WORDS_PER_MINUTE = 230
EMBED_COLOUR = 0x3B5B8C
# Message flags: no link previews for essay text, no push notifications for the bulk of a layout.
SUPPRESS_EMBEDS = 1 << 2
SUPPRESS_NOTIFICATIONS = 1 << 12
QUIET_FLAGS = SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS
NO_MENTIONS: dict[str, list[str]] = {"parse": []}
# Fake snowflakes for previews: 18 digits like real ids, and obviously not real ones.
PREVIEW_ID_BASE = 900_000_000_000_000_000


class PlanError(Exception):
    """A step cannot be rendered: a needed result is missing, or a payload would break Discord's limits."""


@dataclass(frozen=True, slots=True)
class Destination:
    """Where and how essays are posted; ``forum_tags`` are tag ids of the forum."""

    guild_id: int
    channel_id: int
    kind: DestinationKind
    archive_minutes: int = 10080
    slowmode: int = 0
    forum_tags: tuple[int, ...] = ()
    mention_role_id: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("text", "announcement", "forum"):
            raise ValueError(f"unknown destination kind {self.kind!r}: use text, announcement or forum")
        if self.archive_minutes not in ARCHIVE_MINUTES:
            raise ValueError(f"archive_minutes must be one of {ARCHIVE_MINUTES}, not {self.archive_minutes}")
        if not 0 <= self.slowmode <= MAX_SLOWMODE:
            raise ValueError(f"slowmode must be within 0..{MAX_SLOWMODE} seconds, not {self.slowmode}")


@dataclass(frozen=True, slots=True)
class Step:
    """One Discord request of a publication.

    ``payload`` is the JSON body as known when planning; for ``card_links`` and ``forum_links`` it
    is empty and ``render_step`` builds it from earlier results. ``ref`` is the earlier step whose
    message or thread this request acts on (None: the destination channel itself); ``needs`` are
    the earlier steps whose results the payload links to, in section order.
    """

    seq: int
    action: Action
    section: int | None
    chunk: int | None
    payload: dict[str, Any]
    ref: int | None = None
    needs: tuple[int, ...] = ()

    @property
    def depends_on(self) -> tuple[int, ...]:
        """Every earlier step that must be done before this one can run."""
        return ((self.ref,) if self.ref is not None else ()) + self.needs


@dataclass(frozen=True, slots=True)
class StepResult:
    """What a done step produced: the message and/or thread it created, and the channel it targeted."""

    message_id: int | None = None
    thread_id: int | None = None
    channel_id: int | None = None


@dataclass(frozen=True, slots=True)
class Request:
    """A REST request ready to send: ``path`` is relative to the API base (``/channels/...``)."""

    method: Method
    path: str
    channel_id: int
    json: dict[str, Any] | None
    message_id: int | None = None  # the message it acts on (a crosspost, a thread from it, an edit)


@dataclass(frozen=True, slots=True)
class PreviewItem:
    """A step and the request it will make, rendered with fake ids for the steps not yet run."""

    step: Step
    request: Request


# --- names ----------------------------------------------------------------------------------


def thread_name(index: int, title: str) -> str:
    """``§N · <title>`` within 100 characters, cut at a word boundary with "…"; never empty."""
    prefix = f"§{index}"
    cleaned = plain(title)
    if not cleaned:
        return prefix
    return prefix + " · " + shorten(cleaned, THREAD_NAME_LIMIT - discord_length(prefix + " · "))


def forum_post_name(essay_title: str, index: int, section_title: str) -> str:
    """``<essay title> · §N <section title>`` within 100 characters, always keeping the § part.

    The essay title gives way first; a long section title is cut to leave it some room.
    """
    part = plain(f"§{index} {section_title}")
    title = plain(essay_title)
    separator = " · "
    if not title:
        return shorten(part, THREAD_NAME_LIMIT)
    if discord_length(title) + len(separator) + discord_length(part) <= THREAD_NAME_LIMIT:
        return f"{title}{separator}{part}"
    # The section part may take up to 60 characters, more when the essay title is short.
    part_room = max(60, THREAD_NAME_LIMIT - len(separator) - discord_length(title))
    part = shorten(part, part_room)
    title = shorten(title, THREAD_NAME_LIMIT - len(separator) - discord_length(part))
    return f"{title}{separator}{part}" if title.strip(" …") else part


def jump_url(guild_id: int, channel_id: int, message_id: int | None = None) -> str:
    """A Discord link to a channel or thread, or to a message in it."""
    base = f"https://discord.com/channels/{guild_id}/{channel_id}"
    return base if message_id is None else f"{base}/{message_id}"


# --- texts ----------------------------------------------------------------------------------


def essay_summary(essay: Essay, limit: int = SUMMARY_LIMIT) -> str:
    """The first two sentences of the essay's first paragraphs, sanitised, within ``limit``."""
    paragraphs = [block.text for block in essay.blocks if block.kind == "paragraph" and block.text.strip()]
    if not paragraphs:
        paragraphs = [block.text for block in essay.blocks if block.kind != "heading" and block.text.strip()]
    opening: list[str] = []
    for paragraph in paragraphs:
        opening.extend(sentences(collapse(paragraph)))
        if len(opening) >= 2:
            break
    return excerpt(escape_markdown(" ".join(opening[:2])), limit)


def _contents_label(section: Section) -> str:
    return f"§{section.index} · {shorten(collapse(section.title), CONTENTS_TITLE_LIMIT)}".rstrip(" ·")


def _fit_lines(lines: Sequence[str], budget: int, noun: str) -> str:
    """As many whole lines as fit ``budget``, then "…and N more <noun>" for the rest."""
    reserve = discord_length(f"\n…and {len(lines)} more {noun}")
    kept: list[str] = []
    used = 0
    for number, line in enumerate(lines):
        size = discord_length(line) + (1 if kept else 0)
        last = number == len(lines) - 1
        if used + size + (0 if last else reserve) > budget:
            kept.append(f"…and {len(lines) - number} more {noun}")
            break
        kept.append(line)
        used += size
    return "\n".join(kept)


def _contents_lines(
    sections: Sequence[Section], links: Mapping[int, str] | None, current: int | None, unplaced: Sequence[str] = ()
) -> list[str]:
    """One line per section: a masked link when its URL is known, bold for the current one.

    ``unplaced`` are sections the author added after posting that have no thread (they fall in
    the middle of the essay): one line each, saying so.
    """
    lines: list[str] = []
    for section in sections:
        label = _contents_label(section)
        if section.index == current:
            lines.append(bold(escape_markdown(label)) + " (this post)")
        elif links is not None and section.index in links:
            lines.append(f"[{escape_markdown(label)}]({links[section.index]})")
        else:
            lines.append(escape_markdown(label))
    for title in unplaced:
        label = shorten(collapse(title), CONTENTS_TITLE_LIMIT) or "A new section"
        lines.append(escape_markdown(f"{label} (added by the author after posting; read it on the blog)"))
    return lines


def _timestamp(published: datetime | None) -> str | None:
    if published is None:
        return None
    if published.tzinfo is None:
        # Naive times in the store are UTC.
        published = published.replace(tzinfo=UTC)
    return published.isoformat()


def _labels_value(labels: Sequence[str]) -> str:
    unique = list(dict.fromkeys(collapse(label) for label in labels if label.strip()))
    shown = [escape_markdown(shorten(label, LABEL_LIMIT)) for label in unique]
    # One character is kept for the guard: a label like "#" opens a header once joined.
    room = FIELD_VALUE_LIMIT - 1
    text = " · ".join(shown)
    if discord_length(text) > room:
        # Keep whole labels and say how many were left out.
        kept: list[str] = []
        for number, label in enumerate(shown):
            rest = f" · …and {len(shown) - number} more"
            if discord_length(" · ".join([*kept, label])) + len(rest) > room:
                text = " · ".join(kept) + rest
                break
            kept.append(label)
    return guard_line_start(text)


def _author(essay: Essay) -> dict[str, str] | None:
    """The embed's author line: the writer's name, else the blog's, with the blog's icon where known."""
    name = plain(essay.author or essay.site_name or "")
    if not name:
        return None
    author = {"name": shorten(name, AUTHOR_NAME_LIMIT)}
    icon = safe_url(essay.site_icon)
    if icon:
        author["icon_url"] = icon
    return author


def _footer(essay: Essay, text: str) -> dict[str, str]:
    """The blog's name before ``text`` (when the author line shows the writer, not the blog)."""
    blog = plain(essay.site_name or "") if essay.author else ""
    return {"text": shorten(" · ".join(part for part in (blog, text) if part), FOOTER_LIMIT)}


def essay_title(essay: Essay) -> str:
    return shorten(plain(essay.title) or "Untitled essay", EMBED_TITLE_LIMIT)


def embed_header(essay: Essay, *, dated: bool, credited: bool = True) -> dict[str, Any]:
    """What every embed of an essay starts with: its title linked to it, (its author, its date,) the colour."""
    embed: dict[str, Any] = {"title": essay_title(essay)}
    url = safe_url(essay.url)
    if url:
        embed["url"] = url
    author = _author(essay) if credited else None
    if author:
        embed["author"] = author
    timestamp = _timestamp(essay.published) if dated else None
    if timestamp:
        embed["timestamp"] = timestamp
    embed["color"] = EMBED_COLOUR
    return embed


def card_embed(
    essay: Essay,
    analysis: Analysis,
    anchor_links: Mapping[int, str] | None = None,
    unplaced: Sequence[str] = (),
) -> dict[str, Any]:
    """The essay card: title linked to the essay, author, date, summary, contents, labels, length.

    Without ``anchor_links`` the contents list plain section titles; with them, links to the anchors.
    ``unplaced`` are sections added after posting that have no thread (see ``_contents_lines``).
    """
    embed = embed_header(essay, dated=True)

    summary = essay_summary(essay)
    description = summary
    if analysis.sections:
        header = ("\n\n" if summary else "") + "**Contents**\n"
        budget = EMBED_DESCRIPTION_LIMIT - discord_length(summary) - discord_length(header)
        lines = _contents_lines(analysis.sections, anchor_links, None, unplaced)
        description = summary + header + _fit_lines(lines, budget, "sections")
    if description:
        embed["description"] = description

    fields: list[dict[str, Any]] = []
    labels = _labels_value(essay.labels)
    if labels:
        fields.append({"name": "Labels", "value": labels, "inline": False})
    words = essay.word_count
    length = f"{words:,} words · about {max(1, round(words / WORDS_PER_MINUTE))} min read"
    if analysis.sections:
        count = len(analysis.sections)
        length += f" · {count} section{'s' if count != 1 else ''}"
    fields.append({"name": "Length", "value": length, "inline": True})
    embed["fields"] = fields
    image = safe_url(essay.image)
    if image:
        embed["image"] = {"url": image}
    if analysis.sections:
        embed["footer"] = _footer(essay, "Discuss each section in its thread below.")
    elif essay.author and essay.site_name:
        embed["footer"] = _footer(essay, "")
    return embed


def card_payload(
    essay: Essay, analysis: Analysis, destination: Destination, anchor_links: Mapping[int, str] | None = None
) -> dict[str, Any]:
    """The card message; the configured role, if any, is its only mention."""
    payload: dict[str, Any] = {}
    mentions: dict[str, list[str]] = {"parse": []}
    if destination.mention_role_id is not None:
        role = str(destination.mention_role_id)
        payload["content"] = f"<@&{role}>"
        mentions["roles"] = [role]
    payload["embeds"] = [card_embed(essay, analysis, anchor_links)]
    payload["allowed_mentions"] = mentions
    return payload


def anchor_content(essay: Essay, section: Section) -> str:
    """The anchor message: bold ``§N · <title>``, an excerpt, and the essay's address when known."""
    heading = f"§{section.index}"
    title = shorten(collapse(section.title), ANCHOR_TITLE_LIMIT)
    if title:
        heading += f" · {title}"
    lines = [bold(escape_markdown(heading))]
    text = excerpt(escape_markdown(section_excerpt_text(section)), EXCERPT_LIMIT)
    if text:
        lines.append(text)
    url = safe_url(essay.url, CONTENT_URL_LIMIT)
    if url:
        # Angle brackets keep Discord from adding a link preview under every anchor.
        lines.append(f"Full text: <{url}>")
    return "\n".join(lines)


def thread_settings(destination: Destination) -> dict[str, int]:
    """A new thread's archive time and slowmode, as the destination sets them."""
    return {"auto_archive_duration": destination.archive_minutes, "rate_limit_per_user": destination.slowmode}


def text_message(content: str) -> dict[str, Any]:
    """A quiet message of essay text: no pings, no link previews, no push notifications."""
    return {"content": content, "allowed_mentions": {"parse": []}, "flags": QUIET_FLAGS}


def forum_embed(
    essay: Essay,
    analysis: Analysis,
    section: Section,
    post_links: Mapping[int, str] | None = None,
    unplaced: Sequence[str] = (),
) -> dict[str, Any]:
    """The small embed of a forum post: the essay, which part this is, and (once known) the other parts."""
    embed = embed_header(essay, dated=False)
    position = analysis.sections.index(section) + 1
    description = f"Section {position} of {len(analysis.sections)} of the essay."
    if post_links is not None and len(analysis.sections) > 1:
        header = "\n\n**All sections**\n"
        budget = EMBED_DESCRIPTION_LIMIT - discord_length(description) - len(header)
        lines = _contents_lines(analysis.sections, post_links, section.index, unplaced)
        description += header + _fit_lines(lines, budget, "sections")
    embed["description"] = description
    return embed


def forum_post_payload(
    essay: Essay, analysis: Analysis, destination: Destination, section: Section, first_chunk: str | None
) -> dict[str, Any]:
    """A forum post: its name, thread settings, tags, and a starter message with the first chunk."""
    payload: dict[str, Any] = {"name": forum_post_name(essay.title, section.index, section.title)}
    payload.update(thread_settings(destination))
    tags = list(dict.fromkeys(destination.forum_tags))[:MAX_FORUM_TAGS]
    if tags:
        payload["applied_tags"] = [str(tag) for tag in tags]
    message: dict[str, Any] = {}
    if first_chunk:
        message["content"] = first_chunk
    message["embeds"] = [forum_embed(essay, analysis, section)]
    message["allowed_mentions"] = {"parse": []}
    payload["message"] = message
    return payload


# --- the plan -------------------------------------------------------------------------------


def _channel_steps(essay: Essay, analysis: Analysis, destination: Destination) -> list[Step]:
    steps: list[Step] = [Step(1, "card", None, None, card_payload(essay, analysis, destination))]
    card_seq = 1
    if destination.kind == "announcement":
        steps.append(Step(2, "crosspost", None, None, {}, ref=card_seq))
    anchors: list[int] = []
    for section in analysis.sections:
        anchor_seq = len(steps) + 1
        anchors.append(anchor_seq)
        steps.append(Step(anchor_seq, "anchor", section.index, None, text_message(anchor_content(essay, section))))
        thread_seq = anchor_seq + 1
        thread_payload: dict[str, Any] = {"name": thread_name(section.index, section.title)}
        thread_payload.update(thread_settings(destination))
        steps.append(Step(thread_seq, "thread", section.index, None, thread_payload, ref=anchor_seq))
        for chunk, text in enumerate(section_messages(section), start=1):
            steps.append(Step(len(steps) + 1, "thread_text", section.index, chunk, text_message(text), ref=thread_seq))
    if anchors:
        steps.append(Step(len(steps) + 1, "card_links", None, None, {}, ref=card_seq, needs=tuple(anchors)))
    return steps


def _forum_steps(essay: Essay, analysis: Analysis, destination: Destination) -> list[Step]:
    steps: list[Step] = []
    posts: list[int] = []
    for section in analysis.sections:
        chunks = section_messages(section)
        post_seq = len(steps) + 1
        posts.append(post_seq)
        first = chunks[0] if chunks else None
        payload = forum_post_payload(essay, analysis, destination, section, first)
        steps.append(Step(post_seq, "forum_post", section.index, 1 if first else None, payload))
        for chunk, text in enumerate(chunks[1:], start=2):
            steps.append(Step(len(steps) + 1, "forum_text", section.index, chunk, text_message(text), ref=post_seq))
    for section, post_seq in zip(analysis.sections, posts, strict=True):
        steps.append(Step(len(steps) + 1, "forum_links", section.index, None, {}, ref=post_seq, needs=tuple(posts)))
    return steps


def plan_publication(essay: Essay, analysis: Analysis, destination: Destination) -> list[Step]:
    """The ordered steps that publish ``essay`` to ``destination``; ``seq`` counts from 1.

    A text or announcement destination always gets the card; a forum gets nothing for an essay
    without sections. Every payload known now is checked against Discord's limits.
    """
    indexes = [section.index for section in analysis.sections]
    if len(set(indexes)) != len(indexes):
        raise PlanError(f"section indexes repeat: {indexes}")
    if destination.kind == "forum":
        steps = _forum_steps(essay, analysis, destination)
    else:
        steps = _channel_steps(essay, analysis, destination)
    for step in steps:
        _check(step, step.payload)
    logger.debug("planned %d steps for %s to channel %s", len(steps), essay.key, destination.channel_id)
    return steps


def count_requests(essay: Essay, analysis: Analysis, destination: Destination) -> int:
    """How many REST requests the layout needs: one per step."""
    return len(plan_publication(essay, analysis, destination))


# --- rendering with results -----------------------------------------------------------------


def _check(step: Step, payload: Mapping[str, Any]) -> None:
    problems = payload_violations(payload)
    if problems:
        raise PlanError(f"step {step.seq} ({step.action}) would be refused: {'; '.join(problems)}")


def _result(results: Mapping[int, StepResult], seq: int, field: Literal["message_id", "thread_id"]) -> int:
    result = results.get(seq)
    value = getattr(result, field) if result is not None else None
    if value is None:
        raise PlanError(f"step {seq} has no {field} yet")
    return int(value)


def _ref(step: Step) -> int:
    if step.ref is None:
        raise PlanError(f"step {step.seq} ({step.action}) has no earlier step to act on")
    return step.ref


def _section(analysis: Analysis, index: int | None) -> Section:
    for section in analysis.sections:
        if section.index == index:
            return section
    raise PlanError(f"the analysis has no section {index}")


def render_step(
    step: Step,
    essay: Essay,
    analysis: Analysis,
    destination: Destination,
    results: Mapping[int, StepResult],
) -> dict[str, Any]:
    """The step's final JSON body (a fresh copy), with links built from earlier steps' ``results``."""
    if step.action == "card_links":
        if len(step.needs) != len(analysis.sections):
            raise PlanError("the card's links do not match the analysis: re-plan the publication")
        anchor_links = {
            section.index: jump_url(destination.guild_id, destination.channel_id, _result(results, seq, "message_id"))
            for section, seq in zip(analysis.sections, step.needs, strict=True)
        }
        embed = card_embed(essay, analysis, anchor_links)
        payload: dict[str, Any] = {"embeds": [embed], "allowed_mentions": {"parse": []}}
    elif step.action == "forum_links":
        if len(step.needs) != len(analysis.sections):
            raise PlanError("the forum links do not match the analysis: re-plan the publication")
        post_links = {
            section.index: jump_url(destination.guild_id, _result(results, seq, "thread_id"))
            for section, seq in zip(analysis.sections, step.needs, strict=True)
        }
        embed = forum_embed(essay, analysis, _section(analysis, step.section), post_links)
        payload = {"embeds": [embed], "allowed_mentions": {"parse": []}}
    else:
        payload = copy.deepcopy(step.payload)
    _check(step, payload)
    return payload


def target(step: Step, destination: Destination, results: Mapping[int, StepResult]) -> int:
    """The channel the step's request goes to: the destination, or a thread an earlier step created."""
    if step.action in ("thread_text", "forum_text", "forum_links"):
        return _result(results, _ref(step), "thread_id")
    return destination.channel_id


def build_request(
    step: Step,
    essay: Essay,
    analysis: Analysis,
    destination: Destination,
    results: Mapping[int, StepResult],
) -> Request:
    """The method, path and body of the step's REST request."""
    channel = target(step, destination, results)
    body: dict[str, Any] | None = render_step(step, essay, analysis, destination, results)
    if step.action in ("card", "anchor", "thread_text", "forum_text"):
        return Request("POST", f"/channels/{channel}/messages", channel, body)
    if step.action == "forum_post":
        return Request("POST", f"/channels/{channel}/threads", channel, body)
    # The others act on an earlier step's message: crosspost it, start a thread from it, edit it
    # (card_links: the card; forum_links: a forum post's starter message).
    message = _result(results, _ref(step), "message_id")
    if step.action == "crosspost":
        return Request("POST", f"/channels/{channel}/messages/{message}/crosspost", channel, None, message)
    if step.action == "thread":
        return Request("POST", f"/channels/{channel}/messages/{message}/threads", channel, body, message)
    return Request("PATCH", f"/channels/{channel}/messages/{message}", channel, body, message)


# --- preview --------------------------------------------------------------------------------


def preview_result(step: Step, request: Request, results: Mapping[int, StepResult]) -> StepResult:
    """The result a step would have, with fake ids: what Discord returns, shaped for the next steps."""
    fake = PREVIEW_ID_BASE + step.seq
    if step.action in ("card", "anchor", "thread_text", "forum_text"):
        return StepResult(message_id=fake, channel_id=request.channel_id)
    if step.action == "thread":
        # A thread started from a message has that message's id.
        anchor = _result(results, _ref(step), "message_id")
        return StepResult(message_id=anchor, thread_id=anchor, channel_id=request.channel_id)
    if step.action == "forum_post":
        # A forum post's starter message has the thread's id.
        return StepResult(message_id=fake, thread_id=fake, channel_id=request.channel_id)
    return StepResult(message_id=_result(results, _ref(step), "message_id"), channel_id=request.channel_id)


def preview(essay: Essay, analysis: Analysis, destination: Destination) -> list[PreviewItem]:
    """Every request the publication will make, exactly as posted except for fake ids."""
    results: dict[int, StepResult] = {}
    items: list[PreviewItem] = []
    for step in plan_publication(essay, analysis, destination):
        request = build_request(step, essay, analysis, destination, results)
        results[step.seq] = preview_result(step, request, results)
        items.append(PreviewItem(step, request))
    return items
