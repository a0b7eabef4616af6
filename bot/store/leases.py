"""Work claimed with leases on SQLite: the same claims as PostgreSQL's (bot/store/postgres/leases.py).

One SQLite file is one bot process's: SQLite cannot be shared by processes on several machines, and
the bot's process is the only one that polls and publishes (the command line reads, ingests and
backs up, but claims nothing). The leases are still real: a claim is written to the database with
the time it runs out, renewing it fails once it has run out, and a process that dies leaves its
claims to run out. So the poller and the publisher run one code path on both backends, and a bot
restarted after a crash resumes the work its previous run held once that run's leases end.

Claims run in one ``BEGIN IMMEDIATE`` transaction, so two connections (two stores on one file, as
the tests use to stand for two processes) never take the same row. Lease ends are Unix times from
this machine's clock (``time.time()``).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.store.base import StoreBase, to_iso, utcnow
from bot.store.publishing import PUBLICATION_WITH_DESTINATION, publication_with_destination
from bot.store.records import DestinationRow, FeedRow, PublicationRow, Shards

# Work the publisher may run: publications still to post, or (``stale``) posted ones whose essay was
# revised since, whose deferred correction notice is due, or whose correction was interrupted.
_PENDING = "p.state = 'pending'"
_STALE = (
    "p.state = 'done' AND (e.revision > p.revision OR p.notice_due_at <= ? "
    "OR EXISTS (SELECT 1 FROM correction_plans c WHERE c.publication_id = p.id))"
)


def _until(lease: timedelta) -> float:
    return time.time() + lease.total_seconds()


class LeaseQueries(StoreBase):
    if TYPE_CHECKING:
        # SQLiteStore's feed queries (bot/store/store.py), which this mixin's claims return rows of.
        _FEED_COLUMNS: str

        def _feed_from_row(self, row: sqlite3.Row) -> FeedRow: ...

    # ----------------------------------------------------------------- feeds

    async def claim_due_feeds(self, *, limit: int, lease: timedelta, due_by: datetime | None = None) -> list[FeedRow]:
        """Take up to ``limit`` feeds due for a poll by ``due_by`` (now) that no live claim holds, oldest
        due first; a feed paused for everyone is never due. Recording the poll releases it."""
        now = time.time()
        async with self.transaction() as db:
            async with db.execute(
                "SELECT f.id FROM feeds f WHERE (f.next_poll_at IS NULL OR f.next_poll_at <= ?) "
                "AND (f.poll_lease_until IS NULL OR f.poll_lease_until < ?) AND NOT f.paused "
                "AND NOT (EXISTS (SELECT 1 FROM guild_feeds a WHERE a.feed_id = f.id) "
                "AND NOT EXISTS (SELECT 1 FROM guild_feeds a WHERE a.feed_id = f.id AND a.paused = 0)) "
                "ORDER BY f.next_poll_at, f.id LIMIT ?",
                (to_iso(due_by or utcnow()), now, limit),
            ) as cursor:
                ids = [int(row[0]) for row in await cursor.fetchall()]
            if not ids:
                return []
            marks = ",".join("?" * len(ids))
            await db.execute(
                f"UPDATE feeds SET poll_owner = ?, poll_lease_until = ? WHERE id IN ({marks})",
                (self.worker, _until(lease), *ids),
            )
        rows = await self._all(
            f"SELECT {self._FEED_COLUMNS} FROM feeds f WHERE f.id IN ({marks}) ORDER BY f.next_poll_at, f.id", ids
        )
        return [self._feed_from_row(row) for row in rows]

    async def renew_feed_lease(self, feed_id: int, *, lease: timedelta) -> bool:
        """Extend this process's claim on a feed; False when it lost it (ran out, or taken over)."""
        return await self._renew("feeds", "poll_owner", "poll_lease_until", feed_id, lease)

    async def release_feed(self, feed_id: int) -> None:
        """Give a claimed feed back without recording a poll (shutting down)."""
        async with self.transaction() as db:
            await db.execute(
                "UPDATE feeds SET poll_owner = NULL, poll_lease_until = NULL WHERE id = ? AND poll_owner = ?",
                (feed_id, self.worker),
            )

    # ---------------------------------------------------------- publications

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
        """Take up to ``limit`` publications no live claim holds, by id from above ``after``: pending ones
        (or, with ``stale``, the posted ones a correction is due for, as ``publishable`` lists them).

        Only destinations that are not stopped, of servers the bot was not removed from; with ``shards``
        only servers on those shards, with ``guild_id`` only that server's. Finishing or stopping a
        publication releases it; so does ``release_publication``.
        """
        now = time.time()
        where = [
            _STALE if stale else _PENDING,
            "d.stopped_reason IS NULL",
            "(p.lease_until IS NULL OR p.lease_until < ?)",
        ]
        params: list[Any] = [to_iso(utcnow())] if stale else []
        params.append(now)
        where.append("d.guild_id NOT IN (SELECT guild_id FROM guilds WHERE removed = 1)")
        where.append("p.id > ?")
        params.append(after)
        if guild_id is not None:
            where.append("d.guild_id = ?")
            params.append(guild_id)
        if shards is not None:
            where.append(f"((d.guild_id >> 22) % ?) IN ({','.join('?' * len(shards.ids))})")
            params += [shards.count, *shards.ids]
        async with self.transaction() as db:
            async with db.execute(
                "SELECT p.id FROM publications p JOIN destinations d ON d.id = p.destination_id "
                f"JOIN essays e ON e.id = p.essay_id WHERE {' AND '.join(where)} ORDER BY p.id LIMIT ?",
                (*params, limit),
            ) as cursor:
                ids = [int(row[0]) for row in await cursor.fetchall()]
            if not ids:
                return []
            marks = ",".join("?" * len(ids))
            await db.execute(
                f"UPDATE publications SET lease_owner = ?, lease_until = ? WHERE id IN ({marks})",
                (self.worker, _until(lease), *ids),
            )
        rows = await self._all(
            f"SELECT {PUBLICATION_WITH_DESTINATION} FROM publications p JOIN destinations d ON d.id = p.destination_id "
            f"WHERE p.id IN ({marks}) ORDER BY p.id",
            ids,
        )
        return [publication_with_destination(row) for row in rows]

    async def renew_publication_lease(self, publication_id: int, *, lease: timedelta) -> bool:
        """Extend this process's claim before its next step; False when it lost it (do not send the step)."""
        return await self._renew("publications", "lease_owner", "lease_until", publication_id, lease)

    async def release_publication(self, publication_id: int) -> None:
        """Give a claimed publication back (its run ended, finished or not)."""
        async with self.transaction() as db:
            await db.execute(
                "UPDATE publications SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?",
                (publication_id, self.worker),
            )

    async def lease_holders(self, publication_ids: Sequence[int]) -> dict[int, str]:
        """Which worker holds each of the publications whose lease has not run out."""
        ids = list(publication_ids)
        if not ids:
            return {}
        rows = await self._all(
            f"SELECT id, lease_owner FROM publications WHERE id IN ({','.join('?' * len(ids))}) AND lease_until >= ?",
            (*ids, time.time()),
        )
        return {int(row["id"]): str(row["lease_owner"]) for row in rows}

    async def _renew(self, table: str, owner: str, until: str, row_id: int, lease: timedelta) -> bool:
        async with self.transaction() as db:
            cursor = await db.execute(
                f"UPDATE {table} SET {until} = ? WHERE id = ? AND {owner} = ? AND {until} >= ?",
                (_until(lease), row_id, self.worker, time.time()),
            )
            return bool(cursor.rowcount == 1)
