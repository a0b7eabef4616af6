"""Running a publication plan exactly once: the decisions that need no request.

The runner (``bot.publishing.runner``) sends the requests; this module decides which steps remain,
what each request body is (the plan's payload plus the step's nonce), what a response means for
later steps, how to recognise a step's own message or thread after a crash, and whether an HTTP
error is worth a retry or stops the destination.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from bot.publishing.plan import Destination, Request, Step, StepResult
from bot.publishing.render import escape_markdown
from bot.publishing.transport import (
    ALREADY_CROSSPOSTED,
    MISSING_ACCESS,
    MISSING_PERMISSIONS,
    THREAD_ALREADY_EXISTS,
    THREAD_ARCHIVED,
    UNKNOWN_CHANNEL,
    UNKNOWN_MESSAGE,
)
from bot.store import DestinationRow, PlannedStep, StepRow

logger = logging.getLogger(__name__)

# Requests that create a message: they carry the step's nonce so Discord drops a retried duplicate.
MESSAGE_ACTIONS = frozenset({"card", "anchor", "thread_text", "forum_text"})
# Requests that start a thread (a thread from a message, a forum post).
THREAD_ACTIONS = frozenset({"thread", "forum_post"})
NONCE_BYTES = 10  # 20 hex characters: within Discord's 25-character nonce limit
DISCORD_EPOCH_MS = 1_420_070_400_000
# How far before a step's recorded attempt a message may be dated and still be that step's:
# the bot's and Discord's clocks may disagree a little.
CLOCK_SLACK = timedelta(seconds=120)
RECENT_MESSAGES = 50


Decision = Literal["retry", "done", "stop_destination", "stop_publication"]

# The permissions each kind of request needs, as discord.Permissions attribute names.
REQUIRED_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "card": ("view_channel", "send_messages", "embed_links"),
    "crosspost": ("view_channel", "send_messages"),
    "anchor": ("view_channel", "send_messages"),
    "thread": ("view_channel", "create_public_threads", "read_message_history"),
    "thread_text": ("view_channel", "send_messages_in_threads"),
    "card_links": ("view_channel", "embed_links"),
    "forum_post": ("view_channel", "send_messages", "embed_links"),
    "forum_text": ("view_channel", "send_messages_in_threads"),
    "forum_links": ("view_channel", "embed_links"),
}


def new_nonce() -> str:
    return secrets.token_hex(NONCE_BYTES)


def planned_steps(plan: Sequence[Step]) -> list[PlannedStep]:
    """The plan as the store records it, each step with a fresh nonce (kept if already recorded)."""
    return [PlannedStep(s.seq, s.action, s.section, s.chunk, new_nonce()) for s in plan]


def same_shape(plan: Sequence[Step], stored: Sequence[StepRow]) -> bool:
    """Whether the recorded steps are this plan's: same order, actions, sections and chunks."""
    if len(plan) != len(stored):
        return False
    return all(
        (p.seq, p.action, p.section, p.chunk) == (s.seq, s.action, s.section, s.chunk)
        for p, s in zip(plan, stored, strict=True)
    )


def results_of(stored: Sequence[StepRow]) -> dict[int, StepResult]:
    """The results of the steps already done, for rendering the later ones."""
    return {
        s.seq: StepResult(message_id=s.message_id, thread_id=s.thread_id, channel_id=s.channel_id)
        for s in stored
        if s.state == "done"
    }


def remaining(plan: Sequence[Step], stored: Sequence[StepRow]) -> list[Step]:
    """The plan's steps not done yet, in order."""
    done = {s.seq for s in stored if s.state == "done"}
    return [step for step in plan if step.seq not in done]


def request_body(step: Step, body: Mapping[str, Any] | None, nonce: str) -> dict[str, Any] | None:
    """The JSON sent for a step: the plan's body, plus the nonce for a message."""
    if body is None:
        return None
    out = dict(body)
    if step.action in MESSAGE_ACTIONS:
        out["nonce"] = nonce
        out["enforce_nonce"] = True
    return out


def _snowflake(raw: Any) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def result_from_response(
    step: Step, request: Request, data: Mapping[str, Any] | None, results: Mapping[int, StepResult]
) -> StepResult:
    """What a successful response means for later steps: the message and/or thread it made."""
    referenced = results.get(step.ref) if step.ref is not None else None
    if step.action in MESSAGE_ACTIONS:
        return StepResult(message_id=_snowflake((data or {}).get("id")), channel_id=request.channel_id)
    if step.action == "thread":
        anchor = referenced.message_id if referenced else None
        thread = _snowflake((data or {}).get("id")) or anchor
        return StepResult(message_id=anchor, thread_id=thread, channel_id=request.channel_id)
    if step.action == "forum_post":
        thread = _snowflake((data or {}).get("id"))
        starter = (data or {}).get("message")
        # A forum post's starter message has the thread's id.
        message = _snowflake(starter.get("id")) if isinstance(starter, Mapping) else thread
        return StepResult(message_id=message, thread_id=thread, channel_id=request.channel_id)
    # crosspost and the link edits act on an earlier step's message.
    return StepResult(message_id=referenced.message_id if referenced else None, channel_id=request.channel_id)


def decide(action: str, status: int, code: int) -> Decision:
    """What an HTTP error on a step means.

    Server errors and rate limits are retried; "already crossposted" and "thread already exists"
    mean an earlier attempt got through; missing permissions and vanished channels or messages
    stop the destination until a moderator resumes it; anything else is a request Discord will
    keep refusing, which stops this publication only.
    """
    if status == 429 or status >= 500:
        return "retry"
    if action == "crosspost" and code == ALREADY_CROSSPOSTED:
        return "done"
    if action == "thread" and code == THREAD_ALREADY_EXISTS:
        return "done"
    if status in (401, 403) or code in (MISSING_ACCESS, MISSING_PERMISSIONS):
        return "stop_destination"
    if status == 404 or code in (UNKNOWN_CHANNEL, UNKNOWN_MESSAGE, THREAD_ARCHIVED):
        return "stop_destination"
    return "stop_publication"


def backoff(attempt: int, *, base: float, cap: float) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based): doubling, capped."""
    return float(min(cap, base * (2**attempt)))


def permission_label(name: str) -> str:
    """``send_messages_in_threads`` -> ``Send Messages in Threads``."""
    words = name.split("_")
    return " ".join(word if word == "in" else word.capitalize() for word in words)


def required_permissions(action: str) -> tuple[str, ...]:
    return REQUIRED_PERMISSIONS.get(action, ("view_channel",))


def problem_text(action: str, status: int, code: int, missing: Sequence[str] = ()) -> str:
    """A short reason for the moderators and the store: what Discord refused and why."""
    if code == UNKNOWN_CHANNEL or (status == 404 and code == 0):
        where = "a section thread" if action in ("thread_text", "forum_text", "forum_links") else "the channel"
        return f"{where} was deleted"
    if code == UNKNOWN_MESSAGE:
        return "a message the plan builds on was deleted"
    if code == THREAD_ARCHIVED:
        return "a section thread is locked"
    if status in (401, 403) or code in (MISSING_ACCESS, MISSING_PERMISSIONS):
        needed = missing or required_permissions(action)
        labels = ", ".join(permission_label(name) for name in needed)
        return f"the bot lacks the {labels} permission{'s' if len(needed) != 1 else ''}"
    return f"Discord refused a {action} request (HTTP {status}, code {code})"


def gone_message(essay_title: str, channel: str, reason: str) -> str:
    """What the moderators read when something one publication builds on was deleted.

    Resuming cannot bring a deleted thread or message back, so this publication stops for good
    while the destination keeps taking later essays.
    """
    return (
        f"Publishing **{escape_markdown(essay_title)}** to {channel} stopped: {reason}. "
        "What was posted stays, and the rest of this essay is not posted there; later essays are "
        "posted as usual. Run `/marginalia repost` to post this essay again from scratch."
    )


def stop_message(essay_title: str, channel: str, reason: str) -> str:
    """What the moderators read when a destination stops."""
    return (
        f"Publishing **{escape_markdown(essay_title)}** to {channel} stopped: {reason}. "
        "Nothing already posted will be posted again. Fix this, then run "
        "`/marginalia destinations resume` to post the rest."
    )


def duplicate_post_message(essay_title: str, forum: str, post: str) -> str:
    """What the moderators read when a retried forum post left a second post the bot cannot delete."""
    return (
        f"Posting **{escape_markdown(essay_title)}** to {forum} made one section's post twice: a first try that "
        f"timed out reached Discord after the retry. The bot lacks the Manage Threads permission "
        f"to delete the extra post, {post}; please delete it (the other post has the section's text)."
    )


# --- recognising a step's own message or thread after a crash ---------------------------------


def snowflake_at(moment: datetime) -> int:
    """The smallest snowflake Discord could give something created at ``moment``."""
    millis = int(moment.timestamp() * 1000) - DISCORD_EPOCH_MS
    return max(0, millis) << 22


def earliest_id(attempted_at: datetime | None) -> int:
    """Ids below this cannot belong to the step's attempt (0 when the attempt time is unknown)."""
    return snowflake_at(attempted_at - CLOCK_SLACK) if attempted_at is not None else 0


def _embed_key(embeds: Any) -> list[tuple[Any, Any]]:
    if not isinstance(embeds, list):
        return []
    return [(e.get("title"), e.get("description")) for e in embeds if isinstance(e, Mapping)]


def message_matches(
    body: Mapping[str, Any],
    message: Mapping[str, Any],
    *,
    bot_id: int,
    nonce: str,
    min_id: int = 0,
    taken: frozenset[int] = frozenset(),
) -> bool:
    """Whether ``message`` (as Discord returns it) is the one a step's ``body`` created.

    The nonce decides when Discord echoes it; otherwise the content and embeds must be the same.
    A message older than the attempt, or already recorded for another step, is never a match.
    """
    message_id = _snowflake(message.get("id"))
    author = message.get("author")
    if message_id is None or message_id < min_id or message_id in taken:
        return False
    if not isinstance(author, Mapping) or _snowflake(author.get("id")) != bot_id:
        return False
    if message.get("nonce") is not None:
        return str(message["nonce"]) == nonce
    if (message.get("content") or "") != (body.get("content") or ""):
        return False
    return _embed_key(message.get("embeds")) == _embed_key(body.get("embeds"))


def find_message(
    body: Mapping[str, Any],
    messages: Sequence[Mapping[str, Any]],
    *,
    bot_id: int,
    nonce: str,
    min_id: int = 0,
    taken: frozenset[int] = frozenset(),
) -> int | None:
    """The id of the step's message among ``messages`` (newest first, as Discord lists them)."""
    for message in messages:
        if message_matches(body, message, bot_id=bot_id, nonce=nonce, min_id=min_id, taken=taken):
            return _snowflake(message.get("id"))
    return None


def find_forum_post(
    body: Mapping[str, Any],
    threads: Sequence[Mapping[str, Any]],
    *,
    forum_id: int,
    bot_id: int,
    min_id: int = 0,
    taken: frozenset[int] = frozenset(),
) -> list[int]:
    """Ids of active threads that may be the step's forum post: same forum, owner and name.

    The caller confirms a candidate by its starter message (``message_matches``).
    """
    found: list[int] = []
    for thread in threads:
        thread_id = _snowflake(thread.get("id"))
        if thread_id is None or thread_id < min_id or thread_id in taken:
            continue
        if _snowflake(thread.get("parent_id")) != forum_id or _snowflake(thread.get("owner_id")) != bot_id:
            continue
        if thread.get("name") == body.get("name"):
            found.append(thread_id)
    return found


@dataclass(frozen=True, slots=True)
class UnsettledPost:
    """A forum post step that finished while an earlier attempt's outcome is still unknown.

    A forum post carries no nonce, so an attempt abandoned on a timeout or a server error may
    land on Discord after the step was resent or recovered: a second post for the section. The
    publisher looks for such a post once the attempt has had ``settle`` seconds to land.
    """

    step: Step
    body: Mapping[str, Any]
    first_attempt: datetime | None  # the earliest attempt that may still land (None: unknown)
    last_abandoned: datetime  # when the latest such attempt was given up


def settle_wait(unsettled: Sequence[UnsettledPost], settle: float, now: datetime) -> float:
    """Seconds left before every abandoned forum post attempt has had ``settle`` seconds to land."""
    if not unsettled:
        return 0.0
    latest = max(u.last_abandoned for u in unsettled)
    return max(0.0, (latest + timedelta(seconds=settle) - now).total_seconds())


def plan_destination(row: DestinationRow) -> Destination:
    """The publishing plan's view of a stored destination."""
    return Destination(
        guild_id=row.guild_id,
        channel_id=row.channel_id,
        kind=row.kind,
        archive_minutes=row.archive_minutes,
        slowmode=row.slowmode,
        forum_tags=row.forum_tags,
        mention_role_id=row.mention_role_id,
    )
