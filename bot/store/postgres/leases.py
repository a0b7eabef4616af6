"""Work shared by several processes over one database, safe when one of them dies.

A process claims a due feed poll or a pending publication with a lease: the row names the process
(``worker``) and the time the claim runs out. Claiming takes the rows with ``FOR UPDATE SKIP LOCKED``,
so two processes claiming at once never take the same row and never wait on each other. The owner
renews the lease while it works; finishing the work releases it. A process that dies renews nothing,
its leases run out, and the next claim by any process takes the work over. Lease times are the
database's clock (``now()``), so the processes' clocks need not agree.

Taking over a publication is safe because a publication resumes from its recorded steps: a step
marked 'attempted' is checked against the channel before it is sent again (bot/publishing).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.store.postgres.base import Args, PostgresBase
from bot.store.postgres.feeds import _FEED_COLUMNS, feed_from_row
from bot.store.postgres.publishing import (
    _DESTINATION_COLUMNS,
    _PUBLICATION_COLUMNS,
    destination_from_row,
    publication_from_row,
)
from bot.store.records import DestinationRow, FeedRow, PublicationRow, Shards

logger = logging.getLogger(__name__)

__all__ = ["LeaseQueries", "Shards"]


class LeaseQueries(PostgresBase):
    # ----------------------------------------------------------------- feeds

    async def claim_due_feeds(self, *, limit: int, lease: timedelta, due_by: datetime | None = None) -> list[FeedRow]:
        """Take up to ``limit`` feeds due for a poll that no live process holds, oldest due first.

        A feed is due when its next poll time has come by ``due_by`` (default: the database's clock), or
        it was never polled, and it is not paused for everyone. Recording the poll
        (``record_poll_success`` / ``record_poll_failure``) releases it.
        """
        args = Args(self.worker, lease, due_by)
        rows = await self._all(
            "WITH due AS (SELECT f.id FROM feeds f "
            "WHERE (f.next_poll_at IS NULL OR f.next_poll_at <= COALESCE($3::timestamptz, now())) "
            "AND (f.poll_lease_until IS NULL OR f.poll_lease_until < now()) AND NOT f.paused "
            "AND NOT (EXISTS (SELECT 1 FROM guild_feeds a WHERE a.feed_id = f.id) "
            "AND NOT EXISTS (SELECT 1 FROM guild_feeds a WHERE a.feed_id = f.id AND NOT a.paused)) "
            f"ORDER BY f.next_poll_at NULLS FIRST, f.id LIMIT {args(limit)} FOR UPDATE OF f SKIP LOCKED) "
            "UPDATE feeds SET poll_owner = $1, poll_lease_until = now() + $2::interval FROM due "
            "WHERE feeds.id = due.id RETURNING feeds.id",
            args.values,
        )
        ids = sorted(int(r["id"]) for r in rows)
        if not ids:
            return []
        claimed = await self._all(
            f"SELECT {_FEED_COLUMNS} FROM feeds f WHERE f.id = ANY($1::bigint[]) "
            "ORDER BY f.next_poll_at NULLS FIRST, f.id",
            (ids,),
        )
        return [feed_from_row(r) for r in claimed]

    async def renew_feed_lease(self, feed_id: int, *, lease: timedelta) -> bool:
        """Extend this process's claim on a feed; False when it lost it (expired and taken over)."""
        value = await self._value(
            "UPDATE feeds SET poll_lease_until = now() + $1::interval WHERE id = $2 AND poll_owner = $3 "
            "AND poll_lease_until >= now() RETURNING true",
            (lease, feed_id, self.worker),
        )
        return bool(value)

    async def release_feed(self, feed_id: int) -> None:
        """Give a claimed feed back without recording a poll (shutting down)."""
        await self._value(
            "UPDATE feeds SET poll_owner = NULL, poll_lease_until = NULL WHERE id = $1 AND poll_owner = $2",
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
        """Take up to ``limit`` publications that no live process holds, by id from above ``after``:
        pending ones, or with ``stale`` the posted ones a correction is due for (``publishable``'s).

        Only destinations that are not stopped, of servers the bot was not removed from, and with
        ``shards`` only servers on those shards (the process that talks to a server posts there), with
        ``guild_id`` only that server's. ``finish_publication``, ``stop_publication`` and
        ``release_publication`` release a publication.
        """
        args = Args(self.worker, lease)
        where = [
            (
                "p.state = 'done' AND (e.revision > p.revision OR p.notice_due_at <= now() "
                "OR EXISTS (SELECT 1 FROM correction_plans c WHERE c.publication_id = p.id))"
            )
            if stale
            else "p.state = 'pending'",
            "d.stopped_reason IS NULL",
            "(p.lease_until IS NULL OR p.lease_until < now())",
            "d.guild_id NOT IN (SELECT guild_id FROM guilds WHERE removed)",
            f"p.id > {args(after)}",
        ]
        if guild_id is not None:
            where.append(f"d.guild_id = {args(guild_id)}")
        if shards is not None:
            where.append(f"((d.guild_id >> 22) % {args(shards.count)}) = ANY({args(list(shards.ids))}::bigint[])")
        rows = await self._all(
            "WITH free AS (SELECT p.id FROM publications p JOIN destinations d ON d.id = p.destination_id "
            f"JOIN essays e ON e.id = p.essay_id WHERE {' AND '.join(where)} "
            f"ORDER BY p.id LIMIT {args(limit)} FOR UPDATE OF p SKIP LOCKED) "
            "UPDATE publications SET lease_owner = $1, lease_until = now() + $2::interval FROM free "
            "WHERE publications.id = free.id RETURNING publications.id",
            args.values,
        )
        ids = sorted(int(r["id"]) for r in rows)
        if not ids:
            return []
        claimed = await self._all(
            f"SELECT {_PUBLICATION_COLUMNS}, {_DESTINATION_COLUMNS} FROM publications p "
            "JOIN destinations d ON d.id = p.destination_id WHERE p.id = ANY($1::bigint[]) ORDER BY p.id",
            (ids,),
        )
        return [(publication_from_row(r), destination_from_row(r, "d_")) for r in claimed]

    async def renew_publication_lease(self, publication_id: int, *, lease: timedelta) -> bool:
        """Extend this process's claim before its next step; False when it lost it (do not send the step)."""
        value = await self._value(
            "UPDATE publications SET lease_until = now() + $1::interval WHERE id = $2 AND lease_owner = $3 "
            "AND lease_until >= now() RETURNING true",
            (lease, publication_id, self.worker),
        )
        return bool(value)

    async def release_publication(self, publication_id: int) -> None:
        """Give a claimed publication back (its run ended, finished or not); a lease of another is kept."""
        await self._value(
            "UPDATE publications SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2",
            (publication_id, self.worker),
        )

    async def lease_holders(self, publication_ids: Sequence[int]) -> dict[int, str]:
        """Which process holds each of the publications whose lease has not run out."""
        rows = await self._all(
            "SELECT id, lease_owner FROM publications WHERE id = ANY($1::bigint[]) AND lease_until >= now()",
            (list(publication_ids),),
        )
        return {int(r["id"]): str(r["lease_owner"]) for r in rows}
