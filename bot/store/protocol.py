"""The ``Store`` protocol: what the rest of the bot asks of its database, whatever the database is.

Callers (intake, poller, ingest, lookup, related, activity, digest, operations, the publishing
runner, the cogs, the command line, the benches) depend on this type only; ``open_store`` picks the
backend: SQLite (``SQLiteStore``, bot/store/store.py and the query modules beside it) or PostgreSQL
(``PostgresStore``, bot/store/postgres/). Every method takes and returns plain values and the
dataclasses of ``records.py``; the server scope (``scope.py``: which essays a server may see) is the
backend's to enforce.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol, Self

from bot.essays.model import Analysis, Essay, Figure, FigureKind, Quote, QuoteKind, Reference
from bot.essays.terms import Terms
from bot.store.records import (
    ArchiveSpan,
    BusySection,
    DestinationKind,
    DestinationRow,
    DigestRow,
    DigestSchedule,
    DigestState,
    EssayBrief,
    EssayChoice,
    EssayRef,
    EssayRow,
    FeedRow,
    IngestOutcome,
    NeighbourList,
    PlannedStep,
    PostedEssay,
    PublicationRow,
    RelatedVector,
    SectionStats,
    SectionThread,
    Shards,
    StemStatistic,
    StepRow,
)
from bot.store.scope import GuildScope


class Store(Protocol):
    """The database of one Marginalia deployment."""

    # Whether reads awaited together are answered together (a pool's connections), or each at once in
    # the caller's thread (SQLite's read connection): see ``bot.store.together.read_together``.
    concurrent_reads: bool

    # ------------------------------------------------------------- the store itself

    async def close(self) -> None:
        """Release the connection (or pool); the store is unusable afterwards."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def backup(self, target: Path) -> None:
        """Write a consistent copy of the whole database to ``target`` while the bot runs, and check it.

        The copy takes the name ``target`` only once it passes the backend's integrity check; a copy that
        fails it is removed and ``BackupCheckError`` says what was wrong. ``target``'s folder exists.
        """

    async def ranking_version(self) -> int | None:
        """A number that changes with every commit (of any connection or process) that may have changed what
        /related ranks by: the essays, their labels, quotes, references, stems and neighbour lists, and the
        servers' scope; not with the rest (a member's message in a thread, a publication's progress). A ranking
        computed while it stays the same is still current. None when the backend cannot tell, or while this
        store has a transaction open (its reads then see changes not yet committed)."""

    def write_batch(self) -> AbstractAsyncContextManager[None]:
        """Group this task's writes: on SQLite they share one transaction, committed once at the end (each
        method's own transaction becomes a savepoint inside it) and rolled back together on an exception.
        A bulk ingest writes a batch of essays, their references and neighbour lists this way: one commit,
        and a crash loses the whole batch or nothing. On PostgreSQL each write still commits by itself.
        The task must not wait, inside, on another task that writes (that one waits for the batch); other
        tasks, those it starts included, read the last commit, not the batch. Batches nest. On SQLite a batch's
        statements run in the caller's thread and hold the event loop while they run: for bulk work (the
        command line's ingest), not for the bot's process."""

    async def integrity_check(self) -> list[str]:
        """The problems the backend's own consistency check finds in the live database; empty when sound."""

    async def checkpoint(self) -> None:
        """Make the database's files complete by themselves: nothing still pending in a log beside them."""

    # ---------------------------------------------------------- essays, feeds, related

    async def get_state(self, key: str) -> str | None: ...

    async def set_state(self, key: str, value: str) -> None: ...

    async def save_essay(self, essay: Essay, analysis: Analysis, *, feed_id: int | None = None) -> IngestOutcome:
        """Store an essay and its analysis; a changed body makes a new revision."""

    async def save_essays(self, items: Sequence[tuple[Essay, Analysis, int | None]]) -> list[IngestOutcome]:
        """Store several essays (each with its analysis and feed) in one transaction, in order."""

    async def content_hashes(self, keys: Sequence[str]) -> dict[str, tuple[str, int, int]]:
        """{key: (content hash, essay id, revision)} of the given keys that are stored."""

    async def get_essay(self, key: str) -> EssayRow | None: ...

    async def get_essay_by_id(self, essay_id: int) -> EssayRow | None: ...

    async def find_essay(self, key_or_url: str) -> EssayRow | None:
        """An essay by key, or by URL (as given, or normalised by the caller)."""

    async def find_visible_essay(self, key_or_url: str, *, guild_id: GuildScope) -> EssayRow | None:
        """An essay the server may see, by key or URL."""

    async def get_visible_essay(self, essay_id: int, *, guild_id: GuildScope) -> EssayRow | None:
        """An essay by id, if the server may see it."""

    async def newest_visible_essays(
        self, *, guild_id: GuildScope, limit: int = 50, feed_id: int | None = None
    ) -> list[EssayRow]:
        """The newest essays the server may see (of one feed, with ``feed_id``)."""

    async def essay_count(self) -> int: ...

    async def list_essays(self, *, limit: int = 50, feed_id: int | None = None) -> list[EssayRow]:
        """The newest essays first."""

    async def load_analysis(self, essay_id: int) -> Analysis: ...

    async def add_feed(self, url: str, *, guild_id: int | None = None, title: str | None = None) -> FeedRow:
        """Add a feed (or return the existing one) and, with a guild, subscribe that server."""

    async def get_feed(self, feed_id: int) -> FeedRow | None: ...

    async def get_feed_by_url(self, url: str) -> FeedRow | None: ...

    async def list_feeds(self, *, guild_id: int | None = None) -> list[FeedRow]:
        """Every feed, or the feeds a server follows (``paused`` then says whether that server paused it)."""

    async def first_posts_owed(
        self, *, guild_id: int | None = None, feed_id: int | None = None
    ) -> list[tuple[int, int]]:
        """(server, feed) follows still owed their first posts, not paused, of one server or feed or all."""

    async def first_posts_done(self, guild_id: int, feed_id: int) -> None: ...

    async def remove_feed(self, feed_id: int, *, guild_id: int | None = None) -> bool:
        """Unsubscribe a server, or with no server delete the feed; True if anything changed."""

    async def set_feed_paused(self, feed_id: int, paused: bool, *, guild_id: int | None = None) -> None:
        """Pause or resume a server's follow of a feed; with no server, the feed itself for everyone."""

    async def record_poll_success(
        self,
        feed_id: int,
        *,
        result: str,
        etag: str | None,
        last_modified: str | None,
        title: str | None,
        next_poll_at: datetime,
        primed: bool = True,
    ) -> None: ...

    async def record_poll_failure(self, feed_id: int, *, error: str, next_poll_at: datetime) -> int:
        """Record a failed poll; return the new count of consecutive failures."""

    async def seen_entries(self, feed_id: int, identities: Iterable[str]) -> dict[str, int | None]:
        """Which of ``identities`` the feed has shown before: {identity: its essay id, or None}."""

    async def seen_count(self, feed_id: int) -> int: ...

    async def mark_seen(self, feed_id: int, identity: str, essay_id: int | None) -> None:
        """Remember an entry identity; a later call may fill in an essay id that was missing."""

    async def feed_essay_briefs(self, feed_id: int) -> list[EssayBrief]:
        """Every stored essay of a feed, to recognise entries whose id changed."""

    async def reference_candidates(
        self, references: Sequence[Reference], *, exclude_key: str, window_days: int = 10
    ) -> list[EssayBrief]:
        """Stored essays a reference might point at: same URL, or published near its date."""

    async def unresolved_references_near(
        self, essay_id: int, *, window_days: int = 10
    ) -> dict[str, list[tuple[int, Reference]]]:
        """Other essays' unresolved references that could point at this essay (its URL or date)."""

    async def set_reference_resolution(self, resolutions: Sequence[tuple[int, str]]) -> None:
        """Record (reference row id, resolved essay key) pairs."""

    async def text_neighbours(
        self,
        words: Sequence[str],
        *,
        guild_id: GuildScope,
        before: datetime | None,
        limit: int,
        target_id: int | None = None,
        window: int | None = None,
    ) -> tuple[list[tuple[int, float]], float | None]:
        """Essays holding any of ``words`` (each one word of ``search_words``) in title, body or labels, best
        first by the backend's text ranking, as (essay id, relevance > 0).

        With ``target_id``, that essay is left out of the neighbours but its own relevance is returned beside
        them (None when it does not match), from the same query. With ``window``, only the newest ``window``
        matching essays (of those the server may see, and before ``before``) are ranked: a word in most of a
        large archive costs no more than that many.
        """

    async def label_counts(self, labels: Sequence[str]) -> dict[str, int]:
        """How many essays carry each of ``labels`` (lowercased); absent labels are left out."""

    async def label_neighbours(
        self,
        weights: dict[str, float],
        *,
        guild_id: GuildScope,
        before: datetime | None,
        exclude_id: int | None,
        limit: int,
    ) -> list[int]:
        """Up to ``limit`` essays sharing any of the weighted labels, heaviest shared weight first, then newest first
        (then the later stored, by id), that the server may see, published before ``before`` if given, not
        ``exclude_id``; undated essays last."""

    async def shared_labels(self, essay_ids: Sequence[int], labels: Sequence[str]) -> dict[int, list[str]]:
        """Which of ``labels`` each of ``essay_ids`` carries (essays with none are left out)."""

    async def shared_speakers(self, essay_ids: Sequence[int], speakers: Sequence[str]) -> dict[int, list[str]]:
        """Which of ``speakers`` each of ``essay_ids`` quotes directly (essays with none are left out)."""

    async def quoted_speakers(self, essay_id: int) -> list[str]: ...

    async def resolved_reference_sections(self, essay_id: int) -> list[tuple[str, str, int]]:
        """(resolved key, reference text, 1-based section) for each resolved reference of an essay."""

    async def briefs(self, essay_ids: Sequence[int], *, guild_id: GuildScope) -> dict[int, EssayBrief]:
        """Title, address and date of the given essays that the server may see."""

    async def briefs_by_key(self, keys: Sequence[str], *, guild_id: GuildScope) -> dict[str, EssayBrief]:
        """Title, address and date of the given essays (by key) that the server may see."""

    async def term_statistics(self, terms: Sequence[str]) -> dict[str, StemStatistic]:
        """Each stem's id and how many essays hold it; stems no essay holds are left out."""

    async def term_vectors(self, essay_ids: Sequence[int]) -> dict[int, RelatedVector]:
        """The stored stem counts, their norm and the date of each of ``essay_ids`` that has them."""

    async def stored_terms(self, essay_id: int) -> Terms | None:
        """An essay's stored stem counts and written forms (None if it has none yet)."""

    async def stored_query_terms(self, essay_id: int) -> tuple[Terms, dict[str, StemStatistic]] | None:
        """``stored_terms`` and the ``term_statistics`` of its stems, read together (None if it has none yet)."""

    async def archive_span(self) -> ArchiveSpan:
        """The archive's size, dates and id range: how fast it is written, and where to sample it."""

    async def essays_without_terms(self, *, limit: int) -> list[int]:
        """Essays stored before related terms were kept (migration 0008), to fill in."""

    async def fill_related_terms(self, essay_ids: Sequence[int]) -> int:
        """Compute and store the related terms of essays that lack them; returns how many were written."""

    async def essays_without_neighbours(self, *, limit: int) -> list[int]:
        """Essays with related terms but no neighbour list yet (stored before migration 0012), to fill in."""

    async def neighbour_lists(self, essay_ids: Sequence[int]) -> dict[int, NeighbourList]:
        """The stored neighbour lists of those of ``essay_ids`` that have one: scale, length and worst score."""

    async def neighbours(self, essay_id: int) -> list[int]:
        """The essay's stored neighbours, nearest first."""

    async def shared_neighbours(self, essay_ids: Sequence[int], neighbour_ids: Sequence[int]) -> dict[int, list[int]]:
        """Which of ``neighbour_ids`` each of ``essay_ids`` holds in its list (essays holding none are left out)."""

    async def visible_ids(self, essay_ids: Sequence[int], *, guild_id: GuildScope, before: datetime | None) -> set[int]:
        """Those of ``essay_ids`` that the server may see, published before ``before`` if given."""

    async def earlier_ids(self, before: datetime, *, guild_id: GuildScope, limit: int) -> list[int] | None:
        """Every essay the server may see published before ``before``, oldest first, when the archive holds at
        most ``limit`` essays published before it; None when it holds more (at most ``limit`` + 1 rows read)."""

    async def co_listed(
        self,
        neighbour_ids: Sequence[int],
        *,
        exclude_id: int,
        least: int,
        limit: int,
        guild_id: GuildScope,
        before: datetime | None,
        budget: int | None = None,
    ) -> list[int]:
        """Up to ``limit`` essays (not ``exclude_id``) whose neighbour lists hold at least ``least`` of
        ``neighbour_ids``, most shared first, that the server may see, published before ``before`` if given.

        With a ``budget``, at most that many list rows are read: the neighbours held by fewest lists
        first (``bot.store.budget.rarest_within``); a post listed by nearly every other says little.
        """

    async def nearest_in_time(self, essay_id: int, *, limit: int) -> list[int]:
        """Up to ``limit`` essays published just before the essay and as many just after (none if undated)."""

    async def stale_neighbour_lists(self, *, archive: int, below: int, limit: int) -> list[int]:
        """Essays whose neighbour list was made when the archive held fewer than ``below`` essays and at most
        half of ``archive``, oldest first.
        """

    async def save_neighbours(
        self,
        essay_id: int,
        scale: float,
        neighbours: dict[int, float],
        joined: dict[int, float],
        *,
        size: int,
        archive: int,
    ) -> None:
        """Replace an essay's neighbour list, and add it to the lists of ``joined`` (essay id -> its score there)."""

    async def save_champions(self, places: Mapping[int, Sequence[tuple[int, int]]]) -> None:
        """Replace each essay's places in its stems' champion lists (essay id -> (stem id, weight in millionths)),
        in one transaction. Nothing is written for an essay without a neighbour list (its places go with the list).
        """

    async def stem_document_counts(self, stem_ids: Sequence[int]) -> dict[int, int]:
        """How many essays hold each of ``stem_ids`` (stems no essay holds are left out)."""

    async def essays_without_champions(self, *, after: int, limit: int) -> list[int]:
        """Essays with a neighbour list but no champion rows, ids above ``after`` ascending (stored before
        the champion lists were kept, to fill in)."""

    async def stem_champions(
        self, stem_ids: Sequence[int], *, guild_id: GuildScope, before: datetime | None, limit: int
    ) -> dict[int, list[tuple[int, int]]]:
        """Each stem's first ``limit`` essays by weight that the server may see and that were published before
        ``before``, as (essay id, weight in millionths), heaviest first; stems without any are left out."""

    async def all_essay_ids(self) -> list[int]: ...

    # ----------------------------------------------------- quotes, figures, autocomplete

    async def search_quotes(
        self,
        query: str | None = None,
        *,
        guild_id: GuildScope,
        speaker: str | None = None,
        essay_key: str | None = None,
        kinds: Sequence[QuoteKind] = ("direct", "epigraph", "notable"),
        limit: int = 10,
    ) -> list[tuple[Quote, EssayRef]]:
        """Quotes the server may see matching words of ``query`` (best first), or the highest-scored ones."""

    async def quote_pool(
        self,
        *,
        guild_id: GuildScope,
        speaker: str | None = None,
        essay_key: str | None = None,
        posted_only: bool = False,
        limit: int = 60,
        rng: random.Random | None = None,
    ) -> list[tuple[Quote, EssayRef]]:
        """Candidates for a random quote: attributed quotations and notable sentences of a readable length."""

    async def search_figures(
        self,
        query: str | None = None,
        *,
        guild_id: GuildScope,
        essay_key: str | None = None,
        kind: FigureKind | None = None,
        limit: int = 10,
        sentences: bool = True,
    ) -> list[tuple[Figure, EssayRef]]:
        """Figures the server may see matching words of ``query`` (best first), or the newest essays' figures;
        without their sentences (``context``) unless ``sentences`` (``figure_sentences`` reads them later)."""

    async def figure_sentences(self, figure_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
        """The figures' text and the sentence each was cited in, by figure id, as stored now (a figure its
        essay's revision removed is left out)."""

    async def essay_choices(self, text: str, *, guild_id: GuildScope, limit: int = 25) -> list[EssayChoice]:
        """The server's essays whose title starts with ``text``, then those containing it; the newest when empty."""

    async def essays_titled(self, title: str, *, guild_id: GuildScope, limit: int = 2) -> list[EssayChoice]:
        """The server's essays whose title is exactly ``title`` (case-insensitive), for a title typed in full."""

    async def speaker_choices(
        self, text: str, *, guild_id: GuildScope, essay_id: int | None = None, limit: int = 25
    ) -> list[str]:
        """Speakers quoted in the server's essays starting with ``text``, then containing it, most quoted first."""

    async def section_titles(self, essay_ids: Sequence[int]) -> dict[tuple[int, int], str]:
        """{(essay id, section index): section title} for the given essays."""

    # ------------------------------------- servers, destinations, publications, steps

    async def set_modlog(self, guild_id: int, channel_id: int | None) -> None: ...

    async def get_modlog(self, guild_id: int) -> int | None: ...

    async def set_guild_removed(self, guild_id: int, removed: bool) -> None: ...

    async def removed_guilds(self) -> set[int]: ...

    async def guilds_following(self, feed_id: int) -> list[int]: ...

    async def set_destination(
        self,
        *,
        guild_id: int,
        channel_id: int,
        kind: DestinationKind,
        feed_id: int | None = None,
        archive_minutes: int = 10080,
        slowmode: int = 0,
        forum_tags: Sequence[int] = (),
        mention_role_id: int | None = None,
    ) -> DestinationRow:
        """Create or replace the destination for a channel (one per channel)."""

    async def get_destination(self, destination_id: int) -> DestinationRow | None: ...

    async def get_destination_for_channel(self, guild_id: int, channel_id: int) -> DestinationRow | None: ...

    async def list_destinations(self, *, guild_id: int | None = None) -> list[DestinationRow]: ...

    async def remove_destination(self, guild_id: int, channel_id: int) -> bool: ...

    async def stop_destination(self, destination_id: int, reason: str) -> None: ...

    async def resume_destination(self, destination_id: int) -> None:
        """Clear a stop and put its stopped publications back in the queue."""

    async def destinations_for_feed(self, feed_id: int) -> list[DestinationRow]:
        """Destinations of every server following the feed (and not pausing it) whose filter lets it through."""

    async def queue_publication(self, essay_id: int, destination_id: int, revision: int) -> int | None:
        """Queue an essay for a destination once; None when it was already queued or posted."""

    async def requeue_publication(self, publication_id: int, revision: int) -> None:
        """Post again from scratch (a moderator's re-post): forget the old steps."""

    async def get_publication(self, publication_id: int) -> PublicationRow | None: ...

    async def find_publication(self, essay_id: int, destination_id: int) -> PublicationRow | None: ...

    async def pending_publications(self, *, guild_id: int | None = None) -> list[PublicationRow]:
        """Publications still to post, oldest first, for destinations that are not stopped."""

    async def publishable(self, *, stale: bool = False) -> list[tuple[PublicationRow, DestinationRow]]:
        """Work for the publisher: pending publications (or, with ``stale``, finished ones whose
        essay was revised since, whose deferred correction notice is due, or whose correction
        was interrupted), with their destination, oldest first.
        """

    async def mark_publication_revision(
        self, publication_id: int, revision: int, *, snapshot: str | None = None
    ) -> None:
        """The publication now shows ``revision``; ``snapshot`` (JSON) is what it shows, when given."""

    async def finish_publication(self, publication_id: int, *, snapshot: str | None = None) -> None:
        """Mark it posted; ``snapshot`` (JSON) records the analysis it posted, for later corrections."""

    async def publication_snapshot(self, publication_id: int) -> str | None: ...

    async def start_correction(
        self, publication_id: int, revision: int, plan: str, steps: Sequence[PlannedStep]
    ) -> None:
        """Store a correction plan and its steps in one transaction, before any request is sent."""

    async def get_correction(self, publication_id: int) -> tuple[int, str] | None:
        """The stored correction plan in progress: (revision, plan JSON), or None."""

    async def get_correction_steps(self, publication_id: int) -> list[StepRow]:
        """The correction's steps (``section`` is the slot: the section's posted number)."""

    async def mark_correction_step_attempted(self, publication_id: int, seq: int) -> None:
        """Written before the request: after a crash, 'attempted' means the outcome is unknown."""

    async def mark_correction_step_done(
        self, publication_id: int, seq: int, *, channel_id: int | None, message_id: int | None, thread_id: int | None
    ) -> None: ...

    async def finish_correction(
        self,
        publication_id: int,
        revision: int,
        *,
        snapshot: str,
        notice_due_at: datetime | None,
        threads: Sequence[tuple[int, int | None, int]],
    ) -> None:
        """The correction is done: the publication shows ``revision`` as ``snapshot`` says, its
        threads are ``threads`` ((slot, current section or None when removed, thread id)), and
        the plan is dropped. One transaction: a crash leaves the plan to resume, or none.
        """

    async def stop_publication(self, publication_id: int, error: str) -> None: ...

    async def publication_counts(self, *, guild_id: int | None = None) -> dict[str, int]: ...

    async def ensure_steps(self, publication_id: int, steps: Sequence[PlannedStep]) -> list[StepRow]:
        """Record the plan's steps once; a resumed publication keeps the steps (and nonces) it had."""

    async def forget_steps(self, publication_id: int) -> None:
        """Drop a publication's steps before any of them ran (its plan changed before it started)."""

    async def get_steps(self, publication_id: int) -> list[StepRow]: ...

    # ------------------------------------------- work shared between processes (leases)
    #
    # A feed poll or a publication run is claimed by one process (``worker``) until its lease runs out.
    # The owner renews the lease while it works and releases it when done; a process that dies leaves
    # its leases to run out, and the next claim takes the work over, resuming from the recorded steps.

    worker: str
    """This store's owner in the leases it takes (one bot process)."""

    async def claim_due_feeds(self, *, limit: int, lease: timedelta, due_by: datetime | None = None) -> list[FeedRow]:
        """Take up to ``limit`` feeds due for a poll by ``due_by`` (default: now) that no live lease holds,
        oldest due first; a feed paused for everyone is never due. Recording the poll releases it."""

    async def renew_feed_lease(self, feed_id: int, *, lease: timedelta) -> bool:
        """Extend this process's claim on a feed; False when it lost it (ran out, or taken over)."""

    async def release_feed(self, feed_id: int) -> None:
        """Give a claimed feed back without recording a poll."""

    async def claim_publications(
        self,
        *,
        limit: int,
        lease: timedelta,
        shards: Shards | None = None,
        guild_id: int | None = None,
        stale: bool = False,
        after: int = 0,
    ) -> list[tuple[PublicationRow, DestinationRow]]:
        """Take up to ``limit`` publications that no live lease holds, by id from above ``after``: pending
        ones, or with ``stale`` the posted ones ``publishable(stale=True)`` lists. Only destinations not
        stopped, of servers the bot was not removed from; with ``shards`` only servers on those shards,
        with ``guild_id`` only that server's. Finishing, stopping or ``release_publication`` releases one."""

    async def renew_publication_lease(self, publication_id: int, *, lease: timedelta) -> bool:
        """Extend this process's claim before its next step; False when it lost it (send nothing more)."""

    async def release_publication(self, publication_id: int) -> None:
        """Give a claimed publication back (its run ended, finished or not); a lease of another is kept."""

    async def lease_holders(self, publication_ids: Sequence[int]) -> dict[int, str]:
        """Which worker holds each of these publications whose lease has not run out."""

    async def mark_step_attempted(self, publication_id: int, seq: int) -> None:
        """Written before the request: after a crash, 'attempted' means the outcome is unknown."""

    async def mark_step_done(
        self,
        publication_id: int,
        seq: int,
        *,
        channel_id: int | None,
        message_id: int | None,
        thread_id: int | None = None,
    ) -> None: ...

    async def section_threads(self, essay_id: int, *, guild_id: int | None = None) -> list[SectionThread]:
        """The discussion thread of each posted section (forum posts included), by current section."""

    async def section_threads_of(self, essay_ids: Sequence[int], *, guild_id: int | None = None) -> list[SectionThread]:
        """The section threads of several essays in one query (a lookup answer links many)."""

    async def thread_section(self, thread_id: int) -> SectionThread | None:
        """Which essay section a thread discusses, if it is one of the bot's section threads."""

    # ------------------------------------------- messages in section threads, digests

    async def record_thread_message(self, message_id: int, thread_id: int, author_id: int, at: datetime) -> None:
        """Keep one member message of a section thread; the same message twice is kept once."""

    async def forget_thread_messages(self, thread_id: int, message_ids: Sequence[int]) -> int:
        """Un-count deleted messages; return how many were counted."""

    async def section_stats(
        self, essay_id: int, *, guild_id: GuildScope, until: datetime | None = None
    ) -> list[SectionStats]:
        """Per section of an essay: messages in its threads of one server (all, with None), before ``until``."""

    async def forget_thread(self, thread_id: int) -> int:
        """Un-count every message of a deleted thread (Discord sends no deletion per message); how many."""

    async def essay_participants(self, essay_id: int, *, guild_id: GuildScope, until: datetime | None = None) -> int:
        """Distinct members who wrote in any of the essay's section threads (of one server, or all)."""

    async def section_activity(self, essay_id: int, *, guild_id: GuildScope = None) -> dict[int, int]:
        """Messages per section of an essay (sections without any are left out)."""

    async def newest_discussed_essay_id(self, guild_id: int) -> int | None:
        """The newest essay with section threads in one of the server's channels."""

    async def pending_backfills(self, *, after: int = 0, limit: int = 100) -> list[int]:
        """Threads whose history is still to be read, by id, from ``after`` on."""

    async def add_backfilled_messages(self, thread_id: int, messages: Sequence[tuple[int, int, datetime]]) -> None:
        """Keep (message id, author id, time) read from a thread's history; messages deleted since stay out."""

    async def finish_backfill(self, thread_id: int) -> None: ...

    async def essays_posted_between(self, guild_id: int, start: datetime, end: datetime) -> list[PostedEssay]:
        """Essays whose posting in one of the server's channels finished in [start, end), in that order."""

    async def busiest_sections_between(
        self, guild_id: int, start: datetime, end: datetime, *, limit: int
    ) -> list[BusySection]:
        """The server's sections whose threads received the most messages in [start, end)."""

    async def set_digest_schedule(self, guild_id: int, channel_id: int, next_run_at: datetime) -> DigestSchedule:
        """Send the server's weekly digest to ``channel_id``; a run already planned keeps its time."""

    async def remove_digest_schedule(self, guild_id: int) -> bool: ...

    async def digest_schedule(self, guild_id: int) -> DigestSchedule | None: ...

    async def due_digest_schedules(self, now: datetime) -> list[DigestSchedule]: ...

    async def advance_digest_schedule(self, guild_id: int, after: datetime, next_run_at: datetime) -> None:
        """Move the next run on, unless a moderator re-planned it meanwhile (its time is no longer ``after``)."""

    async def open_digest(
        self, guild_id: int, week: str, *, channel_id: int, nonce: str, body: str | None
    ) -> DigestRow:
        """The week's digest record, created with this body and nonce unless it exists already (then kept as is)."""

    async def get_digest(self, guild_id: int, week: str) -> DigestRow | None: ...

    async def mark_digest_attempted(self, guild_id: int, week: str) -> None:
        """Written before each request: 'attempted' means it may have been posted. The first attempt's time stays:
        no message older than it can be the digest's.
        """

    async def finish_digest(
        self, guild_id: int, week: str, *, state: DigestState, message_id: int | None = None, error: str | None = None
    ) -> None: ...

    async def digests_of(self, guild_id: int) -> list[DigestRow]: ...
