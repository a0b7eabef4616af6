"""Feeds, the servers that follow them, the entries they showed, and references between essays."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from bot.essays.model import Reference
from bot.store.postgres.base import Args, PostgresBase, Record, now, stamp, utc
from bot.store.postgres.essays import reference_from_row
from bot.store.records import EssayBrief, FeedRow

logger = logging.getLogger(__name__)

# A feed is paused for everyone when paused itself, or when every server following it paused it.
_FEED_COLUMNS = (
    "f.*, (f.paused OR (EXISTS (SELECT 1 FROM guild_feeds a WHERE a.feed_id = f.id) AND NOT EXISTS "
    "(SELECT 1 FROM guild_feeds a WHERE a.feed_id = f.id AND NOT a.paused))) AS paused_for_all"
)


def feed_from_row(row: Record) -> FeedRow:
    return FeedRow(
        id=int(row["id"]),
        url=row["url"],
        title=row["title"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        added_at=cast(datetime, utc(row["added_at"])),
        last_polled_at=utc(row["last_polled_at"]),
        last_ok_at=utc(row["last_ok_at"]),
        last_result=row["last_result"],
        last_error=row["last_error"],
        consecutive_failures=int(row["consecutive_failures"]),
        next_poll_at=utc(row["next_poll_at"]),
        paused=bool(row["paused_for_all"]),
        primed=bool(row["primed"]),
    )


def brief_from_row(row: Record) -> EssayBrief:
    published = utc(row["published"])
    return EssayBrief(
        id=int(row["id"]),
        key=row["key"],
        title=row["title"],
        url=row["url"],
        published=published.date() if published else None,
    )


class FeedQueries(PostgresBase):
    async def add_feed(self, url: str, *, guild_id: int | None = None, title: str | None = None) -> FeedRow:
        """Add a feed (or return the existing one) and, with a guild, subscribe that server."""
        at = now()
        followed = None
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO feeds(url, title, added_at) VALUES ($1, $2, $3) ON CONFLICT (url) DO NOTHING",
                url,
                title,
                at,
            )
            if guild_id is not None:
                followed = await db.fetchval(
                    "INSERT INTO guild_feeds(guild_id, feed_id, added_at, welcome_pending) "
                    "SELECT $1, id, $2, true FROM feeds WHERE url = $3 ON CONFLICT DO NOTHING RETURNING feed_id",
                    guild_id,
                    at,
                    url,
                )
        if followed is not None and await self._value(
            "SELECT EXISTS (SELECT 1 FROM essays WHERE feed_id = $1)", (followed,)
        ):
            # The follow gave the server every essay of the feed at once (guild_essays, by trigger). Until autovacuum
            # analyzes the table, the planner counts the rows before it and reads thousands for a page: /figures by
            # kind took 440 ms right after a server followed a 10,000-essay feed, 2 ms once analyzed.
            await self._value("ANALYZE guild_essays")
        feed = await self.get_feed_by_url(url)
        assert feed is not None
        return feed

    async def get_feed(self, feed_id: int) -> FeedRow | None:
        row = await self._one(f"SELECT {_FEED_COLUMNS} FROM feeds f WHERE f.id = $1", (feed_id,))
        return feed_from_row(row) if row else None

    async def get_feed_by_url(self, url: str) -> FeedRow | None:
        row = await self._one(f"SELECT {_FEED_COLUMNS} FROM feeds f WHERE f.url = $1", (url,))
        return feed_from_row(row) if row else None

    async def list_feeds(self, *, guild_id: int | None = None) -> list[FeedRow]:
        """Every feed, or the feeds a server follows (``paused`` then says whether that server paused it)."""
        if guild_id is None:
            rows = await self._all(f"SELECT {_FEED_COLUMNS} FROM feeds f ORDER BY f.id")
        else:
            rows = await self._all(
                "SELECT f.*, (f.paused OR g.paused) AS paused_for_all FROM feeds f "
                "JOIN guild_feeds g ON g.feed_id = f.id WHERE g.guild_id = $1 ORDER BY f.id",
                (guild_id,),
            )
        return [feed_from_row(r) for r in rows]

    async def guilds_following(self, feed_id: int) -> list[int]:
        rows = await self._all("SELECT guild_id FROM guild_feeds WHERE feed_id = $1 ORDER BY guild_id", (feed_id,))
        return [int(r["guild_id"]) for r in rows]

    async def first_posts_owed(
        self, *, guild_id: int | None = None, feed_id: int | None = None
    ) -> list[tuple[int, int]]:
        """(server, feed) follows still owed their first posts, not paused, of one server or feed or all."""
        args = Args()
        where = ["welcome_pending", "NOT paused"]
        if guild_id is not None:
            where.append(f"guild_id = {args(guild_id)}")
        if feed_id is not None:
            where.append(f"feed_id = {args(feed_id)}")
        rows = await self._all(
            f"SELECT guild_id, feed_id FROM guild_feeds WHERE {' AND '.join(where)} ORDER BY guild_id, feed_id",
            args.values,
        )
        return [(int(r["guild_id"]), int(r["feed_id"])) for r in rows]

    async def first_posts_done(self, guild_id: int, feed_id: int) -> None:
        async with self.transaction() as db:
            await db.execute(
                "UPDATE guild_feeds SET welcome_pending = false WHERE guild_id = $1 AND feed_id = $2", guild_id, feed_id
            )

    async def remove_feed(self, feed_id: int, *, guild_id: int | None = None) -> bool:
        """Unsubscribe a server, or with no server delete the feed; True if anything changed.

        A feed no server follows any more is deleted; its essays stay, with their feed link cleared.
        """
        async with self.transaction() as db:
            if guild_id is not None:
                removed = await db.fetchval(
                    "DELETE FROM guild_feeds WHERE guild_id = $1 AND feed_id = $2 RETURNING true", guild_id, feed_id
                )
                await db.execute(
                    "DELETE FROM feeds WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM guild_feeds WHERE feed_id = $1)",
                    feed_id,
                )
                return bool(removed)
            return bool(await db.fetchval("DELETE FROM feeds WHERE id = $1 RETURNING true", feed_id))

    async def set_feed_paused(self, feed_id: int, paused: bool, *, guild_id: int | None = None) -> None:
        """Pause or resume a server's follow of a feed; with no server, the feed itself for everyone."""
        async with self.transaction() as db:
            if guild_id is None:
                await db.execute("UPDATE feeds SET paused = $1 WHERE id = $2", paused, feed_id)
            else:
                await db.execute(
                    "UPDATE guild_feeds SET paused = $1 WHERE guild_id = $2 AND feed_id = $3", paused, guild_id, feed_id
                )

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
    ) -> None:
        at = now()
        async with self.transaction() as db:
            await db.execute(
                "UPDATE feeds SET last_polled_at = $1, last_ok_at = $1, last_result = $2, last_error = NULL, "
                "consecutive_failures = 0, etag = $3, last_modified = $4, title = COALESCE($5, title), "
                "next_poll_at = $6, primed = primed OR $7, poll_owner = NULL, poll_lease_until = NULL WHERE id = $8",
                at,
                result,
                etag,
                last_modified,
                title,
                stamp(next_poll_at),
                primed,
                feed_id,
            )

    async def record_poll_failure(self, feed_id: int, *, error: str, next_poll_at: datetime) -> int:
        """Record a failed poll; return the new count of consecutive failures."""
        async with self.transaction() as db:
            failures = await db.fetchval(
                "UPDATE feeds SET last_polled_at = $1, last_result = 'error', last_error = $2, "
                "consecutive_failures = consecutive_failures + 1, next_poll_at = $3, poll_owner = NULL, "
                "poll_lease_until = NULL WHERE id = $4 "
                "RETURNING consecutive_failures",
                now(),
                error,
                stamp(next_poll_at),
                feed_id,
            )
        return int(failures) if failures is not None else 0

    async def seen_entries(self, feed_id: int, identities: Iterable[str]) -> dict[str, int | None]:
        """Which of ``identities`` the feed has shown before: {identity: its essay id, or None}."""
        rows = await self._all(
            "SELECT identity, essay_id FROM feed_entries WHERE feed_id = $1 AND identity = ANY($2::text[])",
            (feed_id, list(identities)),
        )
        return {r["identity"]: r["essay_id"] for r in rows}

    async def seen_count(self, feed_id: int) -> int:
        return int(await self._value("SELECT count(*) FROM feed_entries WHERE feed_id = $1", (feed_id,)))

    async def mark_seen(self, feed_id: int, identity: str, essay_id: int | None) -> None:
        """Remember an entry identity; a later call may fill in an essay id that was missing."""
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO feed_entries(feed_id, identity, essay_id, first_seen) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT (feed_id, identity) DO UPDATE "
                "SET essay_id = COALESCE(feed_entries.essay_id, excluded.essay_id)",
                feed_id,
                identity,
                essay_id,
                now(),
            )

    async def feed_essay_briefs(self, feed_id: int) -> list[EssayBrief]:
        """Every stored essay of a feed, to recognise entries whose id changed."""
        rows = await self._all(
            "SELECT id, key, title, url, published FROM essays WHERE feed_id = $1 ORDER BY id", (feed_id,)
        )
        return [brief_from_row(r) for r in rows]

    # ------------------------------------------------------------- references

    async def reference_candidates(
        self, references: Sequence[Reference], *, exclude_key: str, window_days: int = 10
    ) -> list[EssayBrief]:
        """Stored essays a reference might point at: same URL, or published near its date."""
        urls = sorted({r.url for r in references if r.url})
        days = sorted({r.date for r in references if r.date})
        found: dict[int, EssayBrief] = {}
        if urls:
            for row in await self._all(
                "SELECT id, key, title, url, published FROM essays WHERE url = ANY($1::text[]) AND key != $2",
                (urls, exclude_key),
            ):
                found[int(row["id"])] = brief_from_row(row)
        for day in days:
            # Whole UTC days, as the SQLite store compares ISO text: [day - window, day + window + 1).
            low = day - timedelta(days=window_days)
            high = day + timedelta(days=window_days + 1)
            for row in await self._all(
                "SELECT id, key, title, url, published FROM essays "
                "WHERE published >= $1::date AND published < $2::date AND key != $3",
                (low, high, exclude_key),
            ):
                found[int(row["id"])] = brief_from_row(row)
        return list(found.values())

    async def unresolved_references_near(
        self, essay_id: int, *, window_days: int = 10
    ) -> dict[str, list[tuple[int, Reference]]]:
        """Other essays' unresolved references that could point at this essay (its URL or date)."""
        target = await self._one("SELECT url, published FROM essays WHERE id = $1", (essay_id,))
        if target is None:
            return {}
        published = utc(target["published"])
        low = high = None
        if published is not None:
            low = published.date() - timedelta(days=window_days)
            high = published.date() + timedelta(days=window_days)
        params: list[Any] = [essay_id, target["url"], low, high]
        rows = await self._all(
            "SELECT r.*, e.key AS e_key FROM essay_references r JOIN essays e ON e.id = r.essay_id "
            "WHERE r.resolved_key IS NULL AND r.essay_id != $1 "
            "AND ((r.url IS NOT NULL AND r.url = $2) OR (r.ref_date BETWEEN $3 AND $4))",
            params,
        )
        found: dict[str, list[tuple[int, Reference]]] = {}
        for row in rows:
            found.setdefault(row["e_key"], []).append((int(row["id"]), reference_from_row(row)))
        return found

    async def set_reference_resolution(self, resolutions: Sequence[tuple[int, str]]) -> None:
        """Record (reference row id, resolved essay key) pairs."""
        async with self.transaction() as db:
            await db.executemany(
                "UPDATE essay_references SET resolved_key = $1 WHERE id = $2",
                [(key, ref_id) for ref_id, key in resolutions],
            )
