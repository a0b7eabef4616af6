"""``SQLiteStore``, the SQLite backend of the ``Store`` protocol: essays, feeds and related-post queries here,
the rest in the query modules it is made of (lookup, publishing, activity).

All SQL of the project lives in this package. Callers get and give the dataclasses of
``records.py``; rows never leave it.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, cast

from bot.essays.model import (
    Analysis,
    Block,
    BlockKind,
    Essay,
    Figure,
    Reference,
    Section,
)
from bot.essays.terms import Terms, decode_forms, encode_forms, essay_terms
from bot.store.activity import ActivityQueries
from bot.store.base import from_iso, to_iso, utcnow
from bot.store.budget import rarest_within
from bot.store.direct import Connection
from bot.store.leases import LeaseQueries
from bot.store.lists import id_list, in_list, text_list, weight_map
from bot.store.lookup import LookupQueries, figure_from_row, fts_term, quote_from_row, rank_window
from bot.store.packing import pack, pack_sentences, unpack, unpack_sentences
from bot.store.publishing import PublishingQueries
from bot.store.records import (
    ArchiveSpan,
    EssayBrief,
    EssayRow,
    FeedRow,
    IngestOutcome,
    IngestStatus,
    NeighbourList,
    RelatedVector,
    StemStatistic,
)
from bot.store.scope import ALL_SERVERS, GuildScope, visible
from bot.store.vectors import decode_vector, decode_vectors, encode_vector, group_places, places_match

logger = logging.getLogger(__name__)


def _blocks_json(blocks: Sequence[Block]) -> str:
    return json.dumps([[b.kind, b.text] for b in blocks], ensure_ascii=False, separators=(",", ":"))


def _blocks_from_json(raw: bytes | str) -> tuple[Block, ...]:
    return tuple(Block(cast(BlockKind, kind), text) for kind, text in json.loads(unpack(raw)))


def _figure_contexts(figures: Sequence[Figure]) -> tuple[list[str], list[int]]:
    """Each distinct sentence once, in order of first use, and each figure's number in that list."""
    numbers: dict[str, int] = {}
    for figure in figures:
        numbers.setdefault(figure.context, len(numbers))
    return list(numbers), [numbers[figure.context] for figure in figures]


# An essay row with its body: the body lives in its own table so that the essays rows stay narrow.
_ESSAY_SELECT = "SELECT e.*, b.blocks AS blocks FROM essays e JOIN essay_bodies b ON b.essay_id = e.id"
# The related-post text query's ranking: title, body, labels.
_ESSAY_RANK = "bm25(essay_fts, 3.0, 1.0, 2.0)"
# A date that leaves at most this share of the archive's time span is filtered before ranking. Filtering reads
# the essays row of every match and ranks only those that pass; ranking first scores every match, and in the
# archive's older part too few of the best pass, so it ranks again. Reading a row costs about half a BM25 score,
# so the two meet where the date keeps half of the matches (bench/README).
FILTER_FIRST_SHARE = 0.5


def _essay_matches(conditions: str, *, row: bool = True) -> str:
    """Every essay matching the FTS5 query (the first parameter) that passes ``conditions``: on its essays row
    ``e``, or with ``row`` false on the match's ``essay_fts.rowid`` alone (no essays row read per match)."""
    if not conditions:
        return f"SELECT essay_fts.rowid AS id, -{_ESSAY_RANK} AS score FROM essay_fts WHERE essay_fts MATCH ? "
    join = "JOIN essays e ON e.id = essay_fts.rowid " if row else ""
    return (
        f"SELECT essay_fts.rowid AS id, -{_ESSAY_RANK} AS score FROM essay_fts "
        f"{join}WHERE essay_fts MATCH ? AND {conditions}"
    )


def _text_conditions(
    guild_id: GuildScope, before: datetime | None, target_id: int | None, *, row: bool
) -> tuple[str, list[Any]]:
    """The related text query's filter (the server's scope, the date; the target always passes) on the essays
    row ``e``, or with ``row`` false (only without a date) on the match's ``essay_fts.rowid``."""
    if before is not None and not row:
        raise ValueError("the date is on the essays row")
    column = "e.id" if row else "essay_fts.rowid"
    target = target_id if target_id is not None else -1
    scope_sql, params = visible(column, guild_id)
    conditions = f"({scope_sql} OR {column} = ?) "
    params.append(target)
    if before is not None:
        conditions += f"AND (e.published < ? OR {column} = ?) "
        params += [to_iso(before), target]
    return conditions, params


def champions_statement(
    stems: Sequence[int], guild_id: GuildScope, before: datetime | None, limit: int
) -> tuple[str, list[Any]]:
    """The champion lists' read (``stem_champions``): each stem's heaviest ``limit`` rows that pass the scope and
    the date, walked in the primary key's order (one part per stem: SQLite has no lateral join to run one
    subquery per id)."""
    scope_sql, scope_params = visible("c.essay_id", guild_id)
    dated = before is not None
    join = "JOIN essays e ON e.id = c.essay_id " if dated else ""
    date_sql = "AND e.published < ? " if dated else ""
    part = (
        f"SELECT * FROM (SELECT c.stem_id, c.essay_id, c.weight FROM stem_champions c {join}"
        f"WHERE c.stem_id = ? AND {scope_sql} {date_sql}ORDER BY c.weight DESC, c.essay_id DESC LIMIT {int(limit)})"
    )
    each = [*scope_params, *([to_iso(before)] if before is not None else [])]
    params = [value for stem_id in stems for value in (stem_id, *each)]
    return " UNION ALL ".join([part] * len(stems)), params


def _best_first(conditions: str, *, row: bool = True) -> str:
    """``_essay_matches`` ranked, ties by id (parameters: the match, the conditions', the limit)."""
    return f"{_essay_matches(conditions, row=row)}ORDER BY {_ESSAY_RANK}, id LIMIT ?"


class SQLiteStore(LookupQueries, PublishingQueries, ActivityQueries, LeaseQueries):
    """The SQLite implementation of the ``Store`` protocol, over the connections ``StoreBase`` owns."""

    # ------------------------------------------------------------------ state

    async def get_state(self, key: str) -> str | None:
        row = await self._one("SELECT value FROM bot_state WHERE key = ?", (key,))
        return str(row["value"]) if row else None

    async def set_state(self, key: str, value: str) -> None:
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO bot_state(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # ----------------------------------------------------------------- essays

    async def save_essay(self, essay: Essay, analysis: Analysis, *, feed_id: int | None = None) -> IngestOutcome:
        """Store an essay and its analysis; a changed body makes a new revision.

        The whole write is one transaction, so a crash leaves either the old
        revision or the new one, never a mix.
        """
        [outcome] = await self.save_essays([(essay, analysis, feed_id)])
        return outcome

    async def save_essays(self, items: Sequence[tuple[Essay, Analysis, int | None]]) -> list[IngestOutcome]:
        """Store several essays (each with its analysis and feed) in one transaction, in order.

        One commit for a whole batch is what makes a large ingest fast; a crash leaves every
        essay of the batch as it was before, and the next ingest stores them again.
        """
        now = to_iso(utcnow())
        async with self.transaction() as db:
            return [await self._save(db, essay, analysis, feed_id, now) for essay, analysis, feed_id in items]

    async def content_hashes(self, keys: Sequence[str]) -> dict[str, tuple[str, int, int]]:
        """{key: (content hash, essay id, revision)} of the given keys that are stored."""
        wanted = sorted(set(keys))
        found: dict[str, tuple[str, int, int]] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            for row in await self._all(
                f"SELECT key, content_hash, id, revision FROM essays WHERE key IN ({','.join('?' * len(chunk))})",
                chunk,
            ):
                found[row["key"]] = (row["content_hash"], int(row["id"]), int(row["revision"]))
        return found

    async def _save(
        self, db: Connection, essay: Essay, analysis: Analysis, feed_id: int | None, now: str | None
    ) -> IngestOutcome:
        content_hash = essay.content_hash
        # One statement, one hop to the writer's thread (a cursor's execute, fetch and close would be three;
        # inside a batch, none).
        found = await db.execute_fetchall("SELECT id, content_hash, revision FROM essays WHERE key = ?", (essay.key,))
        existing = next(iter(found), None)
        if existing is not None and existing[1] == content_hash:
            return IngestOutcome("unchanged", int(existing[0]), essay.key, int(existing[2]))
        values = (
            essay.source,
            essay.url,
            essay.title,
            essay.author,
            to_iso(essay.published),
            json.dumps(list(essay.labels), ensure_ascii=False),
            essay.word_count,
            content_hash,
            essay.image,
            essay.site_name,
            essay.site_icon,
        )
        body_json = _blocks_json(essay.blocks)
        body = pack(body_json)
        if existing is None:
            cursor = await db.execute(
                "INSERT INTO essays(key, feed_id, source, url, title, author, published, labels, "
                "word_count, content_hash, image, site_name, site_icon, revision, first_seen_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
                (essay.key, feed_id, *values, now, now),
            )
            essay_id = int(cast(int, cursor.lastrowid))
            await db.execute("INSERT INTO essay_bodies(essay_id, blocks) VALUES (?, ?)", (essay_id, body))
            status: IngestStatus = "new"
            revision = 1
        else:
            essay_id, revision = int(existing[0]), int(existing[2]) + 1
            # The indexes forget the old revision with the values they indexed, so read them first.
            await self._delete_analysis(db, essay_id)
            await db.execute(
                "UPDATE essays SET source = ?, url = ?, title = ?, author = ?, published = ?, "
                "labels = ?, word_count = ?, content_hash = ?, image = ?, site_name = ?, "
                "site_icon = ?, revision = ?, "
                "updated_at = ?, feed_id = COALESCE(feed_id, ?) WHERE id = ?",
                (*values, revision, now, feed_id, essay_id),
            )
            await db.execute("UPDATE essay_bodies SET blocks = ? WHERE essay_id = ?", (body, essay_id))
            status = "revised"
        await self._insert_analysis(db, essay_id, essay, analysis, body_json)
        return IngestOutcome(status, essay_id, essay.key, revision)

    async def _delete_analysis(self, db: Connection, essay_id: int) -> None:
        """Remove an essay's analysis and index entries (its essays row and body stay).

        The full-text indexes keep no copy of the text (migration 0010), so each entry is removed
        with FTS5's 'delete' command and the very values it was indexed with.
        """
        async with db.execute(
            "SELECT e.title, e.labels, b.blocks FROM essays e JOIN essay_bodies b ON b.essay_id = e.id WHERE e.id = ?",
            (essay_id,),
        ) as cursor:
            old = await cursor.fetchone()
        if old is not None:
            blocks = _blocks_from_json(old[2])
            labels = " ".join(json.loads(old[1]))
            await db.execute(
                "INSERT INTO essay_fts(essay_fts, rowid, title, body, labels) VALUES ('delete', ?, ?, ?, ?)",
                (essay_id, old[0], "\n\n".join(block.text for block in blocks), labels),
            )
        await db.execute(
            "INSERT INTO quote_fts(quote_fts, rowid, text, speaker) "
            "SELECT 'delete', id, text, COALESCE(speaker, '') FROM quotes WHERE essay_id = ?",
            (essay_id,),
        )
        async with db.execute("SELECT contexts FROM essay_contexts WHERE essay_id = ?", (essay_id,)) as cursor:
            packed = await cursor.fetchone()
        old_body = unpack(old[2]) if old is not None else ""
        contexts = unpack_sentences(packed[0], lambda: old_body) if packed is not None else []
        async with db.execute(
            "SELECT id, text, COALESCE(subject, ''), context_idx FROM figures WHERE essay_id = ?", (essay_id,)
        ) as cursor:
            figures = await cursor.fetchall()
        await db.executemany(
            "INSERT INTO figure_fts(figure_fts, rowid, text, subject, context) VALUES ('delete', ?, ?, ?, ?)",
            [(row[0], row[1], row[2], contexts[row[3]]) for row in figures],
        )
        for table in (
            "sections",
            "quotes",
            "figures",
            "essay_references",
            "essay_labels",
            "related_terms",
            # A revised essay's neighbour list goes with its terms; it is made again.
            "related_lists",
            "essay_contexts",
        ):
            await db.execute(f"DELETE FROM {table} WHERE essay_id = ?", (essay_id,))

    async def _insert_analysis(
        self, db: Connection, essay_id: int, essay: Essay, analysis: Analysis, body_json: str
    ) -> None:
        """``body_json``: the essay's blocks as stored (``_blocks_json``), which figure sentences point into."""
        await db.executemany(
            "INSERT INTO sections(essay_id, idx, title, start_block, end_block, from_heading, word_count) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (essay_id, s.index, s.title, s.start, s.end, int(s.from_heading), s.word_count)
                for s in analysis.sections
            ],
        )
        # Batched: one statement per table rather than two per quote or figure (ingest speed).
        await db.executemany(
            "INSERT INTO quotes(essay_id, section, kind, text, speaker, score) VALUES (?, ?, ?, ?, ?, ?)",
            [(essay_id, q.section, q.kind, q.text, q.speaker, q.score) for q in analysis.quotes],
        )
        await db.execute(
            "INSERT INTO quote_fts(rowid, text, speaker) "
            "SELECT id, text, COALESCE(speaker, '') FROM quotes WHERE essay_id = ?",
            (essay_id,),
        )
        contexts, numbers = _figure_contexts(analysis.figures)
        if contexts:
            await db.execute(
                "INSERT INTO essay_contexts(essay_id, contexts) VALUES (?, ?)",
                (essay_id, pack_sentences(contexts, body_json)),
            )
        await db.executemany(
            "INSERT INTO figures(essay_id, section, kind, text, value, value_high, unit, qualifier, "
            "subject, context_idx) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    essay_id,
                    f.section,
                    f.kind,
                    f.text,
                    f.value,
                    f.value_high,
                    f.unit,
                    f.qualifier,
                    f.subject,
                    number,
                )
                for f, number in zip(analysis.figures, numbers, strict=True)
            ],
        )
        stored = await db.execute_fetchall(
            "SELECT id, text, COALESCE(subject, ''), context_idx FROM figures WHERE essay_id = ?", (essay_id,)
        )
        await db.executemany(
            "INSERT INTO figure_fts(rowid, text, subject, context) VALUES (?, ?, ?, ?)",
            [(row[0], row[1], row[2], contexts[row[3]]) for row in stored],
        )
        await db.executemany(
            "INSERT INTO essay_references(essay_id, section, text, ref_date, title, url, resolved_key) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    essay_id,
                    r.section,
                    r.text,
                    r.date.isoformat() if r.date else None,
                    r.title,
                    r.url,
                    r.resolved_key,
                )
                for r in analysis.references
            ],
        )
        await db.executemany(
            # With the essay's date as its row holds it (migration 0021).
            "INSERT OR IGNORE INTO essay_labels(essay_id, label, published) "
            "SELECT id, ?, published FROM essays WHERE id = ?",
            [(label.strip().lower(), essay_id) for label in essay.labels if label.strip()],
        )
        await db.execute(
            "INSERT INTO essay_fts(rowid, title, body, labels) VALUES (?, ?, ?, ?)",
            (essay_id, essay.title, essay.body_text, " ".join(essay.labels)),
        )
        terms = analysis.terms if analysis.terms is not None else essay_terms(essay.title, essay.blocks)
        await _insert_related_terms(db, essay_id, terms)

    def _essay_from_row(self, row: sqlite3.Row) -> EssayRow:
        essay = Essay(
            key=row["key"],
            title=row["title"],
            blocks=_blocks_from_json(row["blocks"]),
            url=row["url"],
            author=row["author"],
            published=from_iso(row["published"]),
            labels=tuple(json.loads(row["labels"])),
            source=row["source"],
            image=row["image"],
            site_name=row["site_name"],
            site_icon=row["site_icon"],
        )
        return EssayRow(
            id=int(row["id"]),
            essay=essay,
            revision=int(row["revision"]),
            content_hash=row["content_hash"],
            feed_id=row["feed_id"],
        )

    async def get_essay(self, key: str) -> EssayRow | None:
        row = await self._one(f"{_ESSAY_SELECT} WHERE key = ?", (key,))
        return self._essay_from_row(row) if row else None

    async def get_essay_by_id(self, essay_id: int) -> EssayRow | None:
        row = await self._one(f"{_ESSAY_SELECT} WHERE id = ?", (essay_id,))
        return self._essay_from_row(row) if row else None

    async def find_essay(self, key_or_url: str) -> EssayRow | None:
        """An essay by key, or by URL (as given, or normalised by the caller)."""
        row = await self._one(
            f"{_ESSAY_SELECT} WHERE key = ? OR url = ? ORDER BY key = ? DESC LIMIT 1",
            (key_or_url, key_or_url, key_or_url),
        )
        return self._essay_from_row(row) if row else None

    # Scoped accessors: what member and moderator commands use (bot/store/scope.py). The plain
    # ones above serve the poller, the publisher and intake, which work for every server.

    async def find_visible_essay(self, key_or_url: str, *, guild_id: GuildScope) -> EssayRow | None:
        """An essay the server may see, by key or URL."""
        scope_sql, scope_params = visible("id", guild_id)
        row = await self._one(
            f"{_ESSAY_SELECT} WHERE (key = ? OR url = ?) AND {scope_sql} ORDER BY key = ? DESC LIMIT 1",
            (key_or_url, key_or_url, *scope_params, key_or_url),
        )
        return self._essay_from_row(row) if row else None

    async def get_visible_essay(self, essay_id: int, *, guild_id: GuildScope) -> EssayRow | None:
        """An essay by id, if the server may see it."""
        scope_sql, scope_params = visible("id", guild_id)
        row = await self._one(f"{_ESSAY_SELECT} WHERE id = ? AND {scope_sql}", (essay_id, *scope_params))
        return self._essay_from_row(row) if row else None

    async def newest_visible_essays(
        self, *, guild_id: GuildScope, limit: int = 50, feed_id: int | None = None
    ) -> list[EssayRow]:
        """The newest essays the server may see (of one feed, with ``feed_id``)."""
        scope_sql, scope_params = visible("id", guild_id)
        where, params = [scope_sql], list(scope_params)
        if feed_id is not None:
            where.append("feed_id = ?")
            params.append(feed_id)
        rows = await self._all(
            f"{_ESSAY_SELECT} WHERE {' AND '.join(where)} ORDER BY published DESC NULLS LAST, id DESC LIMIT ?",
            (*params, limit),
        )
        return [self._essay_from_row(r) for r in rows]

    async def essay_count(self) -> int:
        row = await self._one("SELECT count(*) AS n FROM essays")
        return int(row["n"]) if row else 0

    async def list_essays(self, *, limit: int = 50, feed_id: int | None = None) -> list[EssayRow]:
        """The newest essays first."""
        if feed_id is None:
            rows = await self._all(f"{_ESSAY_SELECT} ORDER BY published DESC NULLS LAST, id DESC LIMIT ?", (limit,))
        else:
            rows = await self._all(
                f"{_ESSAY_SELECT} WHERE feed_id = ? ORDER BY published DESC NULLS LAST, id DESC LIMIT ?",
                (feed_id, limit),
            )
        return [self._essay_from_row(r) for r in rows]

    async def load_analysis(self, essay_id: int) -> Analysis:
        row = await self._one("SELECT blocks FROM essay_bodies WHERE essay_id = ?", (essay_id,))
        blocks = _blocks_from_json(row["blocks"]) if row else ()
        sections = [
            Section(
                index=int(r["idx"]),
                title=r["title"],
                blocks=blocks[r["start_block"] : r["end_block"]],
                start=int(r["start_block"]),
                end=int(r["end_block"]),
                from_heading=bool(r["from_heading"]),
            )
            for r in await self._all("SELECT * FROM sections WHERE essay_id = ? ORDER BY idx", (essay_id,))
        ]
        quotes = [
            quote_from_row(r)
            for r in await self._all("SELECT * FROM quotes WHERE essay_id = ? ORDER BY id", (essay_id,))
        ]
        contexts = await self.figure_contexts([essay_id])
        figures = [
            figure_from_row(r, contexts)
            for r in await self._all("SELECT * FROM figures WHERE essay_id = ? ORDER BY id", (essay_id,))
        ]
        references = [
            _reference_from_row(r)
            for r in await self._all("SELECT * FROM essay_references WHERE essay_id = ? ORDER BY id", (essay_id,))
        ]
        return Analysis(sections=sections, quotes=quotes, figures=figures, references=references)

    # ------------------------------------------------------------------ feeds

    def _feed_from_row(self, row: sqlite3.Row) -> FeedRow:
        return FeedRow(
            id=int(row["id"]),
            url=row["url"],
            title=row["title"],
            etag=row["etag"],
            last_modified=row["last_modified"],
            added_at=cast(datetime, from_iso(row["added_at"])),
            last_polled_at=from_iso(row["last_polled_at"]),
            last_ok_at=from_iso(row["last_ok_at"]),
            last_result=row["last_result"],
            last_error=row["last_error"],
            consecutive_failures=int(row["consecutive_failures"]),
            next_poll_at=from_iso(row["next_poll_at"]),
            paused=bool(row["paused_for_all"]),
            primed=bool(row["primed"]),
        )

    async def add_feed(self, url: str, *, guild_id: int | None = None, title: str | None = None) -> FeedRow:
        """Add a feed (or return the existing one) and, with a guild, subscribe that server.

        A new follow is owed its first posts (``welcome_pending``): see ``bot.poller.queue_first_posts``.
        """
        now = to_iso(utcnow())
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO feeds(url, title, added_at) VALUES (?, ?, ?) ON CONFLICT(url) DO NOTHING",
                (url, title, now),
            )
            if guild_id is not None:
                await db.execute(
                    "INSERT INTO guild_feeds(guild_id, feed_id, added_at, welcome_pending) "
                    "SELECT ?, id, ?, 1 FROM feeds WHERE url = ? ON CONFLICT DO NOTHING",
                    (guild_id, now, url),
                )
        feed = await self.get_feed_by_url(url)
        assert feed is not None
        return feed

    # A feed is paused for everyone when paused itself, or when every server following it paused it.
    _FEED_COLUMNS = (
        "f.*, (f.paused OR (EXISTS (SELECT 1 FROM guild_feeds a WHERE a.feed_id = f.id) AND NOT EXISTS "
        "(SELECT 1 FROM guild_feeds a WHERE a.feed_id = f.id AND a.paused = 0))) AS paused_for_all"
    )

    async def get_feed(self, feed_id: int) -> FeedRow | None:
        row = await self._one(f"SELECT {self._FEED_COLUMNS} FROM feeds f WHERE f.id = ?", (feed_id,))
        return self._feed_from_row(row) if row else None

    async def get_feed_by_url(self, url: str) -> FeedRow | None:
        row = await self._one(f"SELECT {self._FEED_COLUMNS} FROM feeds f WHERE f.url = ?", (url,))
        return self._feed_from_row(row) if row else None

    async def list_feeds(self, *, guild_id: int | None = None) -> list[FeedRow]:
        """Every feed, or the feeds a server follows (``paused`` then says whether that server paused it)."""
        if guild_id is None:
            rows = await self._all(f"SELECT {self._FEED_COLUMNS} FROM feeds f ORDER BY f.id")
        else:
            rows = await self._all(
                "SELECT f.*, (f.paused OR g.paused) AS paused_for_all FROM feeds f "
                "JOIN guild_feeds g ON g.feed_id = f.id WHERE g.guild_id = ? ORDER BY f.id",
                (guild_id,),
            )
        return [self._feed_from_row(r) for r in rows]

    async def first_posts_owed(
        self, *, guild_id: int | None = None, feed_id: int | None = None
    ) -> list[tuple[int, int]]:
        """(server, feed) follows still owed their first posts, not paused, of one server or feed or all."""
        where = ["welcome_pending = 1", "paused = 0"]
        params: list[Any] = []
        if guild_id is not None:
            where.append("guild_id = ?")
            params.append(guild_id)
        if feed_id is not None:
            where.append("feed_id = ?")
            params.append(feed_id)
        rows = await self._all(
            f"SELECT guild_id, feed_id FROM guild_feeds WHERE {' AND '.join(where)} ORDER BY guild_id, feed_id",
            params,
        )
        return [(int(r["guild_id"]), int(r["feed_id"])) for r in rows]

    async def first_posts_done(self, guild_id: int, feed_id: int) -> None:
        async with self.transaction() as db:
            await db.execute(
                "UPDATE guild_feeds SET welcome_pending = 0 WHERE guild_id = ? AND feed_id = ?", (guild_id, feed_id)
            )

    async def remove_feed(self, feed_id: int, *, guild_id: int | None = None) -> bool:
        """Unsubscribe a server, or with no server delete the feed; True if anything changed.

        A feed no server follows any more is deleted; its essays stay (they may be
        posted, quoted and related), with their feed link cleared.
        """
        async with self.transaction() as db:
            if guild_id is not None:
                cursor = await db.execute(
                    "DELETE FROM guild_feeds WHERE guild_id = ? AND feed_id = ?", (guild_id, feed_id)
                )
                changed = bool(cursor.rowcount > 0)
                await db.execute(
                    "DELETE FROM feeds WHERE id = ? AND NOT EXISTS (SELECT 1 FROM guild_feeds WHERE feed_id = ?)",
                    (feed_id, feed_id),
                )
                return changed
            cursor = await db.execute("DELETE FROM feeds WHERE id = ?", (feed_id,))
            return bool(cursor.rowcount > 0)

    async def set_feed_paused(self, feed_id: int, paused: bool, *, guild_id: int | None = None) -> None:
        """Pause or resume a server's follow of a feed; with no server, the feed itself for everyone."""
        async with self.transaction() as db:
            if guild_id is None:
                await db.execute("UPDATE feeds SET paused = ? WHERE id = ?", (int(paused), feed_id))
            else:
                await db.execute(
                    "UPDATE guild_feeds SET paused = ? WHERE guild_id = ? AND feed_id = ?",
                    (int(paused), guild_id, feed_id),
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
        now = to_iso(utcnow())
        async with self.transaction() as db:
            await db.execute(
                "UPDATE feeds SET last_polled_at = ?, last_ok_at = ?, last_result = ?, last_error = NULL, "
                "consecutive_failures = 0, etag = ?, last_modified = ?, title = COALESCE(?, title), "
                "next_poll_at = ?, primed = MAX(primed, ?), poll_owner = NULL, poll_lease_until = NULL WHERE id = ?",
                (now, now, result, etag, last_modified, title, to_iso(next_poll_at), int(primed), feed_id),
            )

    async def record_poll_failure(self, feed_id: int, *, error: str, next_poll_at: datetime) -> int:
        """Record a failed poll; return the new count of consecutive failures."""
        now = to_iso(utcnow())
        async with self.transaction() as db:
            await db.execute(
                "UPDATE feeds SET last_polled_at = ?, last_result = 'error', last_error = ?, "
                "consecutive_failures = consecutive_failures + 1, next_poll_at = ?, poll_owner = NULL, "
                "poll_lease_until = NULL WHERE id = ?",
                (now, error, to_iso(next_poll_at), feed_id),
            )
            async with db.execute("SELECT consecutive_failures FROM feeds WHERE id = ?", (feed_id,)) as cursor:
                row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def seen_entries(self, feed_id: int, identities: Iterable[str]) -> dict[str, int | None]:
        """Which of ``identities`` the feed has shown before: {identity: its essay id, or None}.

        None means seen but not stored yet (a backlog entry whose page could not be had).
        """
        wanted = list(identities)
        seen: dict[str, int | None] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = await self._all(
                f"SELECT identity, essay_id FROM feed_entries WHERE feed_id = ? AND identity IN ({marks})",
                (feed_id, *chunk),
            )
            seen.update((r["identity"], r["essay_id"]) for r in rows)
        return seen

    async def seen_count(self, feed_id: int) -> int:
        row = await self._one("SELECT count(*) AS n FROM feed_entries WHERE feed_id = ?", (feed_id,))
        return int(row["n"]) if row else 0

    async def mark_seen(self, feed_id: int, identity: str, essay_id: int | None) -> None:
        """Remember an entry identity; a later call may fill in an essay id that was missing."""
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO feed_entries(feed_id, identity, essay_id, first_seen) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(feed_id, identity) DO UPDATE "
                "SET essay_id = COALESCE(feed_entries.essay_id, excluded.essay_id)",
                (feed_id, identity, essay_id, to_iso(utcnow())),
            )

    async def feed_essay_briefs(self, feed_id: int) -> list[EssayBrief]:
        """Every stored essay of a feed, to recognise entries whose id changed."""
        rows = await self._all(
            "SELECT id, key, title, url, published FROM essays WHERE feed_id = ? ORDER BY id", (feed_id,)
        )
        return [_brief_from_row(r) for r in rows]

    async def reference_candidates(
        self, references: Sequence[Reference], *, exclude_key: str, window_days: int = 10
    ) -> list[EssayBrief]:
        """Stored essays a reference might point at: same URL, or published near its date."""
        urls = sorted({r.url for r in references if r.url})
        dates = sorted({r.date for r in references if r.date})
        found: dict[int, EssayBrief] = {}
        for url in urls:
            for row in await self._all(
                "SELECT id, key, title, url, published FROM essays WHERE url = ? AND key != ?",
                (url, exclude_key),
            ):
                found[row["id"]] = _brief_from_row(row)
        for day in dates:
            low = date.fromordinal(day.toordinal() - window_days).isoformat()
            high = date.fromordinal(day.toordinal() + window_days + 1).isoformat()
            for row in await self._all(
                "SELECT id, key, title, url, published FROM essays WHERE published >= ? AND published < ? AND key != ?",
                (low, high, exclude_key),
            ):
                found[row["id"]] = _brief_from_row(row)
        return list(found.values())

    async def unresolved_references_near(
        self, essay_id: int, *, window_days: int = 10
    ) -> dict[str, list[tuple[int, Reference]]]:
        """Other essays' unresolved references that could point at this essay (its URL or date).

        Keyed by the referring essay's key, each with (reference row id, reference). Used when an
        essay arrives after the posts that refer to it, as when an archive is ingested out of order.
        """
        target = await self._one("SELECT url, published FROM essays WHERE id = ?", (essay_id,))
        if target is None:
            return {}
        published = from_iso(target["published"])
        low = high = None
        if published is not None:
            low = date.fromordinal(published.date().toordinal() - window_days).isoformat()
            high = date.fromordinal(published.date().toordinal() + window_days).isoformat()
        # Two searches of the waiting references' partial indexes: SQLite plans the same condition
        # written with OR as a walk of a whole index, which grows with the archive (0.8 ms at 10,000
        # essays, once per essay stored; 0.02 ms this way).
        rows = await self._all(
            "SELECT r.*, e.key AS e_key FROM essay_references r JOIN essays e ON e.id = r.essay_id "
            "WHERE r.id IN (SELECT id FROM essay_references WHERE resolved_key IS NULL AND url = ? "
            "UNION ALL SELECT id FROM essay_references WHERE resolved_key IS NULL AND ref_date BETWEEN ? AND ?) "
            "AND r.essay_id != ? ORDER BY r.id",
            (target["url"], low, high, essay_id),
        )
        found: dict[str, list[tuple[int, Reference]]] = {}
        for row in rows:
            found.setdefault(row["e_key"], []).append((int(row["id"]), _reference_from_row(row)))
        return found

    async def set_reference_resolution(self, resolutions: Sequence[tuple[int, str]]) -> None:
        """Record (reference row id, resolved essay key) pairs."""
        async with self.transaction() as db:
            await db.executemany(
                "UPDATE essay_references SET resolved_key = ? WHERE id = ?",
                [(key, ref_id) for ref_id, key in resolutions],
            )

    # ---------------------------------------------------------------- related

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
        """Essays holding any of ``words`` (an FTS5 query of the words ORed), best first by BM25, as
        (essay id, relevance > 0).

        With ``target_id``, that essay is left out of the neighbours but its own relevance
        is returned beside them (None when it does not match): the best a neighbour could
        score, which turns relevance into a similarity in 0..1. It comes from the same query,
        so it costs nothing extra. With ``window``, only the newest ``window`` matches that pass
        the scope and the date are ranked (FTS5 walks its matches newest first).
        """
        match = " OR ".join(fts_term(word) for word in words)
        params: list[Any] = []
        if guild_id is ALL_SERVERS and before is None:
            # Nothing to filter (an ingest's neighbour lists): the index alone, no row of essays read per match.
            conditions, row = "", False
        else:
            row = before is not None  # the essays row is read only for the date
            conditions, params = _text_conditions(guild_id, before, target_id, row=row)
        if window is not None:
            # BM25 is computed only for the rows the window lets through, then those are ordered.
            matches = _essay_matches(conditions, row=row)
            sql = f"SELECT id, score FROM ({matches}ORDER BY essay_fts.rowid DESC LIMIT ?) ORDER BY score DESC LIMIT ?"
            rows = await self._all(sql, (match, *params, window, limit + 1))
        elif not conditions:
            rows = await self._all(_best_first(""), (match, limit + 1))
        else:
            rows = await self._best_passing(match, guild_id, before, limit=limit, target_id=target_id)
        own = next((float(r["score"]) for r in rows if r["id"] == target_id), None)
        hits = [(int(r["id"]), float(r["score"])) for r in rows if r["id"] != target_id]
        return hits[:limit], own

    async def _best_passing(
        self, match: str, guild_id: GuildScope, before: datetime | None, *, limit: int, target_id: int | None
    ) -> list[sqlite3.Row]:
        """The best ``limit + 1`` matches in the server's scope and before the date, the target's included.

        BM25 over every match is most of the cost; the essays row and the scope probe read for each
        match add a third to it. So the index ranks its matches alone first, and only the best
        ``rank_window`` are joined and filtered. When fewer than asked pass, or the target is not among
        them, every match is ranked and filtered: the answer is always the full ranking's. A date in the
        archive's older half is filtered first (``FILTER_FIRST_SHARE``): the same answer, one query.
        """
        conditions, params = _text_conditions(guild_id, before, target_id, row=True)
        if before is not None and await self._share_before(before) <= FILTER_FIRST_SHARE:
            return await self._all(_best_first(conditions), (match, *params, limit + 1))
        sql = (
            f"SELECT p.id, p.score FROM ({_best_first('')}) p "
            f"JOIN essays e ON e.id = p.id WHERE {conditions}ORDER BY p.score DESC, p.id LIMIT ?"
        )
        rows = await self._all(sql, (match, rank_window(limit + 1), *params, limit + 1))
        if len(rows) > limit and (target_id is None or any(r["id"] == target_id for r in rows)):
            return rows
        row = before is not None
        conditions, params = _text_conditions(guild_id, before, target_id, row=row)
        return await self._all(_best_first(conditions, row=row), (match, *params, limit + 1))

    async def _share_before(self, when: datetime) -> float:
        """The share of the archive's dates (first to last published) before ``when``; 1.0 without a span.

        An estimate from the two ends of the ``published`` index: it only chooses how a query runs, never its answer.
        """
        row = await self._one("SELECT min(published) AS first, max(published) AS last FROM essays")
        first, last = (from_iso(row["first"]), from_iso(row["last"])) if row else (None, None)
        if first is None or last is None or last <= first:
            return 1.0
        return min(1.0, max(0.0, (when - first) / (last - first)))

    async def label_counts(self, labels: Sequence[str]) -> dict[str, int]:
        """How many essays carry each of ``labels`` (lowercased); absent labels are left out."""
        wanted = sorted({label.strip().lower() for label in labels if label.strip()})
        if not wanted:
            return {}
        rows = await self._all(f"SELECT label, essays FROM label_df WHERE {in_list('label')}", (text_list(wanted),))
        return {r["label"]: int(r["essays"]) for r in rows}

    async def label_neighbours(
        self,
        weights: dict[str, float],
        *,
        guild_id: GuildScope,
        before: datetime | None,
        exclude_id: int | None,
        limit: int,
    ) -> list[int]:
        """Essays sharing any of the weighted labels, heaviest shared weight first, then newest first (then the
        later stored).

        The caller passes only labels rare enough to matter alone, which also bounds the rows read. Read from
        the labels' index by date (migration 0021): one label's posts are its first rows before ``before``.
        """
        if not weights:
            return []
        exclude = exclude_id if exclude_id is not None else -1
        dated = "AND l.published < ? " if before is not None else ""
        dates = [to_iso(before)] if before is not None else []
        scope_sql, scope_params = visible("l.essay_id", guild_id)
        if len(weights) == 1:
            sql = (
                f"SELECT l.essay_id AS id FROM essay_labels l WHERE l.label = ? AND l.essay_id != ? {dated}"
                f"AND {scope_sql} ORDER BY l.published DESC, l.essay_id DESC LIMIT ?"
            )
            params: list[Any] = [next(iter(weights)), exclude, *dates, *scope_params, limit]
        else:
            # Summed per post first, so the scope is probed once per post, not once per label it carries.
            sql = (
                "WITH w(label, weight) AS (SELECT key, value FROM json_each(?)) "
                "SELECT l.essay_id AS id, sum(w.weight) AS total, max(l.published) AS published "
                f"FROM w JOIN essay_labels l ON l.label = w.label WHERE l.essay_id != ? {dated}"
                f"GROUP BY l.essay_id HAVING {scope_sql} ORDER BY total DESC, published DESC, id DESC LIMIT ?"
            )
            params = [weight_map(weights), exclude, *dates, *scope_params, limit]
        return [int(r["id"]) for r in await self._all(sql, params)]

    async def shared_labels(self, essay_ids: Sequence[int], labels: Sequence[str]) -> dict[int, list[str]]:
        """Which of ``labels`` each of ``essay_ids`` carries (essays with none are left out)."""
        wanted = sorted({label.strip().lower() for label in labels if label.strip()})
        if not wanted or not essay_ids:
            return {}
        rows = await self._all(
            f"SELECT essay_id, label FROM essay_labels WHERE {in_list('label')} AND {in_list('essay_id')}",
            (text_list(wanted), id_list(essay_ids)),
        )
        found: dict[int, list[str]] = {}
        for row in rows:
            found.setdefault(int(row["essay_id"]), []).append(row["label"])
        return found

    async def shared_speakers(self, essay_ids: Sequence[int], speakers: Sequence[str]) -> dict[int, list[str]]:
        """Which of ``speakers`` each of ``essay_ids`` quotes directly (essays with none are left out)."""
        wanted = sorted({s for s in speakers if s})
        if not wanted or not essay_ids:
            return {}
        rows = await self._all(
            f"SELECT DISTINCT essay_id, speaker FROM quotes WHERE {in_list('essay_id')} AND {in_list('speaker')} "
            "AND kind IN ('direct', 'epigraph')",
            (id_list(essay_ids), text_list(wanted)),
        )
        found: dict[int, list[str]] = {}
        for row in rows:
            found.setdefault(int(row["essay_id"]), []).append(row["speaker"])
        return found

    async def quoted_speakers(self, essay_id: int) -> list[str]:
        rows = await self._all(
            "SELECT DISTINCT speaker FROM quotes WHERE essay_id = ? AND speaker IS NOT NULL "
            "AND kind IN ('direct', 'epigraph')",
            (essay_id,),
        )
        return [r["speaker"] for r in rows]

    async def resolved_reference_sections(self, essay_id: int) -> list[tuple[str, str, int]]:
        """(resolved key, reference text, 1-based section) for each resolved reference of an essay."""
        rows = await self._all(
            "SELECT resolved_key, text, section FROM essay_references "
            "WHERE essay_id = ? AND resolved_key IS NOT NULL ORDER BY id",
            (essay_id,),
        )
        return [(r["resolved_key"], r["text"], int(r["section"])) for r in rows]

    async def briefs(self, essay_ids: Sequence[int], *, guild_id: GuildScope) -> dict[int, EssayBrief]:
        """Title, address and date of the given essays that the server may see."""
        if not essay_ids:
            return {}
        scope_sql, scope_params = visible("id", guild_id)
        rows = await self._all(
            f"SELECT id, key, title, url, published FROM essays WHERE {in_list('id')} AND {scope_sql}",
            (id_list(essay_ids), *scope_params),
        )
        return {int(row["id"]): _brief_from_row(row) for row in rows}

    async def briefs_by_key(self, keys: Sequence[str], *, guild_id: GuildScope) -> dict[str, EssayBrief]:
        """Title, address and date of the given essays (by key) that the server may see."""
        if not keys:
            return {}
        scope_sql, scope_params = visible("id", guild_id)
        rows = await self._all(
            f"SELECT id, key, title, url, published FROM essays WHERE {in_list('key')} AND {scope_sql}",
            (text_list(sorted(set(keys))), *scope_params),
        )
        return {row["key"]: _brief_from_row(row) for row in rows}

    async def term_statistics(self, terms: Sequence[str]) -> dict[str, StemStatistic]:
        """Each stem's id and how many essays hold it (``related_stems``); stems no essay holds are left out."""
        if not terms:
            return {}
        rows = await self._all(
            f"SELECT id, term, essays FROM related_stems WHERE {in_list('term')} AND essays > 0",
            (text_list(sorted(set(terms))),),
        )
        return {r["term"]: StemStatistic(int(r["id"]), int(r["essays"])) for r in rows}

    async def term_vectors(self, essay_ids: Sequence[int]) -> dict[int, RelatedVector]:
        """The stored stem counts, their norm and the date of each of ``essay_ids`` that has them."""
        if not essay_ids:
            return {}
        rows = await self._all(
            "SELECT t.essay_id AS id, t.vector, t.norm, e.published FROM related_terms t "
            f"JOIN essays e ON e.id = t.essay_id WHERE {in_list('t.essay_id')}",
            (id_list(essay_ids),),
        )
        found: dict[int, RelatedVector] = {}
        for row, (ids, counts) in zip(rows, decode_vectors([row["vector"] for row in rows]), strict=True):
            published = from_iso(row["published"])
            day = published.date() if published else None
            found[int(row["id"])] = RelatedVector(ids, counts, float(row["norm"]), day)
        return found

    async def stored_terms(self, essay_id: int) -> Terms | None:
        """An essay's stored stem counts (capped at ``MAX_COUNT``, which weighs the same) and written forms
        (None if it has none yet)."""
        found = await self.stored_query_terms(essay_id)
        return found[0] if found is not None else None

    async def stored_query_terms(self, essay_id: int) -> tuple[Terms, dict[str, StemStatistic]] | None:
        """``stored_terms`` and the ``term_statistics`` of its stems, read together (None if it has none yet)."""
        row = await self._one("SELECT vector, forms FROM related_terms WHERE essay_id = ?", (essay_id,))
        if row is None:
            return None
        ids, capped = decode_vector(row["vector"])
        stems = {
            int(r["id"]): (str(r["term"]), int(r["essays"]))
            for r in await self._all(
                f"SELECT id, term, essays FROM related_stems WHERE {in_list('id')}", (id_list(ids.tolist()),)
            )
        }
        counts = {stems[i][0]: c for i, c in zip(ids.tolist(), capped.tolist(), strict=True)}
        statistics = {term: StemStatistic(i, held) for i, (term, held) in stems.items() if held > 0}
        return Terms(counts, decode_forms(unpack(row["forms"]), counts)), statistics

    async def archive_span(self) -> ArchiveSpan:
        """The archive's size, dates and id range: how fast it is written, and where to sample it."""
        row = await self._one(
            "SELECT (SELECT count(*) FROM essays) AS n, (SELECT min(published) FROM essays) AS first, "
            "(SELECT max(published) FROM essays) AS last, (SELECT min(essay_id) FROM related_terms) AS low, "
            "(SELECT max(essay_id) FROM related_terms) AS high"
        )
        if row is None:
            return ArchiveSpan(0, None, None, None)
        first, last = from_iso(row["first"]), from_iso(row["last"])
        ids = (int(row["low"]), int(row["high"])) if row["low"] is not None else None
        return ArchiveSpan(int(row["n"]), first.date() if first else None, last.date() if last else None, ids)

    async def essays_without_terms(self, *, limit: int) -> list[int]:
        """Essays stored before related terms were kept (migration 0008), to fill in."""
        rows = await self._all(
            "SELECT id FROM essays WHERE id NOT IN (SELECT essay_id FROM related_terms) ORDER BY id LIMIT ?", (limit,)
        )
        return [int(r["id"]) for r in rows]

    async def fill_related_terms(self, essay_ids: Sequence[int]) -> int:
        """Compute and store the related terms of essays that lack them; returns how many were written."""
        written = 0
        for essay_id in essay_ids:
            row = await self.get_essay_by_id(essay_id)
            if row is None:
                continue
            terms = essay_terms(row.essay.title, row.essay.blocks)
            async with self.transaction() as db:
                async with db.execute("SELECT 1 FROM related_terms WHERE essay_id = ?", (essay_id,)) as cursor:
                    if await cursor.fetchone() is not None:
                        continue  # stored meanwhile (an ingest of the same essay)
                await _insert_related_terms(db, essay_id, terms)
            written += 1
        return written

    async def essays_without_neighbours(self, *, limit: int) -> list[int]:
        """Essays with related terms but no neighbour list yet (stored before migration 0012), to fill in."""
        rows = await self._all(
            "SELECT essay_id FROM related_terms WHERE essay_id NOT IN (SELECT essay_id FROM related_lists) "
            "ORDER BY essay_id LIMIT ?",
            (limit,),
        )
        return [int(r["essay_id"]) for r in rows]

    async def neighbour_lists(self, essay_ids: Sequence[int]) -> dict[int, NeighbourList]:
        """The stored neighbour lists of those of ``essay_ids`` that have one: scale, length and worst score.

        Only the list's summary, which is what deciding whether an essay joins it needs.
        """
        if not essay_ids:
            return {}
        rows = await self._all(
            "SELECT l.essay_id AS id, l.scale, count(n.neighbour_id) AS size, min(n.score) AS worst "
            "FROM related_lists l LEFT JOIN related_neighbours n ON n.essay_id = l.essay_id "
            f"WHERE {in_list('l.essay_id')} GROUP BY l.essay_id",
            (id_list(essay_ids),),
        )
        return {
            int(row["id"]): NeighbourList(
                float(row["scale"]), int(row["size"]), float(row["worst"]) if row["worst"] is not None else 0.0
            )
            for row in rows
        }

    async def neighbours(self, essay_id: int) -> list[int]:
        """The essay's stored neighbours, nearest first."""
        rows = await self._all(
            "SELECT neighbour_id FROM related_neighbours WHERE essay_id = ? ORDER BY score DESC, neighbour_id",
            (essay_id,),
        )
        return [int(r["neighbour_id"]) for r in rows]

    async def shared_neighbours(self, essay_ids: Sequence[int], neighbour_ids: Sequence[int]) -> dict[int, list[int]]:
        """Which of ``neighbour_ids`` each of ``essay_ids`` holds in its list (essays holding none are left out)."""
        if not essay_ids or not neighbour_ids:
            return {}
        rows = await self._all(
            # Each list read whole (20 rows in key order) and filtered: half the cost of a seek per pair.
            "SELECT essay_id, group_concat(neighbour_id) AS ids FROM related_neighbours "
            f"WHERE {in_list('essay_id')} AND {in_list('+neighbour_id')} GROUP BY essay_id",
            (id_list(essay_ids), id_list(neighbour_ids)),
        )
        return {int(r["essay_id"]): [int(i) for i in str(r["ids"]).split(",")] for r in rows}

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
        ``neighbour_ids``, most shared first, that the server may see, published before ``before`` if given;
        with a ``budget``, reading at most that many list rows (see the protocol)."""
        if budget is not None and neighbour_ids:
            # Each neighbour's lists are counted only up to the budget: a hub costs no more than that.
            rows = await self._all(
                "WITH n(id) AS (SELECT value FROM json_each(?)) SELECT id, (SELECT count(*) FROM (SELECT 1 "
                "FROM related_neighbours WHERE neighbour_id = n.id LIMIT ?)) AS lists FROM n",
                (id_list(neighbour_ids), budget + 1),
            )
            neighbour_ids = rarest_within({int(r["id"]): int(r["lists"]) for r in rows}, budget)
        if not neighbour_ids or limit < 1:
            return []
        # Counted first, then scoped: the scope is probed once per post listing enough, not once per row.
        scope_sql, scope_params = visible("e.id", guild_id)
        sql = (
            "SELECT e.id FROM (SELECT essay_id, count(*) AS shared FROM related_neighbours "
            f"WHERE {in_list('neighbour_id')} AND essay_id != ? "
            "GROUP BY essay_id HAVING count(*) >= ?) listing JOIN essays e ON e.id = listing.essay_id "
            f"WHERE {scope_sql} "
        )
        params: list[Any] = [id_list(neighbour_ids), exclude_id, least, *scope_params]
        if before is not None:
            sql += "AND e.published < ? "
            params.append(to_iso(before))
        sql += "ORDER BY listing.shared DESC, e.id LIMIT ?"
        params.append(limit)
        return [int(r["id"]) for r in await self._all(sql, params)]

    async def visible_ids(self, essay_ids: Sequence[int], *, guild_id: GuildScope, before: datetime | None) -> set[int]:
        """Those of ``essay_ids`` that the server may see, published before ``before`` if given."""
        if not essay_ids:
            return set()
        scope_sql, scope_params = visible("id", guild_id)
        sql = f"SELECT id FROM essays WHERE {in_list('id')} AND {scope_sql} "
        params: list[Any] = [id_list(essay_ids), *scope_params]
        if before is not None:
            sql += "AND published < ?"
            params.append(to_iso(before))
        return {int(r["id"]) for r in await self._all(sql, params)}

    async def earlier_ids(self, before: datetime, *, guild_id: GuildScope, limit: int) -> list[int] | None:
        """Every essay the server may see published before ``before``, when at most ``limit`` are (see the protocol)."""
        scope_sql, scope_params = visible("e.id", guild_id)
        rows = await self._all(
            f"SELECT e.id, {scope_sql} AS seen FROM essays e WHERE e.published < ? ORDER BY e.published, e.id LIMIT ?",
            (*scope_params, to_iso(before), limit + 1),
        )
        if len(rows) > limit:
            return None
        return [int(r["id"]) for r in rows if r["seen"]]

    async def nearest_in_time(self, essay_id: int, *, limit: int) -> list[int]:
        """Up to ``limit`` essays published just before the essay and as many just after (none if undated)."""
        if limit < 1:
            return []
        day = "(SELECT published FROM essays WHERE id = ?)"
        rows = await self._all(
            f"SELECT id FROM (SELECT id FROM essays WHERE published <= {day} AND id != ? "
            "ORDER BY published DESC LIMIT ?) "
            f"UNION SELECT id FROM (SELECT id FROM essays WHERE published >= {day} AND id != ? "
            "ORDER BY published LIMIT ?)",
            (essay_id, essay_id, limit, essay_id, essay_id, limit),
        )
        return [int(r["id"]) for r in rows]

    async def stale_neighbour_lists(self, *, archive: int, below: int, limit: int) -> list[int]:
        """Essays whose neighbour list was made when the archive held fewer than ``below`` essays and at most
        half of ``archive``, oldest first."""
        rows = await self._all(
            "SELECT essay_id FROM related_lists WHERE archive < ? AND archive * 2 <= ? "
            "ORDER BY archive, essay_id LIMIT ?",
            (below, archive, limit),
        )
        return [int(r["essay_id"]) for r in rows]

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
        """Replace an essay's neighbour list, and add it to the lists of ``joined`` (essay id -> its score there).

        Each list it joins keeps only its ``size`` best neighbours.
        """
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO related_lists(essay_id, scale, archive) VALUES (?, ?, ?) "
                "ON CONFLICT(essay_id) DO UPDATE SET scale = excluded.scale, archive = excluded.archive",
                (essay_id, scale, archive),
            )
            await db.execute("DELETE FROM related_neighbours WHERE essay_id = ?", (essay_id,))
            await db.executemany(
                "INSERT INTO related_neighbours(essay_id, neighbour_id, score) VALUES (?, ?, ?)",
                [(essay_id, other, score) for other, score in neighbours.items()],
            )
            await db.executemany(
                "INSERT INTO related_neighbours(essay_id, neighbour_id, score) VALUES (?, ?, ?) "
                "ON CONFLICT(essay_id, neighbour_id) DO UPDATE SET score = excluded.score",
                [(other, essay_id, score) for other, score in joined.items()],
            )
            await db.executemany(
                "DELETE FROM related_neighbours WHERE essay_id = ? AND neighbour_id IN (SELECT neighbour_id "
                "FROM related_neighbours WHERE essay_id = ? ORDER BY score DESC, neighbour_id LIMIT -1 OFFSET ?)",
                [(other, other, size) for other in joined],
            )

    async def save_champions(self, places: Mapping[int, Sequence[tuple[int, int]]]) -> None:
        """Replace each essay's places in its stems' champion lists (none for an essay without its neighbour list)."""
        if not places:
            return
        async with self.transaction() as db:
            async with db.execute(
                "SELECT t.essay_id, t.vector, t.norm, l.placed FROM related_terms t "
                f"JOIN related_lists l ON l.essay_id = t.essay_id WHERE {in_list('t.essay_id')}",
                (id_list(places),),
            ) as cursor:
                stored = {int(row[0]): (row[1], float(row[2]), int(row[3])) for row in await cursor.fetchall()}
            # Only places made from the vector stored now: a revision committed since they were computed placed the
            # essay from its new vector. An essay without a list is placed nowhere (its places go with the list).
            current = {
                essay_id: rows
                for essay_id, rows in places.items()
                if essay_id in stored and places_match(rows, *decode_vector(stored[essay_id][0]), stored[essay_id][1])
            }
            # Only an essay marked placed has places (a new or revised essay's list is new, and the trigger of
            # migration 0020 took a revised one's); they are found by key, every place its vector allows.
            await db.executemany(
                "DELETE FROM stem_champions WHERE essay_id = ?1 AND (stem_id, weight) IN ("
                "SELECT json_extract(p.value, '$[0]'), json_extract(p.value, '$[1]') FROM related_terms t, "
                "json_each(marginalia_vector_places(t.vector, t.norm)) p WHERE t.essay_id = ?1)",
                [(essay_id,) for essay_id in current if stored[essay_id][2]],
            )
            await db.executemany(
                "INSERT OR IGNORE INTO stem_champions(stem_id, weight, essay_id) VALUES (?, ?, ?)",
                [(stem, weight, essay_id) for essay_id, rows in current.items() for stem, weight in rows],
            )
            await db.executemany(
                "UPDATE related_lists SET placed = 1 WHERE essay_id = ? AND placed = 0", [(i,) for i in current]
            )

    async def stem_document_counts(self, stem_ids: Sequence[int]) -> dict[int, int]:
        """How many essays hold each of ``stem_ids`` (``related_stems``); stems no essay holds are left out."""
        if not stem_ids:
            return {}
        rows = await self._all(
            f"SELECT id, essays FROM related_stems WHERE {in_list('id')} AND essays > 0", (id_list(stem_ids),)
        )
        return {int(r["id"]): int(r["essays"]) for r in rows}

    async def essays_without_champions(self, *, after: int, limit: int) -> list[int]:
        """Essays with a neighbour list that have not taken their places (stored before migration 0020), to fill in."""
        rows = await self._all(
            "SELECT essay_id FROM related_lists WHERE placed = 0 AND essay_id > ? ORDER BY essay_id LIMIT ?",
            (after, limit),
        )
        return [int(r["essay_id"]) for r in rows]

    async def stem_champions(
        self, stem_ids: Sequence[int], *, guild_id: GuildScope, before: datetime | None, limit: int
    ) -> dict[int, list[tuple[int, int]]]:
        """Each stem's first ``limit`` essays by weight that the server may see, published before ``before``."""
        stems = sorted(set(stem_ids))
        if not stems:
            return {}
        rows = await self._all(*champions_statement(stems, guild_id, before, limit))
        return group_places(rows)

    async def all_essay_ids(self) -> list[int]:
        return [int(r["id"]) for r in await self._all("SELECT id FROM essays ORDER BY id")]

    async def scope_rows(self, *, derived: bool = False) -> set[tuple[int, int]]:
        """Every (server, essay) pair of the scope table, or of the rule it keeps (for consistency checks)."""
        source = "guild_essays_derived" if derived else "guild_essays"
        return {(int(r["guild_id"]), int(r["essay_id"])) for r in await self._all(f"SELECT * FROM {source}")}


def _brief_from_row(row: sqlite3.Row) -> EssayBrief:
    published = from_iso(row["published"])
    return EssayBrief(
        id=int(row["id"]),
        key=row["key"],
        title=row["title"],
        url=row["url"],
        published=published.date() if published else None,
    )


def _reference_from_row(row: sqlite3.Row) -> Reference:
    return Reference(
        text=row["text"],
        section=int(row["section"]),
        date=date.fromisoformat(row["ref_date"]) if row["ref_date"] else None,
        title=row["title"],
        url=row["url"],
        resolved_key=row["resolved_key"],
    )


async def _insert_related_terms(db: Connection, essay_id: int, terms: Terms) -> None:
    """Store an essay's related-post stems as its vector, numbering new stems and counting every one up."""
    stems = sorted(terms.counts)
    numbered = await db.execute_fetchall(
        "INSERT INTO related_stems(term, essays) SELECT value, 1 FROM json_each(?) WHERE true "
        "ON CONFLICT(term) DO UPDATE SET essays = essays + 1 RETURNING id, term",
        (json.dumps(stems, ensure_ascii=False),),
    )
    ids = {str(row[1]): int(row[0]) for row in numbered}
    vector = encode_vector([ids[stem] for stem in stems], [terms.counts[stem] for stem in stems])
    await db.execute(
        "INSERT INTO related_terms(essay_id, vector, forms, norm) VALUES (?, ?, ?, ?)",
        (essay_id, vector, pack(encode_forms(terms.forms)), terms.norm),
    )
