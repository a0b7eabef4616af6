"""Servers, destinations, publication plans and their steps, and section threads."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from bot.store.base import StoreBase, from_iso, to_iso, utcnow
from bot.store.lists import id_list, in_list
from bot.store.records import (
    DestinationKind,
    DestinationRow,
    PlannedStep,
    PublicationRow,
    PublicationState,
    SectionThread,
    StepRow,
    StepState,
)

logger = logging.getLogger(__name__)


def _destination(row: sqlite3.Row) -> DestinationRow:
    return DestinationRow(
        id=int(row["id"]),
        guild_id=int(row["guild_id"]),
        channel_id=int(row["channel_id"]),
        kind=cast(DestinationKind, row["kind"]),
        feed_id=row["feed_id"],
        archive_minutes=int(row["archive_minutes"]),
        slowmode=int(row["slowmode"]),
        forum_tags=tuple(int(t) for t in json.loads(row["forum_tags"])),
        mention_role_id=row["mention_role_id"],
        stopped_reason=row["stopped_reason"],
    )


def _publication(row: sqlite3.Row) -> PublicationRow:
    return PublicationRow(
        id=int(row["id"]),
        essay_id=int(row["essay_id"]),
        destination_id=int(row["destination_id"]),
        revision=int(row["revision"]),
        state=cast(PublicationState, row["state"]),
        error=row["error"],
        created_at=cast(datetime, from_iso(row["created_at"])),
        finished_at=from_iso(row["finished_at"]),
    )


def _step(row: sqlite3.Row) -> StepRow:
    return StepRow(
        publication_id=int(row["publication_id"]),
        seq=int(row["seq"]),
        action=row["action"],
        section=row["section"],
        chunk=row["chunk"],
        nonce=row["nonce"],
        state=cast(StepState, row["state"]),
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        thread_id=row["thread_id"],
        attempted_at=from_iso(row["attempted_at"]),
    )


def publication_with_destination(row: sqlite3.Row) -> tuple[PublicationRow, DestinationRow]:
    """A publication row selected with its destination's columns as ``d_*``."""
    destination = DestinationRow(
        id=int(row["d_id"]),
        guild_id=int(row["d_guild_id"]),
        channel_id=int(row["d_channel_id"]),
        kind=cast(DestinationKind, row["d_kind"]),
        feed_id=row["d_feed_id"],
        archive_minutes=int(row["d_archive_minutes"]),
        slowmode=int(row["d_slowmode"]),
        forum_tags=tuple(int(t) for t in json.loads(row["d_forum_tags"])),
        mention_role_id=row["d_mention_role_id"],
        stopped_reason=row["d_stopped_reason"],
    )
    return _publication(row), destination


# A publication with its destination's columns (``publication_with_destination`` reads them).
PUBLICATION_WITH_DESTINATION = (
    "p.*, d.id AS d_id, d.guild_id AS d_guild_id, d.channel_id AS d_channel_id, d.kind AS d_kind, "
    "d.feed_id AS d_feed_id, d.archive_minutes AS d_archive_minutes, d.slowmode AS d_slowmode, "
    "d.forum_tags AS d_forum_tags, d.mention_role_id AS d_mention_role_id, d.stopped_reason AS d_stopped_reason"
)


class PublishingQueries(StoreBase):
    # ---------------------------------------------------------------- guilds

    async def set_modlog(self, guild_id: int, channel_id: int | None) -> None:
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO guilds(guild_id, modlog_channel_id) VALUES (?, ?) "
                "ON CONFLICT(guild_id) DO UPDATE SET modlog_channel_id = excluded.modlog_channel_id",
                (guild_id, channel_id),
            )

    async def get_modlog(self, guild_id: int) -> int | None:
        row = await self._one("SELECT modlog_channel_id FROM guilds WHERE guild_id = ?", (guild_id,))
        return int(row["modlog_channel_id"]) if row and row["modlog_channel_id"] else None

    async def set_guild_removed(self, guild_id: int, removed: bool) -> None:
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO guilds(guild_id, removed) VALUES (?, ?) "
                "ON CONFLICT(guild_id) DO UPDATE SET removed = excluded.removed",
                (guild_id, int(removed)),
            )

    async def removed_guilds(self) -> set[int]:
        return {int(r["guild_id"]) for r in await self._all("SELECT guild_id FROM guilds WHERE removed = 1")}

    async def guilds_following(self, feed_id: int) -> list[int]:
        rows = await self._all("SELECT guild_id FROM guild_feeds WHERE feed_id = ? ORDER BY guild_id", (feed_id,))
        return [int(r["guild_id"]) for r in rows]

    # ---------------------------------------------------------- destinations

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
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO destinations(guild_id, channel_id, kind, feed_id, archive_minutes, slowmode, "
                "forum_tags, mention_role_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(guild_id, channel_id) DO UPDATE SET kind = excluded.kind, "
                "feed_id = excluded.feed_id, archive_minutes = excluded.archive_minutes, "
                "slowmode = excluded.slowmode, forum_tags = excluded.forum_tags, "
                "mention_role_id = excluded.mention_role_id, stopped_reason = NULL",
                (
                    guild_id,
                    channel_id,
                    kind,
                    feed_id,
                    archive_minutes,
                    slowmode,
                    json.dumps([int(t) for t in forum_tags]),
                    mention_role_id,
                ),
            )
        found = await self.get_destination_for_channel(guild_id, channel_id)
        assert found is not None
        return found

    async def get_destination(self, destination_id: int) -> DestinationRow | None:
        row = await self._one("SELECT * FROM destinations WHERE id = ?", (destination_id,))
        return _destination(row) if row else None

    async def get_destination_for_channel(self, guild_id: int, channel_id: int) -> DestinationRow | None:
        row = await self._one(
            "SELECT * FROM destinations WHERE guild_id = ? AND channel_id = ?", (guild_id, channel_id)
        )
        return _destination(row) if row else None

    async def list_destinations(self, *, guild_id: int | None = None) -> list[DestinationRow]:
        if guild_id is None:
            rows = await self._all("SELECT * FROM destinations ORDER BY guild_id, id")
        else:
            rows = await self._all("SELECT * FROM destinations WHERE guild_id = ? ORDER BY id", (guild_id,))
        return [_destination(r) for r in rows]

    async def remove_destination(self, guild_id: int, channel_id: int) -> bool:
        async with self.transaction() as db:
            cursor = await db.execute(
                "DELETE FROM destinations WHERE guild_id = ? AND channel_id = ?", (guild_id, channel_id)
            )
            return bool(cursor.rowcount > 0)

    async def stop_destination(self, destination_id: int, reason: str) -> None:
        async with self.transaction() as db:
            await db.execute("UPDATE destinations SET stopped_reason = ? WHERE id = ?", (reason, destination_id))

    async def resume_destination(self, destination_id: int) -> None:
        """Clear a stop and put its stopped publications back in the queue."""
        async with self.transaction() as db:
            await db.execute("UPDATE destinations SET stopped_reason = NULL WHERE id = ?", (destination_id,))
            await db.execute(
                "UPDATE publications SET state = 'pending', error = NULL "
                "WHERE destination_id = ? AND state = 'stopped'",
                (destination_id,),
            )

    async def destinations_for_feed(self, feed_id: int) -> list[DestinationRow]:
        """Destinations of every server following the feed (and not pausing it) whose filter lets it through."""
        rows = await self._all(
            "SELECT d.* FROM destinations d JOIN guild_feeds g ON g.guild_id = d.guild_id "
            "WHERE g.feed_id = ? AND g.paused = 0 AND (d.feed_id IS NULL OR d.feed_id = ?) ORDER BY d.guild_id, d.id",
            (feed_id, feed_id),
        )
        return [_destination(r) for r in rows]

    # ---------------------------------------------------------- publications

    async def queue_publication(self, essay_id: int, destination_id: int, revision: int) -> int | None:
        """Queue an essay for a destination once; None when it was already queued or posted."""
        async with self.transaction() as db:
            cursor = await db.execute(
                "INSERT INTO publications(essay_id, destination_id, revision, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(essay_id, destination_id) DO NOTHING",
                (essay_id, destination_id, revision, to_iso(utcnow())),
            )
            return int(cast(int, cursor.lastrowid)) if cursor.rowcount else None

    async def requeue_publication(self, publication_id: int, revision: int) -> None:
        """Post again from scratch (a moderator's re-post): forget the old steps."""
        async with self.transaction() as db:
            await db.execute("DELETE FROM publication_steps WHERE publication_id = ?", (publication_id,))
            # A correction in progress and the corrected layout belong to the old posts.
            await db.execute("DELETE FROM correction_plans WHERE publication_id = ?", (publication_id,))
            await db.execute("DELETE FROM publication_threads WHERE publication_id = ?", (publication_id,))
            await db.execute(
                "UPDATE publications SET state = 'pending', error = NULL, finished_at = NULL, revision = ?, "
                "posted_snapshot = NULL, notice_due_at = NULL WHERE id = ?",
                (revision, publication_id),
            )

    async def get_publication(self, publication_id: int) -> PublicationRow | None:
        row = await self._one("SELECT * FROM publications WHERE id = ?", (publication_id,))
        return _publication(row) if row else None

    async def find_publication(self, essay_id: int, destination_id: int) -> PublicationRow | None:
        row = await self._one(
            "SELECT * FROM publications WHERE essay_id = ? AND destination_id = ?", (essay_id, destination_id)
        )
        return _publication(row) if row else None

    async def pending_publications(self, *, guild_id: int | None = None) -> list[PublicationRow]:
        """Publications still to post, oldest first, for destinations that are not stopped."""
        sql = (
            "SELECT p.* FROM publications p JOIN destinations d ON d.id = p.destination_id "
            "WHERE p.state = 'pending' AND d.stopped_reason IS NULL "
        )
        params: list[Any] = []
        if guild_id is not None:
            sql += "AND d.guild_id = ? "
            params.append(guild_id)
        rows = await self._all(sql + "ORDER BY p.id", params)
        return [_publication(r) for r in rows]

    async def publishable(self, *, stale: bool = False) -> list[tuple[PublicationRow, DestinationRow]]:
        """Work for the publisher: pending publications (or, with ``stale``, finished ones whose
        essay was revised since, whose deferred correction notice is due, or whose correction
        was interrupted), with their destination, oldest first.

        Stopped destinations and servers the bot was removed from are left out.
        """
        where = (
            "p.state = 'done' AND (e.revision > p.revision OR p.notice_due_at <= ? "
            "OR EXISTS (SELECT 1 FROM correction_plans c WHERE c.publication_id = p.id))"
            if stale
            else "p.state = 'pending'"
        )
        rows = await self._all(
            f"SELECT {PUBLICATION_WITH_DESTINATION} FROM publications p "
            "JOIN destinations d ON d.id = p.destination_id JOIN essays e ON e.id = p.essay_id "
            f"WHERE {where} AND d.stopped_reason IS NULL "
            "AND d.guild_id NOT IN (SELECT guild_id FROM guilds WHERE removed = 1) ORDER BY p.id",
            (to_iso(utcnow()),) if stale else (),
        )
        return [publication_with_destination(row) for row in rows]

    async def mark_publication_revision(
        self, publication_id: int, revision: int, *, snapshot: str | None = None
    ) -> None:
        """The publication now shows ``revision``; ``snapshot`` (JSON) is what it shows, when given."""
        async with self.transaction() as db:
            await db.execute(
                "UPDATE publications SET revision = ?, posted_snapshot = COALESCE(?, posted_snapshot) WHERE id = ?",
                (revision, snapshot, publication_id),
            )

    async def finish_publication(self, publication_id: int, *, snapshot: str | None = None) -> None:
        """Mark it posted (and release its lease); ``snapshot`` (JSON) records the analysis it posted."""
        async with self.transaction() as db:
            await db.execute(
                "UPDATE publications SET state = 'done', error = NULL, finished_at = ?, "
                "posted_snapshot = COALESCE(?, posted_snapshot), lease_owner = NULL, lease_until = NULL WHERE id = ?",
                (to_iso(utcnow()), snapshot, publication_id),
            )

    async def publication_snapshot(self, publication_id: int) -> str | None:
        row = await self._one("SELECT posted_snapshot FROM publications WHERE id = ?", (publication_id,))
        return str(row["posted_snapshot"]) if row and row["posted_snapshot"] is not None else None

    # ----------------------------------------------------------- corrections

    async def start_correction(
        self, publication_id: int, revision: int, plan: str, steps: Sequence[PlannedStep]
    ) -> None:
        """Store a correction plan and its steps in one transaction, before any request is sent."""
        async with self.transaction() as db:
            await db.execute("DELETE FROM correction_plans WHERE publication_id = ?", (publication_id,))
            await db.execute(
                "INSERT INTO correction_plans(publication_id, revision, plan, created_at) VALUES (?, ?, ?, ?)",
                (publication_id, revision, plan, to_iso(utcnow())),
            )
            await db.executemany(
                "INSERT INTO correction_steps(publication_id, seq, action, slot, chunk, nonce) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(publication_id, s.seq, s.action, s.section, s.chunk, s.nonce) for s in steps],
            )

    async def get_correction(self, publication_id: int) -> tuple[int, str] | None:
        """The stored correction plan in progress: (revision, plan JSON), or None."""
        row = await self._one("SELECT revision, plan FROM correction_plans WHERE publication_id = ?", (publication_id,))
        return (int(row["revision"]), str(row["plan"])) if row else None

    async def get_correction_steps(self, publication_id: int) -> list[StepRow]:
        """The correction's steps (``section`` is the slot: the section's posted number)."""
        rows = await self._all(
            "SELECT publication_id, seq, action, slot AS section, chunk, nonce, state, channel_id, message_id, "
            "thread_id, attempted_at FROM correction_steps WHERE publication_id = ? ORDER BY seq",
            (publication_id,),
        )
        return [_step(r) for r in rows]

    async def mark_correction_step_attempted(self, publication_id: int, seq: int) -> None:
        """Written before the request: after a crash, 'attempted' means the outcome is unknown."""
        async with self.transaction() as db:
            await db.execute(
                "UPDATE correction_steps SET state = 'attempted', attempted_at = ? "
                "WHERE publication_id = ? AND seq = ? AND state != 'done'",
                (to_iso(utcnow()), publication_id, seq),
            )

    async def mark_correction_step_done(
        self, publication_id: int, seq: int, *, channel_id: int | None, message_id: int | None, thread_id: int | None
    ) -> None:
        async with self.transaction() as db:
            await db.execute(
                "UPDATE correction_steps SET state = 'done', channel_id = ?, message_id = ?, thread_id = ?, "
                "done_at = ? WHERE publication_id = ? AND seq = ?",
                (channel_id, message_id, thread_id, to_iso(utcnow()), publication_id, seq),
            )

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
        the plan is dropped. One transaction: a crash leaves the plan to resume, or none."""
        async with self.transaction() as db:
            await db.execute(
                "UPDATE publications SET revision = MAX(revision, ?), posted_snapshot = ?, notice_due_at = ? "
                "WHERE id = ?",
                (revision, snapshot, to_iso(notice_due_at), publication_id),
            )
            await db.execute("DELETE FROM publication_threads WHERE publication_id = ?", (publication_id,))
            await db.executemany(
                "INSERT INTO publication_threads(publication_id, slot, section, thread_id) VALUES (?, ?, ?, ?)",
                [(publication_id, slot, section, thread) for slot, section, thread in threads],
            )
            await db.execute("DELETE FROM correction_plans WHERE publication_id = ?", (publication_id,))

    async def stop_publication(self, publication_id: int, error: str) -> None:
        async with self.transaction() as db:
            await db.execute(
                "UPDATE publications SET state = 'stopped', error = ?, lease_owner = NULL, lease_until = NULL "
                "WHERE id = ?",
                (error, publication_id),
            )

    async def publication_counts(self, *, guild_id: int | None = None) -> dict[str, int]:
        sql = "SELECT p.state AS state, count(*) AS n FROM publications p "
        params: list[Any] = []
        if guild_id is not None:
            sql += "JOIN destinations d ON d.id = p.destination_id WHERE d.guild_id = ? "
            params.append(guild_id)
        rows = await self._all(sql + "GROUP BY p.state", params)
        counts = {"pending": 0, "done": 0, "stopped": 0}
        counts.update({r["state"]: int(r["n"]) for r in rows})
        return counts

    # ----------------------------------------------------------------- steps

    async def ensure_steps(self, publication_id: int, steps: Sequence[PlannedStep]) -> list[StepRow]:
        """Record the plan's steps once; a resumed publication keeps the steps (and nonces) it had."""
        async with self.transaction() as db:
            await db.executemany(
                "INSERT INTO publication_steps(publication_id, seq, action, section, chunk, nonce) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(publication_id, s.seq, s.action, s.section, s.chunk, s.nonce) for s in steps],
            )
        return await self.get_steps(publication_id)

    async def forget_steps(self, publication_id: int) -> None:
        """Drop a publication's steps before any of them ran (its plan changed before it started)."""
        async with self.transaction() as db:
            await db.execute(
                "DELETE FROM publication_steps WHERE publication_id = ? "
                "AND NOT EXISTS (SELECT 1 FROM publication_steps WHERE publication_id = ? AND state != 'pending')",
                (publication_id, publication_id),
            )

    async def get_steps(self, publication_id: int) -> list[StepRow]:
        rows = await self._all(
            "SELECT * FROM publication_steps WHERE publication_id = ? ORDER BY seq", (publication_id,)
        )
        return [_step(r) for r in rows]

    async def mark_step_attempted(self, publication_id: int, seq: int) -> None:
        """Written before the request: after a crash, 'attempted' means the outcome is unknown."""
        async with self.transaction() as db:
            await db.execute(
                "UPDATE publication_steps SET state = 'attempted', attempted_at = ? "
                "WHERE publication_id = ? AND seq = ? AND state != 'done'",
                (to_iso(utcnow()), publication_id, seq),
            )

    async def mark_step_done(
        self,
        publication_id: int,
        seq: int,
        *,
        channel_id: int | None,
        message_id: int | None,
        thread_id: int | None = None,
    ) -> None:
        async with self.transaction() as db:
            await db.execute(
                "UPDATE publication_steps SET state = 'done', channel_id = ?, message_id = ?, thread_id = ?, "
                "done_at = ? WHERE publication_id = ? AND seq = ?",
                (channel_id, message_id, thread_id, to_iso(utcnow()), publication_id, seq),
            )

    # --------------------------------------------------------------- threads

    async def section_threads(self, essay_id: int, *, guild_id: int | None = None) -> list[SectionThread]:
        """The discussion thread of each posted section (forum posts included), by current section."""
        return await self.section_threads_of([essay_id], guild_id=guild_id)

    async def section_threads_of(self, essay_ids: Sequence[int], *, guild_id: int | None = None) -> list[SectionThread]:
        """The section threads of several essays in one query (a lookup answer links many)."""
        if not essay_ids:
            return []
        sql = (
            "SELECT p.essay_id AS essay_id, t.section AS section, d.guild_id AS guild_id, "
            "d.channel_id AS channel_id, t.thread_id AS thread_id FROM posted_threads t "
            "JOIN publications p ON p.id = t.publication_id JOIN destinations d ON d.id = p.destination_id "
            f"WHERE {in_list('p.essay_id')} AND t.section IS NOT NULL "
        )
        params: list[Any] = [id_list(sorted(set(essay_ids)))]
        if guild_id is not None:
            sql += "AND d.guild_id = ? "
            params.append(guild_id)
        rows = await self._all(sql + "ORDER BY p.essay_id, d.id, t.section", params)
        return [
            SectionThread(
                essay_id=int(r["essay_id"]),
                section=int(r["section"]),
                guild_id=int(r["guild_id"]),
                channel_id=int(r["channel_id"]),
                thread_id=int(r["thread_id"]),
            )
            for r in rows
        ]

    async def thread_section(self, thread_id: int) -> SectionThread | None:
        """Which essay section a thread discusses, if it is one of the bot's section threads.

        The thread of a section the author removed still belongs to its essay, with section 0
        (no section of the current text).
        """
        row = await self._one(
            "SELECT p.essay_id AS essay_id, COALESCE(t.section, 0) AS section, d.guild_id AS guild_id, "
            "d.channel_id AS channel_id, t.thread_id AS thread_id FROM posted_threads t "
            "JOIN publications p ON p.id = t.publication_id JOIN destinations d ON d.id = p.destination_id "
            "WHERE t.thread_id = ? LIMIT 1",
            (thread_id,),
        )
        if row is None:
            return None
        return SectionThread(
            essay_id=int(row["essay_id"]),
            section=int(row["section"]),
            guild_id=int(row["guild_id"]),
            channel_id=int(row["channel_id"]),
            thread_id=int(row["thread_id"]),
        )
