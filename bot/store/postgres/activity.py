"""Messages in section threads (who wrote when, never what), their backfill, and the weekly digest's records,
in PostgreSQL: the queries of bot/store/activity.py with the same answers."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import cast

from bot.store.postgres.base import Args, PostgresBase, Record, now, stamp, utc
from bot.store.records import BusySection, DigestRow, DigestSchedule, DigestState, PostedEssay, SectionStats
from bot.store.scope import GuildScope

logger = logging.getLogger(__name__)


def _digest(row: Record) -> DigestRow:
    return DigestRow(
        guild_id=int(row["guild_id"]),
        week=row["week"],
        channel_id=int(row["channel_id"]),
        nonce=row["nonce"],
        body=row["body"],
        state=cast(DigestState, row["state"]),
        attempted_at=utc(row["attempted_at"]),
        message_id=row["message_id"],
        error=row["error"],
    )


def _schedule(row: Record) -> DigestSchedule:
    return DigestSchedule(
        guild_id=int(row["guild_id"]),
        channel_id=int(row["channel_id"]),
        next_run_at=cast(datetime, utc(row["next_run_at"])),
    )


def _affected(status: str) -> int:
    """The row count of a command status such as ``DELETE 3``."""
    return int(status.rsplit(" ", 1)[-1])


def _section_threads(essay_id: int, guild_id: GuildScope, args: Args) -> str:
    """The section threads (and forum posts) of an essay's publications, of one server or all."""
    sql = (
        "SELECT DISTINCT s.section AS section, s.thread_id AS thread_id FROM posted_threads s "
        "JOIN publications p ON p.id = s.publication_id JOIN destinations d ON d.id = p.destination_id "
        f"WHERE p.essay_id = {args(essay_id)} AND s.thread_id IS NOT NULL AND s.section IS NOT NULL"
    )
    if guild_id is not None:
        sql += f" AND d.guild_id = {args(guild_id)}"
    return sql


class ActivityQueries(PostgresBase):
    # --------------------------------------------------------------- messages

    async def record_thread_message(self, message_id: int, thread_id: int, author_id: int, at: datetime) -> None:
        """Keep one member message of a section thread; the same message twice is kept once."""
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO thread_messages(message_id, thread_id, author_id, created_at) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT (message_id) DO NOTHING",
                message_id,
                thread_id,
                author_id,
                stamp(at),
            )

    async def forget_thread_messages(self, thread_id: int, message_ids: Sequence[int]) -> int:
        """Un-count deleted messages; return how many were counted."""
        if not message_ids:
            return 0
        ids = list(message_ids)
        async with self.transaction() as db:
            removed = _affected(await db.execute("DELETE FROM thread_messages WHERE message_id = ANY($1)", ids))
            # A thread still waiting for its backfill may read these from a page fetched before the deletion.
            await db.execute(
                "INSERT INTO thread_message_tombstones(message_id, thread_id) "
                "SELECT m, b.thread_id FROM unnest($1::bigint[]) AS m, thread_backfill b "
                "WHERE b.thread_id = $2 AND b.done_at IS NULL ON CONFLICT (message_id) DO NOTHING",
                ids,
                thread_id,
            )
        return removed

    async def section_stats(
        self, essay_id: int, *, guild_id: GuildScope, until: datetime | None = None
    ) -> list[SectionStats]:
        """Per section of an essay: messages in its threads of one server (all, with None), before ``until``.

        Two channels of a server holding the same essay add up; a member writing in both counts once.
        """
        args = Args()
        threads = _section_threads(essay_id, guild_id, args)
        time_sql = f"WHERE m.created_at < {args(stamp(until))} " if until is not None else ""
        rows = await self._all(
            "SELECT t.section AS section, count(m.message_id) AS messages, "
            "count(DISTINCT m.author_id) AS participants, max(m.created_at) AS last_at "
            f"FROM ({threads}) t JOIN thread_messages m ON m.thread_id = t.thread_id {time_sql}"
            "GROUP BY t.section ORDER BY t.section",
            args.values,
        )
        return [
            SectionStats(int(r["section"]), int(r["messages"]), int(r["participants"]), utc(r["last_at"])) for r in rows
        ]

    async def forget_thread(self, thread_id: int) -> int:
        """Un-count every message of a deleted thread (Discord sends no deletion per message); how many."""
        async with self.transaction() as db:
            removed = _affected(await db.execute("DELETE FROM thread_messages WHERE thread_id = $1", thread_id))
            await db.execute("DELETE FROM thread_message_tombstones WHERE thread_id = $1", thread_id)
            await db.execute(
                "UPDATE thread_backfill SET done_at = $1 WHERE thread_id = $2 AND done_at IS NULL", now(), thread_id
            )
            return removed

    async def essay_participants(self, essay_id: int, *, guild_id: GuildScope, until: datetime | None = None) -> int:
        """Distinct members who wrote in any of the essay's section threads (of one server, or all)."""
        args = Args()
        threads = _section_threads(essay_id, guild_id, args)
        time_sql = f"WHERE m.created_at < {args(stamp(until))}" if until is not None else ""
        value = await self._value(
            f"SELECT count(DISTINCT m.author_id) FROM ({threads}) t "
            f"JOIN thread_messages m ON m.thread_id = t.thread_id {time_sql}",
            args.values,
        )
        return int(value or 0)

    async def section_activity(self, essay_id: int, *, guild_id: GuildScope = None) -> dict[int, int]:
        """Messages per section of an essay (sections without any are left out)."""
        return {s.section: s.messages for s in await self.section_stats(essay_id, guild_id=guild_id)}

    async def newest_discussed_essay_id(self, guild_id: int) -> int | None:
        """The newest essay with section threads in one of the server's channels."""
        value = await self._value(
            "SELECT e.id FROM essays e WHERE e.id IN (SELECT p.essay_id FROM publications p "
            "JOIN destinations d ON d.id = p.destination_id JOIN posted_threads s ON s.publication_id = p.id "
            "WHERE d.guild_id = $1 AND s.thread_id IS NOT NULL) "
            "ORDER BY e.published DESC NULLS LAST, e.id DESC LIMIT 1",
            (guild_id,),
        )
        return int(value) if value is not None else None

    # --------------------------------------------------------------- backfill

    async def pending_backfills(self, *, after: int = 0, limit: int = 100) -> list[int]:
        """Threads whose history is still to be read, by id, from ``after`` on."""
        rows = await self._all(
            "SELECT thread_id FROM thread_backfill WHERE done_at IS NULL AND thread_id > $1 "
            "ORDER BY thread_id LIMIT $2",
            (after, limit),
        )
        return [int(r["thread_id"]) for r in rows]

    async def add_backfilled_messages(self, thread_id: int, messages: Sequence[tuple[int, int, datetime]]) -> None:
        """Keep (message id, author id, time) read from a thread's history; messages deleted since stay out."""
        if not messages:
            return
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO thread_messages(message_id, thread_id, author_id, created_at) "
                "SELECT m.id, $1, m.author, m.at FROM unnest($2::bigint[], $3::bigint[], $4::timestamptz[]) "
                "AS m(id, author, at) "
                "WHERE NOT EXISTS (SELECT 1 FROM thread_message_tombstones t WHERE t.message_id = m.id) "
                "ON CONFLICT (message_id) DO NOTHING",
                thread_id,
                [mid for mid, _, _ in messages],
                [author for _, author, _ in messages],
                [stamp(at) for _, _, at in messages],
            )

    async def finish_backfill(self, thread_id: int) -> None:
        async with self.transaction() as db:
            await db.execute("UPDATE thread_backfill SET done_at = $1 WHERE thread_id = $2", now(), thread_id)
            await db.execute("DELETE FROM thread_message_tombstones WHERE thread_id = $1", thread_id)

    # ----------------------------------------------------------------- digest

    async def essays_posted_between(self, guild_id: int, start: datetime, end: datetime) -> list[PostedEssay]:
        """Essays whose posting in one of the server's channels finished in [start, end), in that order."""
        rows = await self._all(
            "SELECT e.id AS essay_id, e.title AS title, e.url AS url, d.channel_id AS channel_id, "
            "p.finished_at AS finished_at, "
            "(SELECT s.message_id FROM publication_steps s WHERE s.publication_id = p.id AND s.action = 'card' "
            " AND s.state = 'done' ORDER BY s.seq LIMIT 1) AS card_id, "
            "(SELECT s.thread_id FROM publication_steps s WHERE s.publication_id = p.id "
            " AND s.action = 'forum_post' AND s.state = 'done' ORDER BY s.seq LIMIT 1) AS first_post "
            "FROM publications p JOIN destinations d ON d.id = p.destination_id JOIN essays e ON e.id = p.essay_id "
            "WHERE d.guild_id = $1 AND p.state = 'done' AND p.finished_at >= $2 AND p.finished_at < $3 "
            "ORDER BY p.finished_at, p.id",
            (guild_id, stamp(start), stamp(end)),
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
                    finished_at=cast(datetime, utc(r["finished_at"])),
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
            "WHERE d.guild_id = $1 AND m.created_at >= $2 AND m.created_at < $3 AND s.section IS NOT NULL "
            "GROUP BY p.essay_id, s.section "
            "ORDER BY messages DESC, participants DESC, p.essay_id, s.section LIMIT $4",
            (guild_id, stamp(start), stamp(end), limit),
        )
        return [
            BusySection(
                int(r["essay_id"]), int(r["section"]), int(r["messages"]), int(r["participants"]), int(r["thread_id"])
            )
            for r in rows
        ]

    async def set_digest_schedule(self, guild_id: int, channel_id: int, next_run_at: datetime) -> DigestSchedule:
        """Send the server's weekly digest to ``channel_id``; a run already planned keeps its time."""
        row = await self._one(
            "INSERT INTO digest_schedules(guild_id, channel_id, next_run_at) VALUES ($1, $2, $3) "
            "ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id RETURNING *",
            (guild_id, channel_id, stamp(next_run_at)),
        )
        assert row is not None  # an upsert with RETURNING always returns its row
        return _schedule(row)

    async def remove_digest_schedule(self, guild_id: int) -> bool:
        value = await self._value("DELETE FROM digest_schedules WHERE guild_id = $1 RETURNING true", (guild_id,))
        return bool(value)

    async def digest_schedule(self, guild_id: int) -> DigestSchedule | None:
        row = await self._one("SELECT * FROM digest_schedules WHERE guild_id = $1", (guild_id,))
        return _schedule(row) if row else None

    async def due_digest_schedules(self, now: datetime) -> list[DigestSchedule]:
        rows = await self._all(
            "SELECT * FROM digest_schedules WHERE next_run_at <= $1 ORDER BY next_run_at, guild_id", (stamp(now),)
        )
        return [_schedule(r) for r in rows]

    async def advance_digest_schedule(self, guild_id: int, after: datetime, next_run_at: datetime) -> None:
        """Move the next run on, unless a moderator re-planned it meanwhile (its time is no longer ``after``)."""
        async with self.transaction() as db:
            await db.execute(
                "UPDATE digest_schedules SET next_run_at = $1 WHERE guild_id = $2 AND next_run_at <= $3",
                stamp(next_run_at),
                guild_id,
                stamp(after),
            )

    async def open_digest(
        self, guild_id: int, week: str, *, channel_id: int, nonce: str, body: str | None
    ) -> DigestRow:
        """The week's digest record, created with this body and nonce unless it exists already (then kept as is)."""
        state = "pending" if body is not None else "empty"
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO digests(guild_id, week, channel_id, nonce, body, state) VALUES ($1, $2, $3, $4, $5, $6) "
                "ON CONFLICT (guild_id, week) DO NOTHING",
                guild_id,
                week,
                channel_id,
                nonce,
                body,
                state,
            )
            row = await db.fetchrow("SELECT * FROM digests WHERE guild_id = $1 AND week = $2", guild_id, week)
        assert row is not None  # inserted or already there, in this transaction
        return _digest(row)

    async def get_digest(self, guild_id: int, week: str) -> DigestRow | None:
        row = await self._one("SELECT * FROM digests WHERE guild_id = $1 AND week = $2", (guild_id, week))
        return _digest(row) if row else None

    async def mark_digest_attempted(self, guild_id: int, week: str) -> None:
        """Written before each request: 'attempted' means it may have been posted. The first attempt's time stays:
        no message older than it can be the digest's."""
        async with self.transaction() as db:
            await db.execute(
                "UPDATE digests SET state = 'attempted', attempted_at = COALESCE(attempted_at, $1) "
                "WHERE guild_id = $2 AND week = $3 AND state IN ('pending', 'attempted')",
                now(),
                guild_id,
                week,
            )

    async def finish_digest(
        self, guild_id: int, week: str, *, state: DigestState, message_id: int | None = None, error: str | None = None
    ) -> None:
        async with self.transaction() as db:
            await db.execute(
                "UPDATE digests SET state = $1, message_id = $2, error = $3 WHERE guild_id = $4 AND week = $5",
                state,
                message_id,
                error,
                guild_id,
                week,
            )

    async def digests_of(self, guild_id: int) -> list[DigestRow]:
        rows = await self._all("SELECT * FROM digests WHERE guild_id = $1 ORDER BY week", (guild_id,))
        return [_digest(r) for r in rows]
