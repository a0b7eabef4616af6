"""Related-post queries in PostgreSQL: stem counts, neighbour lists, and the text and label probes."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.essays.terms import Terms, decode_counts, decode_forms, encode_counts, encode_forms, essay_terms
from bot.store.budget import rarest_within
from bot.store.postgres.base import Args, stamp, utc
from bot.store.postgres.essays import EssayQueries
from bot.store.postgres.feeds import brief_from_row
from bot.store.postgres.lookup import RANK_WEIGHTS
from bot.store.postgres.scope import visible
from bot.store.records import ArchiveSpan, EssayBrief, NeighbourList, RelatedVector, StemStatistic
from bot.store.scope import GuildScope
from bot.store.vectors import group_places, places_match, vector_from_arrays

logger = logging.getLogger(__name__)

# How many of text_neighbours' matches, weighed from the index alone, are ranked by ts_rank_cd.
RANK_POOL = 200
# Archives up to about this many essays are counted exactly; larger ones estimated (archive_span).
_COUNTED_ESSAYS = 20_000
# Labels' counts are read again after this long (what other processes stored since), and at most this many kept.
LABEL_COUNT_SECONDS = 60.0
_LABEL_COUNTS_KEPT = 10_000


def champions_statement(
    stems: Sequence[int], guild_id: GuildScope, before: datetime | None, limit: int
) -> tuple[str, list[Any]]:
    """The champion lists' read (``stem_champions``): each stem's heaviest ``limit`` rows that pass the scope and
    the date, each list walked down its primary key until they do."""
    args = Args(list(stems))
    where = [visible("c.essay_id", guild_id, args, probe=True)]
    if before is not None:
        when = args(stamp(before))
        where.append(f"EXISTS (SELECT 1 FROM essays e WHERE e.id = c.essay_id AND e.published < {when})")
    sql = (
        "SELECT s.stem_id, c.essay_id, c.weight FROM unnest($1::int[]) AS s(stem_id) CROSS JOIN LATERAL "
        f"(SELECT c.essay_id, c.weight FROM stem_champions c WHERE c.stem_id = s.stem_id AND {' AND '.join(where)} "
        f"ORDER BY c.weight DESC, c.essay_id DESC LIMIT {args(limit)}) AS c"
    )
    return sql, args.values


class RelatedQueries(EssayQueries):
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
        """Essays holding any of ``words`` (quoted, ORed), best first by ``ts_rank_cd``, as (id, relevance).

        With ``target_id``, that essay is left out of the neighbours but its own relevance is returned
        beside them (None when it does not match), from the same query.

        ts_rank_cd reads each matching essay's whole document (TOASTed, a few KB): over the up to 3,000
        matches the caller's posting budget allows, that was 100 ms at 7,500 essays. So the matches are
        first found and weighed from the GIN index alone, one word at a time (an essay's weight: the sum
        over the words it holds of how rare each is among the matches), and only the best ``RANK_POOL``
        are ranked by ts_rank_cd. With fewer matches than that the answer is the full ranking's. With
        ``window``, matches of equal weight are taken newest first, so the pool is the newest (at most
        ``window``) that pass the scope and the date: the window, within the pool's bound.
        """
        match = " or ".join('"' + word.replace('"', " ") + '"' for word in words)
        args = Args(match, target_id if target_id is not None else -1)
        tsquery = "websearch_to_tsquery('marginalia', $1)"
        where = [f"({visible('e.id', guild_id, args, probe=True)} OR e.id = $2)"]
        one_word = window is not None and len(set(words)) == 1
        dated = ""  # the date, read with each match (one word's matches only: see below)
        if before is not None:
            when = args(stamp(before))
            where.append(f"(e.published < {when} OR e.id = $2)")
            if one_word:
                # (No date: a row of a process of the version before 0014, which wrote none. The essays row decides.)
                dated = f" AND (published < {when} OR published IS NULL OR essay_id = $2)"
        size = max(RANK_POOL, 4 * (limit + 1))
        # With a window, matches of equal weight come newest first, so the pool is the newest that pass.
        newest = "DESC" if window is not None else ""
        pool = args(size if window is None else min(size, window))
        each = args(list(dict.fromkeys(words)))
        # Each word's matches from the index: the essays' rows are narrow, their documents not read. (The query
        # made from each word in the row, the planner cannot take a common word for one in every row and scan
        # the table instead, reading every document: 57 ms for "planning" at 10,000 essays.)
        # One word's matches newer than the date are left out as they are read: an older essay's rarest word has
        # thousands (migration 0014). Several words' are not: each word's count among all its matches weighs it.
        matches = (
            f"hits AS (SELECT s.essay_id, w.word FROM unnest({each}::text[]) AS w(word) CROSS JOIN LATERAL "
            "(SELECT essay_id FROM essay_search WHERE document @@ websearch_to_tsquery('marginalia', "
            f"'\"' || replace(w.word, '\"', ' ') || '\"'){dated}) AS s), "
        )
        if one_word:
            # One word: every match weighs the same, so the weighing is the order by id (newest first). Its
            # matches (up to 12,000 the caller allows) were counted, weighed and summed for nothing: 13 ms
            # of 7,000 at 30,000 essays.
            weighed = (
                "weighed AS (SELECT essay_id, essay_id = $2 AS target FROM hits "
                "ORDER BY target DESC, essay_id DESC OFFSET 0), "
            )
            order = "h.target DESC, h.essay_id DESC"  # the CTE's own: the planner then keeps its order
        else:
            weighed = (
                "df AS (SELECT word, count(*)::float8 AS n FROM hits GROUP BY word), "
                "weighed AS (SELECT h.essay_id, h.essay_id = $2 AS target, "
                "sum(ln(1 + (SELECT count(*) FROM hits) / df.n)) AS weight "
                "FROM hits h JOIN df USING (word) GROUP BY h.essay_id "
                f"ORDER BY target DESC, weight DESC, h.essay_id {newest} OFFSET 0), "
            )
            order = f"h.target DESC, h.weight DESC, h.essay_id {newest}"
        rows = await self._all(
            # Weighed and ordered first, then filtered (date, scope) in that order until the pool is full:
            # a word in 12,000 of 100,000 essays took 30 ms of joins and probes for a pool of 200.
            f"WITH {matches}{weighed}"
            "pool AS (SELECT h.essay_id FROM weighed h JOIN essays e ON e.id = h.essay_id "
            f"WHERE {' AND '.join(where)} ORDER BY {order} LIMIT {pool}) "
            f"SELECT p.essay_id AS id, ts_rank_cd({RANK_WEIGHTS}, s.document, {tsquery}) AS score FROM pool p "
            # Each of the pool's documents by its key (OFFSET 0: not a join the planner may make a scan of
            # every row, as it did for a pool it took for as large as its bound).
            "CROSS JOIN LATERAL (SELECT document FROM essay_search s WHERE s.essay_id = p.essay_id OFFSET 0) s "
            f"ORDER BY score DESC, id LIMIT {args(limit + 1)}",
            args.values,
        )
        own = next((float(r["score"]) for r in rows if r["id"] == target_id), None)
        hits = [(int(r["id"]), float(r["score"])) for r in rows if r["id"] != target_id]
        return hits[:limit], own

    async def label_counts(self, labels: Sequence[str]) -> dict[str, int]:
        """How many essays carry each of ``labels`` (lowercased); absent labels are left out."""
        wanted = sorted({label.strip().lower() for label in labels if label.strip()})
        # Counted, and the counts kept for ``LABEL_COUNT_SECONDS``: counting a label most posts carry cost 4 ms a
        # /related at 100,000 essays. Not a counter row per label kept by triggers, as on SQLite: every writer of
        # an essay with the label would wait on it, and a revision locked it after the stems' counters (a deadlock
        # with a concurrent save, reproduced). A weight from a count a minute old moves by a few essays in thousands.
        now = time.monotonic()
        read = self.label_counts_read
        counts: dict[str, int] = {}
        for label in wanted:
            kept = read.get(label)
            if kept is not None and now - kept[0] < LABEL_COUNT_SECONDS:
                counts[label] = kept[1]
        stale = [label for label in wanted if label not in counts]
        if stale:
            rows = await self._all(
                "SELECT label, count(*) AS n FROM essay_labels WHERE label = ANY($1::text[]) GROUP BY label", (stale,)
            )
            counted = {r["label"]: int(r["n"]) for r in rows}
            if len(read) + len(stale) > _LABEL_COUNTS_KEPT:  # free text brings phrases without end
                read.clear()
            for label in stale:
                counts[label] = counted.get(label, 0)
                read[label] = (now, counts[label])
        return {label: n for label, n in counts.items() if n > 0}

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

        Read from the labels' index by date (migration 0016): one label's posts are its first rows before
        ``before``; several labels' weights are summed from the index without reading ``essays``.
        """
        if not weights:
            return []
        args = Args(exclude_id if exclude_id is not None else -1)
        where = ["l.essay_id != $1"]
        if before is not None:
            where.append(f"l.published < {args(stamp(before))}")
        order = "l.published DESC NULLS LAST, l.essay_id DESC"
        if len(weights) == 1:
            where += [f"l.label = {args(next(iter(weights)))}", visible("l.essay_id", guild_id, args, probe=True)]
            sql = f"SELECT l.essay_id AS id FROM essay_labels l WHERE {' AND '.join(where)} ORDER BY {order}"
        else:
            labels, values = args(list(weights)), args(list(weights.values()))
            where.append(visible("l.essay_id", guild_id, args))
            sql = (
                f"WITH w(label, weight) AS (SELECT * FROM unnest({labels}::text[], {values}::float8[])) "
                "SELECT l.essay_id AS id, sum(w.weight) AS total FROM essay_labels l JOIN w ON w.label = l.label "
                f"WHERE {' AND '.join(where)} GROUP BY l.essay_id, l.published ORDER BY total DESC, {order}"
            )
        rows = await self._all(f"{sql} LIMIT {args(limit)}", args.values)
        return [int(r["id"]) for r in rows]

    async def shared_labels(self, essay_ids: Sequence[int], labels: Sequence[str]) -> dict[int, list[str]]:
        """Which of ``labels`` each of ``essay_ids`` carries (essays with none are left out)."""
        wanted = sorted({label.strip().lower() for label in labels if label.strip()})
        if not wanted or not essay_ids:
            return {}
        rows = await self._all(
            "SELECT essay_id, label FROM essay_labels WHERE label = ANY($1::text[]) AND essay_id = ANY($2::bigint[])",
            (wanted, list(essay_ids)),
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
            "SELECT DISTINCT essay_id, speaker FROM quotes WHERE essay_id = ANY($1::bigint[]) "
            "AND speaker = ANY($2::text[]) AND kind IN ('direct', 'epigraph')",
            (list(essay_ids), wanted),
        )
        found: dict[int, list[str]] = {}
        for row in rows:
            found.setdefault(int(row["essay_id"]), []).append(row["speaker"])
        return found

    async def quoted_speakers(self, essay_id: int) -> list[str]:
        rows = await self._all(
            "SELECT DISTINCT speaker FROM quotes WHERE essay_id = $1 AND speaker IS NOT NULL "
            "AND kind IN ('direct', 'epigraph')",
            (essay_id,),
        )
        return [r["speaker"] for r in rows]

    async def resolved_reference_sections(self, essay_id: int) -> list[tuple[str, str, int]]:
        """(resolved key, reference text, 1-based section) for each resolved reference of an essay."""
        rows = await self._all(
            "SELECT resolved_key, text, section FROM essay_references "
            "WHERE essay_id = $1 AND resolved_key IS NOT NULL ORDER BY id",
            (essay_id,),
        )
        return [(r["resolved_key"], r["text"], int(r["section"])) for r in rows]

    async def briefs(self, essay_ids: Sequence[int], *, guild_id: GuildScope) -> dict[int, EssayBrief]:
        """Title, address and date of the given essays that the server may see."""
        args = Args(list(essay_ids))
        rows = await self._all(
            "SELECT e.id, e.key, e.title, e.url, e.published FROM essays e "
            f"WHERE e.id = ANY($1::bigint[]) AND {visible('e.id', guild_id, args, probe=True)}",
            args.values,
        )
        return {int(r["id"]): brief_from_row(r) for r in rows}

    async def briefs_by_key(self, keys: Sequence[str], *, guild_id: GuildScope) -> dict[str, EssayBrief]:
        """Title, address and date of the given essays (by key) that the server may see."""
        args = Args(sorted(set(keys)))
        rows = await self._all(
            "SELECT e.id, e.key, e.title, e.url, e.published FROM essays e "
            f"WHERE e.key = ANY($1::text[]) AND {visible('e.id', guild_id, args, probe=True)}",
            args.values,
        )
        return {r["key"]: brief_from_row(r) for r in rows}

    async def term_statistics(self, terms: Sequence[str]) -> dict[str, StemStatistic]:
        """Each stem's id and how many essays hold it (``related_df``); stems no essay holds are left out."""
        rows = await self._all(
            "SELECT id, term, essays FROM related_df WHERE term = ANY($1::text[])", (sorted(set(terms)),)
        )
        return {r["term"]: StemStatistic(int(r["id"]), int(r["essays"])) for r in rows}

    async def term_vectors(self, essay_ids: Sequence[int]) -> dict[int, RelatedVector]:
        """The stored stem counts, their norm and the date of each of ``essay_ids`` that has them."""
        rows = await self._all(
            "SELECT t.essay_id AS id, t.stem_ids, t.stem_counts, t.norm, e.published FROM related_terms t "
            "JOIN essays e ON e.id = t.essay_id WHERE t.essay_id = ANY($1::bigint[])",
            (list(essay_ids),),
        )
        found: dict[int, RelatedVector] = {}
        for row in rows:
            published = utc(row["published"])
            ids, counts = vector_from_arrays(row["stem_ids"], row["stem_counts"])
            found[int(row["id"])] = RelatedVector(
                ids, counts, float(row["norm"]), published.date() if published else None
            )
        return found

    async def stored_terms(self, essay_id: int) -> Terms | None:
        """An essay's stored stem counts and written forms (None if it has none yet)."""
        row = await self._one("SELECT terms, forms FROM related_terms WHERE essay_id = $1", (essay_id,))
        if row is None:
            return None
        counts = decode_counts(row["terms"])
        return Terms(counts, decode_forms(row["forms"], counts))

    async def stored_query_terms(self, essay_id: int) -> tuple[Terms, dict[str, StemStatistic]] | None:
        """``stored_terms`` and the ``term_statistics`` of its stems, read together (None if it has none yet)."""
        row = await self._one(
            "SELECT t.terms, t.forms, s.ids, s.stems, s.essays FROM related_terms t, LATERAL ("
            "SELECT array_agg(d.id) AS ids, array_agg(d.term) AS stems, array_agg(d.essays) AS essays "
            "FROM related_df d WHERE d.id = ANY(t.stem_ids) AND d.essays > 0) s WHERE t.essay_id = $1",
            (essay_id,),
        )
        if row is None:
            return None
        counts = decode_counts(row["terms"])
        statistics = {
            term: StemStatistic(int(i), int(held))
            for i, term, held in zip(row["ids"] or (), row["stems"] or (), row["essays"] or (), strict=True)
        }
        return Terms(counts, decode_forms(row["forms"], counts)), statistics

    async def archive_span(self) -> ArchiveSpan:
        """The archive's size, dates and id range: how fast it is written, and where to sample it."""
        # The count read from the table's pages past _COUNTED_ESSAYS: counting 100,000 rows took 9-13 ms
        # of every /related; the estimate (ANALYZE's rows per page times the pages now, as the planner's)
        # is within a per cent or so on an archive that grows by appending, and feeds logarithms only.
        row = await self._one(
            "SELECT (SELECT CASE WHEN c.reltuples >= $1 AND c.relpages > 0 "
            "THEN round(c.reltuples / c.relpages * (pg_relation_size(c.oid) / current_setting('block_size')::int)) "
            "ELSE (SELECT count(*) FROM essays) END FROM pg_class c WHERE c.oid = 'essays'::regclass) AS n, "
            "(SELECT min(published) FROM essays) AS first, "
            "(SELECT max(published) FROM essays) AS last, (SELECT min(essay_id) FROM related_terms) AS low, "
            "(SELECT max(essay_id) FROM related_terms) AS high",
            (_COUNTED_ESSAYS,),
        )
        if row is None:
            return ArchiveSpan(0, None, None, None)
        first, last = utc(row["first"]), utc(row["last"])
        ids = (int(row["low"]), int(row["high"])) if row["low"] is not None else None
        return ArchiveSpan(int(row["n"]), first.date() if first else None, last.date() if last else None, ids)

    async def essays_without_terms(self, *, limit: int) -> list[int]:
        """Essays without related terms (none here: every essay gets them as it is stored)."""
        rows = await self._all(
            "SELECT id FROM essays e WHERE NOT EXISTS (SELECT 1 FROM related_terms t WHERE t.essay_id = e.id) "
            "ORDER BY id LIMIT $1",
            (limit,),
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
                await db.execute(
                    "INSERT INTO related_terms(essay_id, terms, forms, norm) VALUES ($1, $2::jsonb, $3::jsonb, $4) "
                    "ON CONFLICT DO NOTHING",
                    essay_id,
                    encode_counts(terms.counts),
                    encode_forms(terms.forms),
                    terms.norm,
                )
            written += 1
        return written

    async def essays_without_neighbours(self, *, limit: int) -> list[int]:
        """Essays with related terms but no neighbour list yet, to fill in."""
        rows = await self._all(
            "SELECT essay_id FROM related_terms t WHERE NOT EXISTS "
            "(SELECT 1 FROM related_lists l WHERE l.essay_id = t.essay_id) ORDER BY essay_id LIMIT $1",
            (limit,),
        )
        return [int(r["essay_id"]) for r in rows]

    async def neighbour_lists(self, essay_ids: Sequence[int]) -> dict[int, NeighbourList]:
        """The stored neighbour lists of those of ``essay_ids`` that have one: scale, length and worst score."""
        rows = await self._all(
            "SELECT l.essay_id AS id, l.scale, count(n.neighbour_id) AS size, min(n.score) AS worst "
            "FROM related_lists l LEFT JOIN related_neighbours n ON n.essay_id = l.essay_id "
            "WHERE l.essay_id = ANY($1::bigint[]) GROUP BY l.essay_id, l.scale",
            (list(essay_ids),),
        )
        return {
            int(r["id"]): NeighbourList(
                float(r["scale"]), int(r["size"]), float(r["worst"]) if r["worst"] is not None else 0.0
            )
            for r in rows
        }

    async def neighbours(self, essay_id: int) -> list[int]:
        """The essay's stored neighbours, nearest first."""
        rows = await self._all(
            "SELECT neighbour_id FROM related_neighbours WHERE essay_id = $1 ORDER BY score DESC, neighbour_id",
            (essay_id,),
        )
        return [int(r["neighbour_id"]) for r in rows]

    async def shared_neighbours(self, essay_ids: Sequence[int], neighbour_ids: Sequence[int]) -> dict[int, list[int]]:
        """Which of ``neighbour_ids`` each of ``essay_ids`` holds in its list (essays holding none are left out)."""
        if not essay_ids or not neighbour_ids:
            return {}
        rows = await self._all(
            "SELECT essay_id, array_agg(neighbour_id) AS ids FROM related_neighbours "
            "WHERE essay_id = ANY($1::bigint[]) AND neighbour_id = ANY($2::bigint[]) GROUP BY essay_id",
            (list(essay_ids), list(neighbour_ids)),
        )
        return {int(r["essay_id"]): [int(i) for i in r["ids"]] for r in rows}

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
                "SELECT n.id, (SELECT count(*) FROM (SELECT 1 FROM related_neighbours r "
                "WHERE r.neighbour_id = n.id LIMIT $2) held) AS lists FROM unnest($1::bigint[]) AS n(id)",
                [list(neighbour_ids), budget + 1],
            )
            neighbour_ids = rarest_within({int(r["id"]): int(r["lists"]) for r in rows}, budget)
        if not neighbour_ids or limit < 1:
            return []
        # Counted and ordered first, then scoped, the posts in that order until the limit: a neighbour
        # listed by thousands (at 100,000 essays, 4,700 posts listing two of 20) is probed for a few only.
        args = Args(list(neighbour_ids), exclude_id, least)
        where = [visible("e.id", guild_id, args, probe=True)]
        if before is not None:
            where.append(f"e.published < {args(stamp(before))}")
        rows = await self._all(
            "SELECT e.id FROM (SELECT essay_id, count(*) AS shared FROM related_neighbours "
            "WHERE neighbour_id = ANY($1::bigint[]) AND essay_id != $2 GROUP BY essay_id HAVING count(*) >= $3 "
            "ORDER BY count(*) DESC, essay_id OFFSET 0) "
            f"listing JOIN essays e ON e.id = listing.essay_id WHERE {' AND '.join(where)} "
            f"ORDER BY listing.shared DESC, e.id LIMIT {args(limit)}",
            args.values,
        )
        return [int(r["id"]) for r in rows]

    async def visible_ids(self, essay_ids: Sequence[int], *, guild_id: GuildScope, before: datetime | None) -> set[int]:
        """Those of ``essay_ids`` that the server may see, published before ``before`` if given."""
        args = Args(list(essay_ids))
        where = ["e.id = ANY($1::bigint[])", visible("e.id", guild_id, args, probe=True)]
        if before is not None:
            where.append(f"e.published < {args(stamp(before))}")
        rows = await self._all(f"SELECT e.id FROM essays e WHERE {' AND '.join(where)}", args.values)
        return {int(r["id"]) for r in rows}

    async def earlier_ids(self, before: datetime, *, guild_id: GuildScope, limit: int) -> list[int] | None:
        """Every essay the server may see published before ``before``, when at most ``limit`` are (see the protocol)."""
        args = Args()
        seen = visible("e.id", guild_id, args, probe=True)
        rows = await self._all(
            f"SELECT e.id, {seen} AS seen FROM essays e WHERE e.published < {args(stamp(before))} "
            # NULLS FIRST (none pass the date): the order of the published index read backwards, so it stops early.
            f"ORDER BY e.published ASC NULLS FIRST, e.id LIMIT {args(limit + 1)}",
            args.values,
        )
        if len(rows) > limit:
            return None
        return [int(r["id"]) for r in rows if r["seen"]]

    async def nearest_in_time(self, essay_id: int, *, limit: int) -> list[int]:
        """Up to ``limit`` essays published just before the essay and as many just after (none if undated)."""
        if limit < 1:
            return []
        day = "(SELECT published FROM essays WHERE id = $1)"
        rows = await self._all(
            f"(SELECT id FROM essays WHERE published <= {day} AND id != $1 ORDER BY published DESC LIMIT $2) "
            f"UNION (SELECT id FROM essays WHERE published >= {day} AND id != $1 ORDER BY published LIMIT $2)",
            (essay_id, limit),
        )
        return [int(r["id"]) for r in rows]

    async def stale_neighbour_lists(self, *, archive: int, below: int, limit: int) -> list[int]:
        """Essays whose neighbour list was made when the archive held fewer than ``below`` essays and at
        most half of ``archive``, oldest first."""
        rows = await self._all(
            "SELECT essay_id FROM related_lists WHERE archive < $1 AND archive * 2 <= $2 "
            "ORDER BY archive, essay_id LIMIT $3",
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
        """Replace an essay's neighbour list, and add it to the lists of ``joined`` (essay id -> its score
        there). Each list it joins keeps only its ``size`` best neighbours."""
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO related_lists(essay_id, scale, archive) VALUES ($1, $2, $3) "
                "ON CONFLICT (essay_id) DO UPDATE SET scale = excluded.scale, archive = excluded.archive",
                essay_id,
                scale,
                archive,
            )
            await db.execute("DELETE FROM related_neighbours WHERE essay_id = $1", essay_id)
            await db.executemany(
                "INSERT INTO related_neighbours(essay_id, neighbour_id, score) VALUES ($1, $2, $3)",
                [(essay_id, other, score) for other, score in neighbours.items()],
            )
            # In id order: two processes joining the same lists lock them in the same order.
            ordered = sorted(joined.items())
            await db.executemany(
                "INSERT INTO related_neighbours(essay_id, neighbour_id, score) "
                "SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM related_lists WHERE essay_id = $1) "
                "ON CONFLICT (essay_id, neighbour_id) DO UPDATE SET score = excluded.score",
                [(other, essay_id, score) for other, score in ordered],
            )
            await db.executemany(
                "DELETE FROM related_neighbours WHERE essay_id = $1 AND neighbour_id IN (SELECT neighbour_id "
                "FROM related_neighbours WHERE essay_id = $1 ORDER BY score DESC, neighbour_id OFFSET $2)",
                [(other, size) for other, _ in ordered],
            )

    async def save_champions(self, places: Mapping[int, Sequence[tuple[int, int]]]) -> None:
        """Replace each essay's places in its stems' champion lists (none for an essay without its neighbour list)."""
        if not places:
            return
        rows = [(essay_id, stem_id, weight) for essay_id, placed in places.items() for stem_id, weight in placed]
        async with self.transaction() as db:
            # The lists' rows locked first, in id order: two processes placing one essay take turns, and the second's
            # delete sees the first's rows (the lock does not stop other lists' rows naming these essays being written).
            listed = await db.fetch(
                "SELECT l.essay_id, t.stem_ids, t.stem_counts, t.norm FROM related_lists l "
                "JOIN related_terms t ON t.essay_id = l.essay_id WHERE l.essay_id = ANY($1::bigint[]) "
                "ORDER BY l.essay_id FOR NO KEY UPDATE OF l",
                sorted(places),
            )
            # Only places made from the vector stored now: a revision committed since they were computed placed the
            # essay from its new vector.
            essays = [
                int(row["essay_id"])
                for row in listed
                if places_match(
                    places[int(row["essay_id"])], *vector_from_arrays(row["stem_ids"], row["stem_counts"]), row["norm"]
                )
            ]
            await db.execute("DELETE FROM stem_champions WHERE essay_id = ANY($1::bigint[])", essays)
            await db.execute(
                "INSERT INTO stem_champions(essay_id, stem_id, weight) "
                "SELECT * FROM unnest($1::bigint[], $2::int[], $3::int[]) AS p(essay_id, stem_id, weight) "
                "WHERE p.essay_id = ANY($4::bigint[])",
                [row[0] for row in rows],
                [row[1] for row in rows],
                [row[2] for row in rows],
                essays,
            )

    async def stem_document_counts(self, stem_ids: Sequence[int]) -> dict[int, int]:
        """How many essays hold each of ``stem_ids`` (``related_df``); stems no essay holds are left out."""
        rows = await self._all(
            "SELECT id, essays FROM related_df WHERE id = ANY($1::int[]) AND essays > 0", (sorted(set(stem_ids)),)
        )
        return {int(r["id"]): int(r["essays"]) for r in rows}

    async def essays_without_champions(self, *, after: int, limit: int) -> list[int]:
        """Essays with a neighbour list but no champion rows (stored before migration 0015), to fill in."""
        rows = await self._all(
            "SELECT essay_id FROM related_lists l WHERE essay_id > $1 AND NOT EXISTS "
            "(SELECT 1 FROM stem_champions c WHERE c.essay_id = l.essay_id) ORDER BY essay_id LIMIT $2",
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

    async def scope_rows(self, *, derived: bool = False) -> set[tuple[int, int]]:
        """Every (server, essay) pair kept in ``guild_essays``, or with ``derived`` the pairs its rule gives."""
        source = "guild_essays_derived" if derived else "guild_essays"
        rows = await self._all(f"SELECT DISTINCT guild_id, essay_id FROM {source}")
        return {(int(r["guild_id"]), int(r["essay_id"])) for r in rows}
