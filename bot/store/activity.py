"""Messages in section threads (who wrote when, never what), their backfill, and the weekly digest's records."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import cast

from bot.store.base import StoreBase, from_iso, to_iso, utcnow
from bot.store.records import BusySection, DigestRow, DigestSchedule, DigestState, PostedEssay, SectionStats
from bot.store.scope import GuildScope

logger = logging.getLogger(__name__)

# The section threads (and forum posts) of an essay's publications, of one server or all.
_SECTION_THREADS = (
    "SELECT DISTINCT s.section AS section, s.thread_id AS thread_id FROM posted_threads s "
    "JOIN publications p ON p.id = s.publication_id JOIN destinations d ON d.id = p.destination_id "
    "WHERE p.essay_id = ? AND s.thread_id IS NOT NULL AND s.section IS NOT NULL"
)


def _digest(row: sqlite3.Row) -> DigestRow:
    return DigestRow(
        guild_id=int(row["guild_id"]),
        week=row["week"],
        channel_id=int(row["channel_id"]),
        nonce=row["nonce"],
        body=row["body"],
        state=cast(DigestState, row["state"]),
        attempted_at=from_iso(row["attempted_at"]),
        message_id=row["message_id"],
        error=row["error"],
    )


def _schedule(row: sqlite3.Row) -> DigestSchedule:
    return DigestSchedule(
        guild_id=int(row["guild_id"]),
        channel_id=int(row["channel_id"]),
        next_run_at=cast(datetime, from_iso(row["next_run_at"])),
    )


class ActivityQueries(StoreBase):
    # --------------------------------------------------------------- messages

    async def record_thread_message(self, message_id: int, thread_id: int, author_id: int, at: datetime) -> None:
        """Keep one member message of a section thread; the same message twice is kept once."""
        async with self.transaction() as db:
            await db.execute(
                "INSERT OR IGNORE INTO thread_messages(message_id, thread_id, author_id, created_at) "
                "VALUES (?, ?, ?, ?)",
                (message_id, thread_id, author_id, to_iso(at)),
            )

    async def forget_thread_messages(self, thread_id: int, message_ids: Sequence[int]) -> int:
        """Un-count deleted messages; return how many were counted."""
        if not message_ids:
            return 0
        marks = ",".join("?" * len(message_ids))
        async with self.transaction() as db:
            cursor = await db.execute(f"DELETE FROM thread_messages WHERE message_id IN ({marks})", list(message_ids))
            removed = int(cursor.rowcount)
            # A thread still waiting for its backfill may read these from a page fetched before the deletion.
            await db.executemany(
                "INSERT OR IGNORE INTO thread_message_tombstones(message_id, thread_id) "
                "SELECT ?, thread_id FROM thread_backfill WHERE thread_id = ? AND done_at IS NULL",
                [(message_id, thread_id) for message_id in message_ids],
            )
        return removed

    async def section_stats(
        self, essay_id: int, *, guild_id: GuildScope, until: datetime | None = None
    ) -> list[SectionStats]:
        """Per section of an essay: messages in its threads of one server (all, with None), before ``until``.

        Two channels of a server holding the same essay add up; a member writing in both counts once.
        """
        threads_sql, params = self._threads_of(essay_id, guild_id)
        time_sql = ""
        if until is not None:
            time_sql = "WHERE m.created_at < ? "
            params.append(to_iso(until))
        rows = await self._all(
            "SELECT t.section AS section, count(m.message_id) AS messages, "
            "count(DISTINCT m.author_id) AS participants, max(m.created_at) AS last_at "
            f"FROM ({threads_sql}) t JOIN thread_messages m ON m.thread_id = t.thread_id {time_sql}"
            "GROUP BY t.section ORDER BY t.section",
            params,
        )
        return [
            SectionStats(int(r["section"]), int(r["messages"]), int(r["participants"]), from_iso(r["last_at"]))
            for r in rows
        ]

    async def forget_thread(self, thread_id: int) -> int:
        """Un-count every message of a deleted thread (Discord sends no deletion per message); how many."""
        async with self.transaction() as db:
            cursor = await db.execute("DELETE FROM thread_messages WHERE thread_id = ?", (thread_id,))
            await db.execute("DELETE FROM thread_message_tombstones WHERE thread_id = ?", (thread_id,))
            await db.execute(
                "UPDATE thread_backfill SET done_at = ? WHERE thread_id = ? AND done_at IS NULL",
                (to_iso(utcnow()), thread_id),
            )
            return int(cursor.rowcount)

    async def essay_participants(self, essay_id: int, *, guild_id: GuildScope, until: datetime | None = None) -> int:
        """Distinct members who wrote in any of the essay's section threads (of one server, or all)."""
        threads_sql, params = self._threads_of(essay_id, guild_id)
        time_sql = ""
        if until is not None:
            time_sql = "WHERE m.created_at < ?"
            params.append(to_iso(until))
        row = await self._one(
            f"SELECT count(DISTINCT m.author_id) AS n FROM ({threads_sql}) t "
            f"JOIN thread_messages m ON m.thread_id = t.thread_id {time_sql}",
            params,
        )
        return int(row["n"]) if row else 0

    @staticmethod
    def _threads_of(essay_id: int, guild_id: GuildScope) -> tuple[str, list[object]]:
        if guild_id is None:
            return _SECTION_THREADS, [essay_id]
        return _SECTION_THREADS + " AND d.guild_id = ?", [essay_id, guild_id]

    async def section_activity(self, essay_id: int, *, guild_id: GuildScope = None) -> dict[int, int]:
        """Messages per section of an essay (sections without any are left out)."""
        return {s.section: s.messages for s in await self.section_stats(essay_id, guild_id=guild_id)}

    async def newest_discussed_essay_id(self, guild_id: int) -> int | None:
        """The newest essay with section threads in one of the server's channels."""
        row = await self._one(
            "SELECT e.id AS id FROM essays e WHERE e.id IN (SELECT p.essay_id FROM publications p "
            "JOIN destinations d ON d.id = p.destination_id JOIN posted_threads s ON s.publication_id = p.id "
            "WHERE d.guild_id = ? AND s.thread_id IS NOT NULL) "
            "ORDER BY e.published DESC NULLS LAST, e.id DESC LIMIT 1",
            (guild_id,),
        )
        return int(row["id"]) if row else None

    # --------------------------------------------------------------- backfill

    async def pending_backfills(self, *, after: int = 0, limit: int = 100) -> list[int]:
        """Threads whose history is still to be read, by id, from ``after`` on."""
        rows = await self._all(
            "SELECT thread_id FROM thread_backfill WHERE done_at IS NULL AND thread_id > ? ORDER BY thread_id LIMIT ?",
            (after, limit),
        )
        return [int(r["thread_id"]) for r in rows]

    async def add_backfilled_messages(self, thread_id: int, messages: Sequence[tuple[int, int, datetime]]) -> None:
        """Keep (message id, author id, time) read from a thread's history; messages deleted since stay out."""
        async with self.transaction() as db:
            await db.executemany(
                "INSERT OR IGNORE INTO thread_messages(message_id, thread_id, author_id, created_at) "
                "SELECT ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM thread_message_tombstones WHERE message_id = ?)",
                [(mid, thread_id, author, to_iso(at), mid) for mid, author, at in messages],
            )

    async def finish_backfill(self, thread_id: int) -> None:
        async with self.transaction() as db:
            await db.execute(
                "UPDATE thread_backfill SET done_at = ? WHERE thread_id = ?", (to_iso(utcnow()), thread_id)
            )
            await db.execute("DELETE FROM thread_message_tombstones WHERE thread_id = ?", (thread_id,))

    # ----------------------------------------------------------------- digest

    async def essays_posted_between(self, guild_id: int, start: datetime, end: datetime) -> list[PostedEssay]:
        """Essays whose posting in one of the server's channels finished in [start, end), in that order."""
        rows = await self._all(
            "SELECT e.id AS essay_id, e.title AS title, e.url AS url, d.channel_id AS channel_id, "
            "p.finished_at AS finished_at, "
            "(SELECT s.message_id FROM publication_steps s WHERE s.publication_id = p.id AND s.action = 'card' "
            " AND s.state = 'done') AS card_id, "
            "(SELECT s.thread_id FROM publication_steps s WHERE s.publication_id = p.id "
            " AND s.action = 'forum_post' AND s.state = 'done' ORDER BY s.seq LIMIT 1) AS first_post "
            "FROM publications p JOIN destinations d ON d.id = p.destination_id JOIN essays e ON e.id = p.essay_id "
            "WHERE d.guild_id = ? AND p.state = 'done' AND p.finished_at >= ? AND p.finished_at < ? "
            "ORDER BY p.finished_at, p.id",
            (guild_id, to_iso(start), to_iso(end)),
        )
        found: dict[int, PostedEssay] = {}
        for r in rows:
            # One essay in two channels of the server: the first is enough for the digest.
            found.setdefault(
                int(r["essay_id"]),
                PostedEssay(
                    essay_id=int(r["essay_id"]),
                    title=r["title"],
                    url=r["url"],
                    channel_id=int(r["channel_id"]),
                    message_id=r["card_id"],
                    thread_id=r["first_post"],
                    finished_at=cast(datetime, from_iso(r["finished_at"])),
                ),
            )
        return list(found.values())

    async def busiest_sections_between(
        self, guild_id: int, start: datetime, end: datetime, *, limit: int
    ) -> list[BusySection]:
        """The server's sections whose threads received the most messages in [start, end)."""
        rows = await self._all(
            "SELECT p.essay_id AS essay_id, s.section AS section, count(DISTINCT m.message_id) AS messages, "
            "count(DISTINCT m.author_id) AS participants, min(s.thread_id) AS thread_id "
            "FROM thread_messages m JOIN posted_threads s ON s.thread_id = m.thread_id "
            "JOIN publications p ON p.id = s.publication_id JOIN destinations d ON d.id = p.destination_id "
            "WHERE d.guild_id = ? AND m.created_at >= ? AND m.created_at < ? AND s.section IS NOT NULL "
            "GROUP BY p.essay_id, s.section "
            "ORDER BY messages DESC, participants DESC, p.essay_id, s.section LIMIT ?",
            (guild_id, to_iso(start), to_iso(end), limit),
        )
        return [
            BusySection(
                int(r["essay_id"]), int(r["section"]), int(r["messages"]), int(r["participants"]), int(r["thread_id"])
            )
            for r in rows
        ]

    async def set_digest_schedule(self, guild_id: int, channel_id: int, next_run_at: datetime) -> DigestSchedule:
        """Send the server's weekly digest to ``channel_id``; a run already planned keeps its time."""
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO digest_schedules(guild_id, channel_id, next_run_at) VALUES (?, ?, ?) "
                "ON CONFLICT(guild_id) DO UPDATE SET channel_id = excluded.channel_id",
                (guild_id, channel_id, to_iso(next_run_at)),
            )
        found = await self.digest_schedule(guild_id)
        assert found is not None
        return found

    async def remove_digest_schedule(self, guild_id: int) -> bool:
        async with self.transaction() as db:
            cursor = await db.execute("DELETE FROM digest_schedules WHERE guild_id = ?", (guild_id,))
            return bool(cursor.rowcount > 0)

    async def digest_schedule(self, guild_id: int) -> DigestSchedule | None:
        row = await self._one("SELECT * FROM digest_schedules WHERE guild_id = ?", (guild_id,))
        return _schedule(row) if row else None

    async def due_digest_schedules(self, now: datetime) -> list[DigestSchedule]:
        rows = await self._all(
            "SELECT * FROM digest_schedules WHERE next_run_at <= ? ORDER BY next_run_at, guild_id", (to_iso(now),)
        )
        return [_schedule(r) for r in rows]

    async def advance_digest_schedule(self, guild_id: int, after: datetime, next_run_at: datetime) -> None:
        """Move the next run on, unless a moderator re-planned it meanwhile (its time is no longer ``after``)."""
        async with self.transaction() as db:
            await db.execute(
                "UPDATE digest_schedules SET next_run_at = ? WHERE guild_id = ? AND next_run_at <= ?",
                (to_iso(next_run_at), guild_id, to_iso(after)),
            )

    async def open_digest(
        self, guild_id: int, week: str, *, channel_id: int, nonce: str, body: str | None
    ) -> DigestRow:
        """The week's digest record, created with this body and nonce unless it exists already (then kept as is)."""
        state = "pending" if body is not None else "empty"
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO digests(guild_id, week, channel_id, nonce, body, state) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(guild_id, week) DO NOTHING",
                (guild_id, week, channel_id, nonce, body, state),
            )
        found = await self.get_digest(guild_id, week)
        assert found is not None
        return found

    async def get_digest(self, guild_id: int, week: str) -> DigestRow | None:
        row = await self._one("SELECT * FROM digests WHERE guild_id = ? AND week = ?", (guild_id, week))
        return _digest(row) if row else None

    async def mark_digest_attempted(self, guild_id: int, week: str) -> None:
        """Written before each request: 'attempted' means it may have been posted. The first attempt's time stays:
        no message older than it can be the digest's."""
        async with self.transaction() as db:
            await db.execute(
                "UPDATE digests SET state = 'attempted', attempted_at = COALESCE(attempted_at, ?) "
                "WHERE guild_id = ? AND week = ? AND state IN ('pending', 'attempted')",
                (to_iso(utcnow()), guild_id, week),
            )

    async def finish_digest(
        self, guild_id: int, week: str, *, state: DigestState, message_id: int | None = None, error: str | None = None
    ) -> None:
        async with self.transaction() as db:
            await db.execute(
                "UPDATE digests SET state = ?, message_id = ?, error = ? WHERE guild_id = ? AND week = ?",
                (state, message_id, error, guild_id, week),
            )

    async def digests_of(self, guild_id: int) -> list[DigestRow]:
        return [
            _digest(r) for r in await self._all("SELECT * FROM digests WHERE guild_id = ? ORDER BY week", (guild_id,))
        ]
