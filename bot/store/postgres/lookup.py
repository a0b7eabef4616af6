"""Quote and figure search, the random quote pool, and autocomplete, in PostgreSQL.

Full-text search is ``websearch_to_tsquery`` over the tsvector columns (GIN indexes), ranked by
``ts_rank_cd`` with the column weights the SQLite store gives bm25.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.essays.model import Figure, FigureKind, Quote, QuoteKind
from bot.essays.text import STOPWORDS
from bot.store.lookup import (
    FILTERED_WINDOW,
    MATCH_WINDOW,
    POOL_ESSAYS,
    POOL_MAX_CHARS,
    POOL_MIN_CHARS,
    POOL_WINDOWS,
    TRIGRAM,
    like_pattern,
    query_words,
    rank_window,
    search_words,
)
from bot.store.postgres.base import Args, Record, utc
from bot.store.postgres.essays import EssayQueries, figure_from_row, quote_from_row
from bot.store.postgres.scope import posted, visible
from bot.store.postgres.search import search_query
from bot.store.postgres.words import Fetch, WordStatistics, word_rows
from bot.store.records import EssayChoice, EssayRef
from bot.store.scope import GuildScope

logger = logging.getLogger(__name__)

# ts_rank_cd's weights of the labels D, C, B, A: A (a title, a figure's subject) thrice C (a body).
RANK_WEIGHTS = "'{0, 0.333, 0.667, 1}'::float4[]"
_CHOICE_INPUT_MAX = 100
# Past every character: a prefix's range ends at the prefix followed by it ("C" order is code point order).
_TOP = "\U0010ffff"
_SPEAKER_NAMES_MAX = 50
# Titles holding typed text are first looked for among this many of the newest essays (a walk of the
# published index, about a millisecond): a common piece ("for") is in thousands of titles, and sorting them
# all by date cost 30-50 ms at 100,000 essays. Fewer than enough there, and the trigram index finds them all.
_CHOICE_WALK = 2000
_POOL_KINDS = "((q.kind IN ('direct', 'epigraph') AND q.speaker IS NOT NULL) OR q.kind = 'notable')"
_ESSAY_COLUMNS = "e.key AS e_key, e.title AS e_title, e.url AS e_url, e.published AS e_published"
# A speaker's random quotes are read in runs past this many times the quotes wanted (_speaker_pool).
_SPEAKER_RUNS_PAST = 4
# A row read from the GIN index's matches costs about this many rows of a walk back by id (measured:
# 1.5 us against 0.3-0.4 us at 100,000 essays).
FETCH_COST = 4.0
# Letters joined by hyphens, standing alone: PostgreSQL's parser indexes such a word whole beside its parts (a
# "hword"). Next to a digit, a dot or another hyphen it is part of something the parser cuts otherwise ("covid-19"
# is a word and a negative number, "mp3-player-case" a word of letters and digits, "foo-bar.com" a host name).
_HYPHENATED = re.compile(r"(?<![\w.-])[^\W\d_]+(?:-[^\W\d_]+)+(?![\w-]|\.\w)")


@dataclass(frozen=True, slots=True)
class Search:
    """A search's full-text query, whether its matches are ranked, and about how many rows hold each word."""

    match: str
    ranked: bool
    counts: tuple[float, ...]
    # The counts with the parts of each hyphenated word taken as that word (``search_counts``); empty without one.
    joined: tuple[float, ...] = ()

    def rows_matching(self, table_rows: float) -> float:
        """About how many of ``table_rows`` rows hold every word, by exponential backoff: the rarest word's
        share, times the square root of the next one's, the fourth root of the third's, and so on.

        Words searched together are seldom independent (a topic's words come together): their product of
        shares put "majority procedural" in 713 of 1,865,000 quotes, which 4,532 hold, and so looked at every
        match for a window of a few hundred. The rarest's share alone is the other bound (the words always
        together). The backoff between them is SQL Server's estimator for predicates taken together. For words
        that are independent it is the higher, so a filtered search's window (``_newest_matches``) is the
        narrower: about ``FILTERED_WINDOW`` matches or fewer, never all of them.

        The parts of a hyphenated word always come together, which no count of single words can tell: the rows
        holding the whole word hold them, so the estimate is at least the backoff from ``joined``.
        """
        estimate = _backoff(self.counts, table_rows)
        return max(estimate, _backoff(self.joined, table_rows)) if self.joined else estimate


def _backoff(counts: Sequence[float], table_rows: float) -> float:
    share = 1.0
    for power, count in enumerate(sorted(counts)):
        share *= min(1.0, count / max(table_rows, 1.0)) ** (0.5**power)
    return share * table_rows


def hyphenated(text: str, words: Sequence[str]) -> dict[str, frozenset[str]]:
    """The hyphenated words of ``text`` whose parts are searched (``words``; stopwords may be left out, two parts
    or more must be in), lowercased, each with its searched parts; none sharing a part with one before it, so at
    most half as many as the words.

    PostgreSQL's parser indexes such a word whole beside its parts, so the rows holding it hold those parts: a
    count of rows for them together that no count of the parts alone gives (``search_counts``).
    """
    searched = {word.lower() for word in words}
    found: dict[str, frozenset[str]] = {}
    for compound in _HYPHENATED.findall(text.lower()):
        parts = {part.lower() for part in search_words(compound)}
        taken = parts & searched
        if (
            len(taken) >= 2
            and all(part in searched for part in parts if part not in STOPWORDS)
            and not any(taken & earlier for earlier in found.values())
        ):
            found.setdefault(compound, frozenset(taken))
    return found


def search_counts(
    words: Sequence[str],
    counts: Sequence[float],
    compounds: Mapping[str, frozenset[str]],
    compound_counts: Sequence[float],
) -> tuple[float, ...]:
    """``Search.joined``: each searched word's count, except that the searched parts of a hyphenated word
    (``hyphenated``, which gives no two sharing a part) count once, as the rows holding that word.

    "rolling-stock" is searched as "rolling" and "stock"; backing off from the two parts as from two words of one
    topic put them in 1,292 of 1,865,000 quotes, where every one of the 14,611 holding a part holds both (the bench's
    generated essays), and a speaker's search of it then read all 6,500 matches of its window, not about 500.
    """
    by_word = {word.lower(): count for word, count in zip(words, counts, strict=True)}
    for (compound, parts), count in zip(compounds.items(), compound_counts, strict=True):
        for part in parts:
            del by_word[part]
        by_word[compound] = count
    return tuple(by_word.values())


def walks(wanted: float, newest: int, matching: float) -> bool:
    """Whether a search's ``wanted`` newest matches are walked for, back by id from the newest of ``newest`` rows
    (about ``wanted / share`` rows read), rather than read from the GIN index's ``matching`` matches (each a heap
    fetch, ``FETCH_COST`` rows of a walk)."""
    return wanted * newest / matching < FETCH_COST * matching


async def plan_search(fetch: Fetch, statistics: WordStatistics, table: str, text: str) -> Search | None:
    """The words of a search as the SQLite store takes them (stopwords left out when others remain), and whether
    to rank their matches: only when none of them is common (``words.py``); None when it has no words. Each word
    and each hyphenated word's whole are counted in one statement."""
    words = query_words(text)
    match = search_query(" ".join(words))
    if match is None:
        return None
    compounds = hyphenated(text, words)
    rows = await word_rows(fetch, statistics, table, [*words, *compounds], common=MATCH_WINDOW)
    counts = tuple(rows[: len(words)])
    common = any(count >= MATCH_WINDOW for count in counts)
    stopwords_only = all(word.lower() in STOPWORDS for word in words)
    joined = search_counts(words, counts, compounds, rows[len(words) :]) if compounds else ()
    return Search(match, ranked=not (common or stopwords_only), counts=counts, joined=joined)


def ref_from_row(row: Record) -> EssayRef:
    published = utc(row["e_published"])
    return EssayRef(
        key=row["e_key"],
        title=row["e_title"],
        url=row["e_url"],
        id=int(row["essay_id"]),
        published=published.date() if published else None,
    )


def choice_from_row(row: Record) -> EssayChoice:
    published = utc(row["published"])
    return EssayChoice(
        id=int(row["id"]), key=row["key"], title=row["title"], published=published.date() if published else None
    )


def _speaker_filter(column: str, speaker: str, args: Args) -> str:
    """A whole name or part of one, case-insensitively."""
    return f"(lower({column}) = lower({args(speaker)}) OR {column} ILIKE {args(like_pattern(speaker))} ESCAPE '\\')"


class LookupQueries(EssayQueries):
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
        args = Args()
        # A search's rows are few (a page, or at most MATCH_WINDOW matches): the scope is probed per row.
        scope = visible("q.essay_id", guild_id, args, probe=bool(query))
        where = [f"q.kind = ANY({args(list(kinds))}::text[])", scope]
        if speaker:
            where.append(_speaker_filter("q.speaker", speaker, args))
        essay = f"(SELECT id FROM essays WHERE key = {args(essay_key)})" if essay_key else ""
        if essay:
            where.append(f"q.essay_id = {essay}")
        rows: list[Record]
        if not query:
            rows = await self._all(
                f"SELECT q.*, {_ESSAY_COLUMNS} FROM quotes q JOIN essays e ON e.id = q.essay_id "
                f"WHERE {' AND '.join(where)} ORDER BY q.score DESC, q.id DESC LIMIT {args(limit)}",
                args.values,
            )
            return [(quote_from_row(r), ref_from_row(r)) for r in rows]
        search = await self._search("quotes", query)
        if search is None:
            return []
        tsquery = f"websearch_to_tsquery('marginalia', {args(search.match)})"
        if essay:  # one essay's few matches: every one, ranked or newest first, from the essay's rows
            order = f"ts_rank_cd(q.document, {tsquery}) DESC, q.id DESC" if search.ranked else "q.id DESC"
            rows = await self._all(
                f"SELECT q.*, {_ESSAY_COLUMNS} FROM {_essay_rows('quotes', 'q', essay)} "
                "JOIN essays e ON e.id = q.essay_id "
                f"WHERE q.document @@ {tsquery} AND {' AND '.join(where)} ORDER BY {order} LIMIT {args(limit)}",
                args.values,
            )
        elif search.ranked:
            rank = f"ts_rank_cd(q.document, {tsquery})"
            rows = await self._ranked_matches(
                "quotes", rank, "q.id DESC", tsquery, where, args, limit, narrow=bool(speaker)
            )
        else:
            rows = await self._newest_matches("quotes", search, tsquery, where, args, limit, filtered=bool(speaker))
        return [(quote_from_row(r), ref_from_row(r)) for r in rows]

    async def _search(self, table: str, text: str) -> Search | None:
        return await plan_search(self._all, self.word_statistics, table, text)

    async def _ranked_matches(
        self,
        table: str,
        rank: str,
        order: str,
        tsquery: str,
        where: Sequence[str],
        args: Args,
        limit: int,
        *,
        narrow: bool = False,
    ) -> list[Record]:
        """A ranked search's page: its ``rank_window`` best matches, then the filters (server, speaker, kind).

        Fewer than ``MATCH_WINDOW`` rows match (``_search``), so ranking them all reads at most that many
        small documents, and the server's scope is probed for the best few hundred only. When fewer than a
        page of those pass, every match is filtered and ranked (as the SQLite store does). With a ``narrow``
        filter (a speaker) few of the best pass, so every match is filtered and ranked at once (SQLite's rule).
        """
        alias = table[0]
        page = args(limit)
        # The newest MATCH_WINDOW only, should the statistics have taken a common word for a rare one.
        matches = (
            f"SELECT {alias}.* FROM {table} {alias} WHERE {alias}.document @@ {tsquery} "
            f"ORDER BY {alias}.id DESC LIMIT {MATCH_WINDOW}"
        )
        every = (
            f"SELECT {alias}.*, {_ESSAY_COLUMNS} FROM ({matches}) {alias} JOIN essays e ON e.id = {alias}.essay_id "
            f"WHERE {' AND '.join(where)} ORDER BY {rank} DESC, {order} LIMIT {page}"
        )
        if narrow:
            return await self._all(every, args.values)
        window = args(rank_window(limit))
        best = f"SELECT {alias}.id, {rank} AS r FROM ({matches}) {alias} ORDER BY r DESC, {order} LIMIT {window}"
        rows = await self._all(
            f"SELECT {alias}.*, {_ESSAY_COLUMNS} FROM ({best}) best JOIN {table} {alias} ON {alias}.id = best.id "
            f"JOIN essays e ON e.id = {alias}.essay_id WHERE {' AND '.join(where)} "
            f"ORDER BY best.r DESC, {order} LIMIT {page}",
            args.values,
        )
        if len(rows) >= limit:
            return rows
        return await self._all(every, args.values[:-1])  # all but the window's size, the last parameter

    async def _newest_matches(
        self,
        table: str,
        search: Search,
        tsquery: str,
        where: Sequence[str],
        args: Args,
        limit: int,
        *,
        filtered: bool,
        first: str | None = None,
    ) -> list[Record]:
        """A search of common words: its newest matches the server sees. ``first``: a condition whose
        matches come before the others, and that only matches hold (a figure's own words).

        With a filter the index cannot apply (a speaker, a figure's kind) only about the newest
        ``FILTERED_WINDOW`` matches are looked at, as in the SQLite store: here a range of the newest ids,
        as wide as the words' counts say holds that many. ``first``
        too is kept to that window: its rows may be far rarer than the matches.

        Two ways to find them, chosen here because the planner cannot: it sees neither how rare the scope
        or ``first`` leaves the rows nor that a LIMIT ends the walk, and took the index's every match
        (44,000 figures, 2.8 s) for a walk of a few hundred rows. A walk back from the newest row reads
        about ``wanted / share`` rows (0.3 us each), where ``wanted`` is the page, or the filtered window;
        the GIN index's matches cost a heap read each (about 1.5 us) however many are wanted.
        """
        alias = table[0]
        newest = int(await self._value(f"SELECT COALESCE(max(id), 0) FROM {table}"))
        matching = max(search.rows_matching(newest), 1.0)
        wanted = FILTERED_WINDOW if filtered else limit
        walk = walks(wanted, newest, matching)
        window = FILTERED_WINDOW * newest / matching
        window_start = max(0, int(newest - window))
        # Fewer than a page (or none) is the window's answer, as in the SQLite store. (Its window counts the
        # matches the server sees, this one the archive's: narrower for a server seeing a small share.)
        floor = args(window_start if filtered else 0)
        page = args(limit)
        if first is not None:  # a walk for the rarer rows passing it, kept to the window too
            first = f"({first} AND {alias}.id > {args(window_start)})"
        match = f"{alias}.document @@ {tsquery}"
        if not walk:
            # Every match from the GIN index (OFFSET 0: the LIMIT cannot turn it into a walk). Without a filter,
            # their ids are sorted in the page's order below the joins and the server's scope, which then stop at
            # the page: joined, probed and sorted whole, the 2,500 matches of two words at 100,000 essays took
            # 14-24 ms against 6. With a filter, which leaves few, the sort comes after it.
            ahead, ahead_first = (f", {first} AS ahead", "ahead DESC, ") if first else ("", "")
            matches = f"FROM {table} {alias} WHERE {match} AND {alias}.id > {floor}"
            if filtered:
                source = f"(SELECT *{ahead} {matches} OFFSET 0) {alias}"
                order = f"{ahead_first}{alias}.id DESC"
            else:
                source = (
                    f"(SELECT {alias}.id{ahead} {matches} ORDER BY {ahead_first}{alias}.id DESC OFFSET 0) m "
                    f"JOIN {table} {alias} USING (id)"
                )
                order = "m.ahead DESC, m.id DESC" if first else "m.id DESC"
            sql = (
                f"SELECT {alias}.*, {_ESSAY_COLUMNS} FROM {source} JOIN essays e ON e.id = {alias}.essay_id "
                f"WHERE {' AND '.join(where)} ORDER BY {order} LIMIT {page}"
            )
            return await self._all(sql, args.values)
        sql = (
            f"SELECT {alias}.*, {_ESSAY_COLUMNS} FROM {table} {alias} JOIN essays e ON e.id = {alias}.essay_id "
            f"WHERE {' AND '.join(['{match}', *where, f'{alias}.id > {floor}'])} {{first}} "
            f"ORDER BY {alias}.id DESC LIMIT {page}"
        )
        # The rows passing ``first`` are found from their own index (a figure's own words: migration 0011) when
        # the words' matches, which bound its entries, are fewer than the rows a walk of the window reads (each
        # entry costs less than a row): a rare word's own rows were walked for across 68,000 rows, while a word
        # in a third of the figures reads 150,000 entries to keep 480 of a window of 1,600.
        return await self._page(sql, args, limit, match, first, first_walk=matching > window)

    async def _page(
        self, sql: str, args: Args, limit: int, match: str, first: str | None, *, first_walk: bool
    ) -> list[Record]:
        """The rows of a walk, ``sql`` (slots: ``{match}`` the search's condition, ``{first}`` another), those
        passing ``first`` first: in two passes (the first a walk only with ``first_walk``)."""
        if first is None:
            return await self._rows(sql.format(match=match, first=""), args.values, walk=True)
        # ``first`` alone in the first pass: with the match beside it, the planner read the match's every GIN
        # entry (36,000 for a common word at 100,000 essays) instead of the id range of the window, then
        # fetched every row of ``first``'s own matches to drop all but the window's (21 against 5 ms).
        rows = await self._rows(sql.format(match=first, first=""), args.values, walk=first_walk)
        if len(rows) >= limit:
            return rows
        rest = await self._rows(sql.format(match=match, first=f"AND NOT {first}"), args.values, walk=True)
        return rows + rest[: limit - len(rows)]

    async def _rows(self, sql: str, params: Sequence[Any], *, walk: bool) -> list[Record]:
        """``_all``; for a walk, back along the primary key: neither a bitmap scan of every match nor a
        scan of the whole table and a sort, the planner's other ways."""
        if not walk:
            return await self._all(sql, params)
        async with self.transaction() as db:
            await db.execute("SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off")
            return list(await db.fetch(sql, *params))

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
        """Candidates for a random quote: attributed quotations and notable sentences of a readable length.

        Within one essay every candidate; across the server's essays (or the archive) a random sample of
        about ``limit``; ``posted_only`` keeps to essays posted in the server's channels.
        """
        rng = rng or random.Random()
        if essay_key:
            args = Args(POOL_MIN_CHARS, POOL_MAX_CHARS, essay_key)
            where = [_POOL_KINDS, "length(q.text) BETWEEN $1 AND $2", "e.key = $3"]
            where.append(visible("q.essay_id", guild_id, args))
            if speaker:
                where.append(_speaker_filter("q.speaker", speaker, args))
            return await self._pool_rows(where, args, limit=max(limit, 500))
        if speaker:
            return await self._speaker_pool(speaker, limit, rng, guild_id=guild_id, posted_only=posted_only)
        if guild_id is None:
            return await self._archive_pool(limit, rng)
        return await self._server_pool(guild_id, limit, rng, posted_only=posted_only)

    async def _pool_rows(self, where: Sequence[str], args: Args, *, limit: int) -> list[tuple[Quote, EssayRef]]:
        rows = await self._all(
            f"SELECT q.*, {_ESSAY_COLUMNS} FROM quotes q JOIN essays e ON e.id = q.essay_id "
            f"WHERE {' AND '.join(where)} ORDER BY q.id LIMIT {args(limit)}",
            args.values,
        )
        return [(quote_from_row(r), ref_from_row(r)) for r in rows]

    async def _archive_pool(self, limit: int, rng: random.Random) -> list[tuple[Quote, EssayRef]]:
        """Runs of candidates from random points of the archive (by quote id), together about ``limit``."""
        bounds = await self._one("SELECT min(id) AS low, max(id) AS high FROM quotes")
        if bounds is None or bounds["low"] is None:
            return []
        low, high = int(bounds["low"]), int(bounds["high"])
        per_window = max(1, -(-limit // POOL_WINDOWS))
        found: dict[tuple[str, int, str, str], tuple[Quote, EssayRef]] = {}
        for start in sorted(rng.randint(low, high) for _ in range(POOL_WINDOWS)):
            args = Args(start, POOL_MIN_CHARS, POOL_MAX_CHARS)
            where = ["q.id >= $1", _POOL_KINDS, "length(q.text) BETWEEN $2 AND $3"]
            for quote, ref in await self._pool_rows(where, args, limit=per_window):
                found.setdefault((ref.key, quote.section, quote.kind, quote.text), (quote, ref))
        return list(found.values())

    async def _server_pool(
        self, guild_id: int, limit: int, rng: random.Random, *, posted_only: bool
    ) -> list[tuple[Quote, EssayRef]]:
        """The candidates of a few of the server's essays (or of those posted there), chosen at random."""
        chosen = await self._random_essays(guild_id, POOL_ESSAYS, rng, posted_only=posted_only)
        if not chosen:
            return []
        args = Args(chosen, POOL_MIN_CHARS, POOL_MAX_CHARS)
        where = ["q.essay_id = ANY($1::bigint[])", _POOL_KINDS, "length(q.text) BETWEEN $2 AND $3"]
        pool = await self._pool_rows(where, args, limit=500)
        return rng.sample(pool, min(len(pool), limit))

    async def _random_essays(self, guild_id: int, count: int, rng: random.Random, *, posted_only: bool) -> list[int]:
        """About ``count`` of the server's essays (or of those posted in it), at random points of its id range,
        as the SQLite store picks them: an index probe each, in one statement. Reading every id of the server
        to sample them read 100,000 rows for a server following a large archive."""
        if posted_only:
            table, column = "publications p JOIN destinations d ON d.id = p.destination_id", "p.essay_id"
        else:
            table, column = "guild_essays d", "d.essay_id"
        bounds = await self._one(
            f"SELECT min({column}) AS low, max({column}) AS high FROM {table} WHERE d.guild_id = $1", (guild_id,)
        )
        if bounds is None or bounds["low"] is None:
            return []
        starts = sorted({rng.randint(int(bounds["low"]), int(bounds["high"])) for _ in range(count)})
        rows = await self._all(
            f"SELECT DISTINCT pick.id FROM unnest($2::bigint[]) AS s(start), LATERAL (SELECT {column} AS id "
            f"FROM {table} WHERE d.guild_id = $1 AND {column} >= s.start ORDER BY {column} LIMIT 1) AS pick",
            (guild_id, starts),
        )
        return sorted(int(row["id"]) for row in rows)

    async def _speaker_pool(
        self, speaker: str, limit: int, rng: random.Random, *, guild_id: GuildScope, posted_only: bool
    ) -> list[tuple[Quote, EssayRef]]:
        """A random sample of the quotes of the speakers ``speaker`` names (whole or part of a name).

        Of a speaker quoted a few hundred times at most, every quote read and sampled; of one quoted more,
        runs of quotes from random points of the speaker's quotes in id order (as ``_archive_pool`` does
        for the archive), each speaker's share of the runs its share of the quotes.
        """
        names = await self.speakers_named(speaker, guild_id=guild_id)
        if not names:
            return []
        keys = [name.lower() for name in names]
        # Twice the limit: a few of the sample may be too short or too long to offer.
        wanted = 2 * limit
        counts = await self._all(
            "SELECT speaker_key, quotes FROM quote_speakers WHERE speaker_key = ANY($1::text[])", (keys,)
        )
        args = Args()
        scope = (
            posted("q.essay_id", guild_id, args)
            if posted_only and guild_id is not None
            else visible("q.essay_id", guild_id, args, probe=True)
        )
        kinds = "q.kind IN ('direct', 'epigraph', 'notable')"
        if sum(int(r["quotes"]) for r in counts) <= _SPEAKER_RUNS_PAST * wanted:
            ids = [
                int(r["id"])
                for r in await self._all(
                    f"SELECT q.id FROM quotes q WHERE lower(q.speaker) = ANY({args(keys)}::text[]) "
                    f"AND {kinds} AND {scope}",
                    args.values,
                )
            ]
        else:
            ids = await self._speaker_runs(
                {r["speaker_key"]: int(r["quotes"]) for r in counts}, wanted, rng, scope, kinds, args
            )
        chosen = rng.sample(ids, min(len(ids), wanted))
        if not chosen:
            return []
        args = Args(chosen, POOL_MIN_CHARS, POOL_MAX_CHARS)
        where = ["q.id = ANY($1::bigint[])", "length(q.text) BETWEEN $2 AND $3"]
        return await self._pool_rows(where, args, limit=limit)

    async def _speaker_runs(
        self, counts: dict[str, int], wanted: int, rng: random.Random, scope: str, kinds: str, args: Args
    ) -> list[int]:
        """About ``wanted`` quote ids of the speakers (``counts``: speaker key -> quotes), in runs from
        random points of each speaker's quotes (``quotes_speaker_id``), the server's scope probed per row."""
        keys = list(counts)
        bounds = {
            r["speaker"]: (int(r["low"]), int(r["high"]))
            for r in await self._all(
                "SELECT s.speaker, (SELECT min(id) FROM quotes WHERE lower(speaker) = s.speaker) AS low, "
                "(SELECT max(id) FROM quotes WHERE lower(speaker) = s.speaker) AS high "
                "FROM unnest($1::text[]) AS s(speaker)",
                (keys,),
            )
            if r["low"] is not None
        }
        if not bounds:
            return []
        runs = 2 * POOL_WINDOWS
        speakers = rng.choices(list(bounds), weights=[counts[key] for key in bounds], k=runs)
        starts = [rng.randint(*bounds[key]) for key in speakers]
        rows = await self._all(
            f"SELECT run.id FROM unnest({args(speakers)}::text[], {args(starts)}::bigint[]) AS s(speaker, start) "
            f"CROSS JOIN LATERAL (SELECT q.id FROM quotes q WHERE lower(q.speaker) = s.speaker AND q.id >= s.start "
            f"AND {kinds} AND {scope} ORDER BY lower(q.speaker), q.id LIMIT {args(-(-wanted // runs))}) AS run",
            args.values,
        )
        return sorted({int(r["id"]) for r in rows})

    async def speakers_named(self, text: str, *, guild_id: GuildScope) -> list[str]:
        """Speakers quoted in the server's essays whose name is ``text`` or contains it, most quoted first."""
        text = " ".join(text.split())
        if not text:
            return []
        args = Args(text.lower(), like_pattern(text))
        rows = await self._all(
            "SELECT s.speaker FROM quote_speakers s WHERE (s.speaker_key = $1 OR s.speaker ILIKE $2 ESCAPE '\\') "
            f"AND {self._quoted_in_scope(guild_id, args)} "
            f"ORDER BY s.quotes DESC, s.speaker LIMIT {args(_SPEAKER_NAMES_MAX)}",
            args.values,
        )
        return [r["speaker"] for r in rows]

    @staticmethod
    def _quoted_in_scope(guild_id: GuildScope, args: Args) -> str:
        """A condition keeping speakers (``s``) quoted in at least one essay the server may see."""
        if guild_id is None:
            return "TRUE"
        return (
            "EXISTS (SELECT 1 FROM quotes q WHERE lower(q.speaker) = s.speaker_key "
            f"AND {visible('q.essay_id', guild_id, args, probe=True)})"
        )

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
        args = Args()
        where = [visible("f.essay_id", guild_id, args, probe=bool(query))]
        essay = f"(SELECT id FROM essays WHERE key = {args(essay_key)})" if essay_key else ""
        if essay:
            where.append(f"f.essay_id = {essay}")
        if kind:
            where.append(f"f.kind = {args(kind)}")
        search = await self._search("figures", query) if query else None
        if not query:
            rows = await self._all(
                f"SELECT f.*, {_ESSAY_COLUMNS} FROM essays e JOIN figures f ON f.essay_id = e.id "
                f"WHERE {' AND '.join(where)} ORDER BY e.published DESC NULLS LAST, e.id DESC, f.id "
                f"LIMIT {args(limit)}",
                args.values,
            )
        elif search is None:
            return []
        else:
            tsquery = f"websearch_to_tsquery('marginalia', {args(search.match)})"
            rank = f"ts_rank_cd({RANK_WEIGHTS}, f.document, {tsquery})"
            # Newest first, but figures whose own words (number, subject: weights A and B) hold the query
            # before those that only share its sentence: the order the column weights gave.
            own = f"(ts_filter(f.document, '{{a,b}}') @@ {tsquery})"
            if essay:  # one essay's few matches, every one ranked or newest first, from the essay's rows
                order = f"{rank} DESC, f.id" if search.ranked else f"{own} DESC, f.id DESC"
                rows = await self._all(
                    f"SELECT f.*, {_ESSAY_COLUMNS} FROM {_essay_rows('figures', 'f', essay)} "
                    "JOIN essays e ON e.id = f.essay_id "
                    f"WHERE f.document @@ {tsquery} AND {' AND '.join(where)} ORDER BY {order} LIMIT {args(limit)}",
                    args.values,
                )
            elif search.ranked:
                rows = await self._ranked_matches("figures", rank, "f.id", tsquery, where, args, limit)
            else:
                rows = await self._newest_matches(
                    "figures", search, tsquery, where, args, limit, filtered=bool(kind), first=own
                )
        contexts = await self.figure_contexts({int(r["essay_id"]) for r in rows}) if sentences else {}
        return [(figure_from_row(r, contexts), ref_from_row(r)) for r in rows]

    # ------------------------------------------------------------ autocomplete

    async def essay_choices(self, text: str, *, guild_id: GuildScope, limit: int = 25) -> list[EssayChoice]:
        """The server's essays whose title starts with ``text``, then those containing it; the newest when empty."""
        text = " ".join(text.split())[:_CHOICE_INPUT_MAX]
        if "\x00" in text:
            return []  # no title holds one (PostgreSQL's text cannot)
        columns = "e.id, e.key, e.title, e.published"
        args = Args()
        scope = visible("e.id", guild_id, args, probe=True)
        if not text:
            rows = await self._all(
                f"SELECT {columns} FROM essays e WHERE {scope} ORDER BY e.published DESC NULLS LAST, e.id DESC "
                f"LIMIT {args(limit)}",
                args.values,
            )
            return [choice_from_row(r) for r in rows]
        # A prefix is a range of the "C"-collated index, walked in its order until the limit (no LIKE: a
        # parameter's pattern gives the planner no range, and a prepared statement's plan is generic).
        typed = args(text)
        found = {
            int(r["id"]): choice_from_row(r)
            for r in await self._all(
                f'SELECT {columns} FROM essays e WHERE lower(e.title) COLLATE "C" >= lower({typed}) '
                f'AND lower(e.title) COLLATE "C" < lower({typed}) || {args(_TOP)} '
                f'AND {scope} ORDER BY lower(e.title) COLLATE "C" LIMIT {args(limit)}',
                args.values,
            )
        }
        # Titles holding the typed text: among the newest (``_CHOICE_WALK``), else through the trigram index
        # (migration 0009); a letter or two is matched at the title's start only (anywhere, it would read every
        # title for little).
        if len(found) < limit and len(text) >= TRIGRAM:
            args = Args()
            scope = visible("e.id", guild_id, args, probe=True)
            holding = f"e.title ILIKE {args(like_pattern(text))} ESCAPE '\\' AND {scope}"
            newest = "ORDER BY e.published DESC NULLS LAST, e.id DESC"
            wanted = args(limit * 2)
            rows = await self._all(
                f"SELECT {columns} FROM (SELECT {columns} FROM essays e {newest} LIMIT {_CHOICE_WALK}) e "
                f"WHERE {holding} {newest} LIMIT {wanted}",
                args.values,
            )
            if len(rows) < limit * 2:
                rows = await self._all(
                    f"SELECT {columns} FROM essays e WHERE {holding} {newest} LIMIT {wanted}", args.values
                )
            for row in rows:
                found.setdefault(int(row["id"]), choice_from_row(row))
        folded = text.casefold()
        ranked = sorted(
            found.values(),
            key=lambda c: (
                not c.title.casefold().startswith(folded),
                not any(word.startswith(folded) for word in c.title.casefold().split()),
                -(c.published.toordinal() if c.published else 0),
                c.title.casefold(),
            ),
        )
        return ranked[:limit]

    async def essays_titled(self, title: str, *, guild_id: GuildScope, limit: int = 2) -> list[EssayChoice]:
        """The server's essays whose title is exactly ``title`` (case-insensitive), for a title typed in full."""
        args = Args(" ".join(title.split()))
        rows = await self._all(
            f"SELECT e.id, e.key, e.title, e.published FROM essays e WHERE lower(e.title) = lower($1) "
            f"AND {visible('e.id', guild_id, args, probe=True)} LIMIT {args(limit)}",
            args.values,
        )
        return [choice_from_row(r) for r in rows]

    async def speaker_choices(
        self, text: str, *, guild_id: GuildScope, essay_id: int | None = None, limit: int = 25
    ) -> list[str]:
        """Speakers quoted in the server's essays starting with ``text``, then containing it, most quoted first."""
        text = " ".join(text.split())[:_CHOICE_INPUT_MAX]
        if not text:
            return await self._recent_speakers(essay_id, limit, guild_id=guild_id)
        counts: dict[str, int] = {}
        args = Args(like_pattern(text.lower())[1:])
        for row in await self._all(
            "SELECT s.speaker, s.quotes FROM quote_speakers s WHERE s.speaker_key LIKE $1 ESCAPE '\\' "
            f"AND {self._quoted_in_scope(guild_id, args)} ORDER BY s.quotes DESC LIMIT {args(limit)}",
            args.values,
        ):
            counts[row["speaker"]] = int(row["quotes"])
        if len(counts) < limit:
            args = Args(like_pattern(text))
            for row in await self._all(
                "SELECT s.speaker, s.quotes FROM quote_speakers s WHERE s.speaker ILIKE $1 ESCAPE '\\' "
                f"AND {self._quoted_in_scope(guild_id, args)} ORDER BY s.quotes DESC LIMIT {args(limit * 2)}",
                args.values,
            ):
                counts.setdefault(row["speaker"], int(row["quotes"]))
        folded = text.casefold()
        ranked = sorted(
            counts,
            key=lambda name: (
                not name.casefold().startswith(folded),
                not any(word.startswith(folded) for word in name.casefold().split()),
                -counts[name],
                name.casefold(),
            ),
        )
        return ranked[:limit]

    async def _recent_speakers(self, essay_id: int | None, limit: int, *, guild_id: GuildScope) -> list[str]:
        args = Args()
        scope = visible("e.id", guild_id, args)
        if essay_id is not None:
            essays_sql = f"SELECT e.id FROM essays e WHERE e.id = {args(essay_id)} AND {scope}"
        else:
            essays_sql = (
                f"SELECT e.id FROM essays e WHERE {scope} ORDER BY e.published DESC NULLS LAST, e.id DESC LIMIT 20"
            )
        params: list[Any] = args.values
        rows = await self._all(
            f"SELECT min(speaker) AS speaker, count(*) AS n FROM quotes WHERE essay_id IN ({essays_sql}) "
            "AND speaker IS NOT NULL AND kind IN ('direct', 'epigraph') "
            f"GROUP BY lower(speaker) ORDER BY n DESC, min(speaker) LIMIT {args(limit)}",
            params,
        )
        return [r["speaker"] for r in rows]


def _essay_rows(table: str, alias: str, essay: str) -> str:
    """The rows of one essay (``essay``: a subquery of its id), read by the essay's index: with a search's
    match beside it, a generic plan took a common word's every GIN entry (200,000 at 100,000 essays, 40 ms)
    to intersect with the essay's few dozen rows. OFFSET 0 keeps the subquery whole."""
    return f"(SELECT * FROM {table} WHERE essay_id = {essay} OFFSET 0) {alias}"
