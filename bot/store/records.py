"""What the store gives and takes: plain dataclasses, the same whatever database holds them.

Every backend of the ``Store`` protocol (``bot/store/protocol.py``) returns these; no database row
or driver object leaves ``bot/store``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from bot.essays.model import Essay
from bot.store.vectors import Counts, Ids

IngestStatus = Literal["new", "revised", "unchanged"]


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    status: IngestStatus
    essay_id: int
    key: str
    revision: int
    # Analysers that failed on this essay (see bot.essays.analysis); it was stored without their output.
    analysis_failures: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EssayRow:
    """A stored essay with its database id and revision."""

    id: int
    essay: Essay
    revision: int
    content_hash: str
    feed_id: int | None


@dataclass(frozen=True, slots=True)
class FeedRow:
    id: int
    url: str
    title: str | None
    etag: str | None
    last_modified: str | None
    added_at: datetime
    last_polled_at: datetime | None
    last_ok_at: datetime | None
    last_result: str | None
    last_error: str | None
    consecutive_failures: int
    next_poll_at: datetime | None
    paused: bool
    primed: bool


@dataclass(frozen=True, slots=True)
class ArchiveSpan:
    essays: int
    first: date | None
    last: date | None
    ids: tuple[int, int] | None  # lowest and highest id with related terms


@dataclass(frozen=True, slots=True)
class RelatedVector:
    """An essay's stored stems as ids, ascending, with their counts capped at ``MAX_COUNT``
    (bot/store/vectors.py), their tf norm (of the uncapped counts: bot/essays/terms.py), and its date."""

    ids: Ids
    counts: Counts
    norm: float
    published: date | None


@dataclass(frozen=True, slots=True)
class StemStatistic:
    """A stem's id in the stored vectors and how many essays hold it."""

    id: int
    essays: int


@dataclass(frozen=True, slots=True)
class NeighbourList:
    """The summary of an essay's neighbour list: its similarity scale, its length and its worst score."""

    scale: float
    size: int
    worst: float


@dataclass(frozen=True, slots=True)
class EssayBrief:
    """An essay's identity and date, for matching references and ranking."""

    id: int
    key: str
    title: str
    url: str | None
    published: date | None


@dataclass(frozen=True, slots=True)
class EssayRef:
    """Just enough of an essay to name and link it in a result."""

    key: str
    title: str
    url: str | None
    id: int | None = None
    published: date | None = None


@dataclass(frozen=True, slots=True)
class EssayChoice:
    """An essay as autocomplete offers it."""

    id: int
    key: str
    title: str
    published: date | None


DestinationKind = Literal["text", "announcement", "forum"]


PublicationState = Literal["pending", "done", "stopped"]


StepState = Literal["pending", "attempted", "done"]


@dataclass(frozen=True, slots=True)
class DestinationRow:
    id: int
    guild_id: int
    channel_id: int
    kind: DestinationKind
    feed_id: int | None
    archive_minutes: int
    slowmode: int
    forum_tags: tuple[int, ...]
    mention_role_id: int | None
    stopped_reason: str | None


@dataclass(frozen=True, slots=True)
class PublicationRow:
    id: int
    essay_id: int
    destination_id: int
    revision: int
    state: PublicationState
    error: str | None
    created_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class StepRow:
    publication_id: int
    seq: int
    action: str
    section: int | None
    chunk: int | None
    nonce: str
    state: StepState
    channel_id: int | None
    message_id: int | None
    thread_id: int | None
    attempted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PlannedStep:
    """What the planner hands the store: the order and identity of each request."""

    seq: int
    action: str
    section: int | None
    chunk: int | None
    nonce: str


@dataclass(frozen=True, slots=True)
class SectionThread:
    """Where a section of an essay is discussed in one server."""

    essay_id: int
    section: int
    guild_id: int
    channel_id: int
    thread_id: int


DigestState = Literal["pending", "attempted", "done", "empty", "failed"]


@dataclass(frozen=True, slots=True)
class SectionStats:
    """What members wrote in one section's threads: messages, distinct authors, the last message's time."""

    section: int
    messages: int
    participants: int
    last_message_at: datetime | None


@dataclass(frozen=True, slots=True)
class PostedEssay:
    """An essay a server's channel received, and where: the card (text channels) or first post (forums)."""

    essay_id: int
    title: str
    url: str | None
    channel_id: int
    message_id: int | None  # the card; None in a forum
    thread_id: int | None  # a forum's first post
    finished_at: datetime


@dataclass(frozen=True, slots=True)
class BusySection:
    """A section and the messages its threads received in some period."""

    essay_id: int
    section: int
    messages: int
    participants: int
    thread_id: int


@dataclass(frozen=True, slots=True)
class DigestSchedule:
    guild_id: int
    channel_id: int
    next_run_at: datetime


@dataclass(frozen=True, slots=True)
class DigestRow:
    guild_id: int
    week: str
    channel_id: int
    nonce: str
    body: str | None
    state: DigestState
    attempted_at: datetime | None
    message_id: int | None
    error: str | None


@dataclass(frozen=True, slots=True)
class Shards:
    """The Discord shards a process holds (``SHARD_IDS`` of ``SHARD_COUNT``): a server is on shard
    ``(guild_id >> 22) % count``, Discord's own rule, so the process holding that shard posts there."""

    ids: Sequence[int]
    count: int

    def holds(self, guild_id: int) -> bool:
        return (guild_id >> 22) % self.count in self.ids
