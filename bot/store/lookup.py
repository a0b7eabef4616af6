"""Quote and figure search, the random quote pool, and autocomplete for the slash commands and the CLI."""

from __future__ import annotations

import codecs
import functools
import json
import logging
import random
import sqlite3
import unicodedata
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from bot.essays.model import Figure, FigureKind, Quote, QuoteKind
from bot.essays.text import STOPWORDS
from bot.store.base import StoreBase, from_iso
from bot.store.lists import id_list, in_list
from bot.store.packing import unpack, unpack_sentences
from bot.store.records import EssayChoice, EssayRef
from bot.store.scope import GuildScope, posted, visible

logger = logging.getLogger(__name__)

# Bounds of a quote worth offering at random: long enough to say something, short enough to read.
POOL_MIN_CHARS = 30
POOL_MAX_CHARS = 600
# The top of every Unicode range: "prefix" <= title < "prefix" + TOP is a prefix match.
_TOP = "\U0010ffff"
# Autocomplete input is short in practice; a longer one is clipped rather than scanned for.
_CHOICE_INPUT_MAX = 100
# A random quote across the archive comes from this many short runs of quotes, each starting at
# a random id: a few index range reads instead of ordering every quote by random().
POOL_WINDOWS = 6
# A random quote in a server comes from the quotes of this many of its essays, chosen at random.
POOL_ESSAYS = 12
# Speakers a partial name may stand for, at most (the most quoted first).
_SPEAKER_NAMES_MAX = 50
# A search across the archive ranks at most this many of its newest matches: ranking every match
# of a very common word (40,000 figures say "percent" at 10,000 essays) costs tens of milliseconds.
MATCH_WINDOW = 2000
# A search of common words with a filter the index cannot apply (a kind, a speaker) looks for its
# answers among this many of the newest matches the server sees: each costs a few microseconds of
# joins, and newest first, the page is nearly always filled well within them.
FILTERED_WINDOW = 500
# A ranked search joins this many of its best matches (at least four pages' worth) to the essays
# and the filters; only when fewer than a page pass does it rank and join every match.
RANK_WINDOW = 200
QUOTE_RANK = "bm25(quote_fts)"
# A figure's own words (number, subject) weigh more than the sentence it was cited in.
FIGURE_RANK = "bm25(figure_fts, 2.0, 3.0, 1.0)"
# A speaker's random quote reads every quote id of the speaker up to this many quotes (about a
# millisecond), and probes the index for a sample beyond: thousands at 100,000 essays took 80 ms.
SPEAKER_READ_MAX = 1000
# ... or reads the quotes of the essays posted in the server when they are at most this many.
POSTED_READ_MAX = 50
# A probe for a speaker's quote walks at most this many of the speaker's quotes for one in scope.
PROBE_WALK = 32
_SPEAKER_KINDS = ("direct", "epigraph", "notable")
_SPEAKER_POOL_KINDS = "('direct', 'epigraph', 'notable')"
_POOL_KINDS = "((q.kind IN ('direct', 'epigraph') AND q.speaker IS NOT NULL) OR q.kind = 'notable')"


def search_words(text: str, *, max_terms: int = 32) -> list[str]:
    """The words of free text a search looks for, each once, as FTS5's unicode61 tokenizer cuts them.

    Whatever the user typed (operators, quotes, brackets, emoji, 6,000 characters) becomes plain
    words; an empty list when nothing searchable is left. No word is two tokens to the index
    ("don't" and "3.5" are two words, as the index holds them), so no quoted term is a phrase
    and the query works on any index, whatever detail of positions it keeps.
    """
    terms: list[str] = []
    seen: set[str] = set()
    for term in _words(text):
        if term.lower() not in seen:
            seen.add(term.lower())
            terms.append(term)
        if len(terms) >= max_terms:
            break
    return terms


def ranked_query(text: str) -> tuple[str | None, bool]:
    """The FTS5 query a lookup runs for ``text``, and whether it may be ranked by bm25.

    Stopwords ("the", "and", "said") are left out when other words remain: they match nearly
    every row and add nothing to the ranking. A query of stopwords alone is still searched,
    newest matches first. (``rank_probe`` then tells whether the words left are rare enough.)
    """
    words = query_words(text)
    return (" ".join(fts_term(word) for word in words) if words else None), any(
        word.lower() not in STOPWORDS for word in words
    )


def query_words(text: str) -> list[str]:
    """The words a lookup searches for: its words without stopwords, or all of them when only stopwords."""
    words = search_words(text)
    return [word for word in words if word.lower() not in STOPWORDS] or words


def rank_probe(fts: str, words: Sequence[str]) -> tuple[str, list[Any]]:
    """SQL whose one row says, per word, whether ``MATCH_WINDOW`` rows or more of ``fts`` hold it.

    bm25 reads the whole posting list of every word for its idf: for a word in half the rows
    that is most of the cost of a lookup, and it decides little, since every match of an AND
    query holds every word. So a query with such a word is answered newest match first (FTS5
    walks its rowids backwards and stops at the page's end); a query of rare words only is
    ranked by bm25 over all its matches, fewer than ``MATCH_WINDOW``. Each probe reads at most
    ``MATCH_WINDOW`` entries of one posting list.
    """
    probe = f"(SELECT rowid FROM {fts} WHERE {fts} MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?) IS NOT NULL"
    return "SELECT " + ", ".join(probe for _ in words), [v for w in words for v in (fts_term(w), MATCH_WINDOW - 1)]


def _essay_rows(fts: str, table: str) -> str:
    """A condition keeping a search in one essay (its key given twice) to that essay's rows.

    An essay's rows are written together, so their ids are one range: FTS5 seeks to it, where
    ``rowid IN (...)`` would run the whole match once per listed row. (The caller's join on the
    essay keeps the answer exact should a range ever hold another essay's row.)
    """
    essay = "(SELECT id FROM essays WHERE key = ?)"
    return (
        f"{fts}.rowid BETWEEN (SELECT min(id) FROM {table} WHERE essay_id = {essay}) "
        f"AND (SELECT max(id) FROM {table} WHERE essay_id = {essay})"
    )


def rank_window(limit: int) -> int:
    """How many of the best matches a ranked search joins before falling back to all of them."""
    return max(RANK_WINDOW, 4 * limit)


def _best_matches(fts: str, rank: str, tie: str) -> str:
    """The ``rank_window`` best rows of an FTS5 match, best first (parameters: the match, the window)."""
    return f"SELECT rowid AS id, {rank} AS r FROM {fts} WHERE {fts} MATCH ? ORDER BY r, {tie} LIMIT ?"


def _words(text: str) -> Iterator[str]:
    """The tokens of unicode61: runs of the characters it takes as part of a word."""
    word: list[str] = []
    for ch in text:
        if _in_word(ch):
            word.append(ch)
        elif word:
            yield "".join(word)
            word = []
    if word:
        yield "".join(word)


@functools.lru_cache(maxsize=4096)
def _in_word(ch: str) -> bool:
    # unicode61's default token classes (L*, N*, Co), from SQLite's older Unicode tables: vowel
    # signs and tone marks that Unicode later moved from marks to letters still separate words there.
    category = unicodedata.category(ch)
    if category == "Lo" and not ch.isascii():
        name = unicodedata.name(ch, "")
        return " SIGN " not in name and " MARK" not in name
    return category[0] in "LN" or category == "Co"


def fts_term(word: str) -> str:
    """One word as a quoted FTS5 term (no operator inside it can act)."""
    return '"' + word.replace('"', '""') + '"'


def fts_query(text: str, *, max_terms: int = 32) -> str | None:
    """Free text as a safe FTS5 query: each of its ``search_words`` a quoted term, ANDed; None when none."""
    terms = search_words(text, max_terms=max_terms)
    return " ".join(fts_term(term) for term in terms) if terms else None


# Characters in a trigram: typed text shorter than this cannot be looked up by its pieces.
TRIGRAM = 3


def fts_phrase(text: str) -> str:
    """``text`` as one FTS5 phrase (quotes doubled): for the trigram tokenizer, the text anywhere."""
    return '"' + text.replace('"', '""') + '"'


def like_pattern(text: str) -> str:
    """A LIKE pattern (ESCAPE '\\') matching ``text`` anywhere, its wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def quote_from_row(row: sqlite3.Row) -> Quote:
    return Quote(
        text=row["text"],
        kind=cast(QuoteKind, row["kind"]),
        section=int(row["section"]),
        speaker=row["speaker"],
        score=float(row["score"]),
    )


def figure_from_row(row: sqlite3.Row, contexts: Mapping[int, Sequence[str]]) -> Figure:
    """A stored figure; ``contexts`` holds the sentences of its essay (``LookupQueries.figure_contexts``),
    and a figure whose essay it leaves out has no ``context`` yet (``figure_sentences`` reads it)."""
    sentences = contexts.get(int(row["essay_id"]), ())
    number = int(row["context_idx"])
    return Figure(
        text=row["text"],
        kind=cast(FigureKind, row["kind"]),
        section=int(row["section"]),
        context=sentences[number] if number < len(sentences) else "",
        subject=row["subject"],
        value=row["value"],
        unit=row["unit"],
        value_high=row["value_high"],
        qualifier=row["qualifier"],
        id=int(row["id"]),
    )


def _sentences_at(packed: bytes | str, body: bytes | str, numbers: Iterable[int]) -> list[str]:
    """Sentences ``numbers`` of an essay's packed figure contexts (``packing.pack_sentences``), others empty.

    A sentence is kept whole or as ``[start, length]`` into the body's JSON; the body is inflated
    only up to the end of the last sentence wanted.
    """
    items = json.loads(unpack(packed))
    wanted = [number for number in numbers if number < len(items)]
    ends = [items[n][0] + items[n][1] for n in wanted if not isinstance(items[n], str)]
    text = _unpack_prefix(body, max(ends)) if ends else ""
    sentences = [""] * len(items)
    for number in wanted:
        item = items[number]
        sentences[number] = item if isinstance(item, str) else text[item[0] : item[0] + item[1]]
    return sentences


def _unpack_prefix(blob: bytes | str, chars: int) -> str:
    """At least the first ``chars`` characters of ``packing.unpack(blob)`` (all of it when shorter)."""
    if isinstance(blob, str):
        return blob
    inflate = zlib.decompressobj()
    decoder = codecs.getincrementaldecoder("utf-8")()
    text = decoder.decode(inflate.decompress(blob, chars))
    # A character is one to four bytes: ask for the characters still missing until there are enough.
    while len(text) < chars and inflate.unconsumed_tail:
        text += decoder.decode(inflate.decompress(inflate.unconsumed_tail, chars - len(text)))
    return text


def _ref_from_row(row: sqlite3.Row) -> EssayRef:
    published = from_iso(row["e_published"])
    return EssayRef(
        key=row["e_key"],
        title=row["e_title"],
        url=row["e_url"],
        id=int(row["essay_id"]),
        published=published.date() if published else None,
    )


def _choice_from_row(row: sqlite3.Row) -> EssayChoice:
    published = from_iso(row["published"])
    return EssayChoice(
        id=int(row["id"]),
        key=row["key"],
        title=row["title"],
        published=published.date() if published else None,
    )


_ESSAY_COLUMNS = "e.key AS e_key, e.title AS e_title, e.url AS e_url, e.published AS e_published"


@dataclass(frozen=True, slots=True)
class _RankedSearch:
    """What differs between the quote and the figure search in ``_ranked_page``."""

    fts: str
    rank: str
    table: str
    alias: str
    tie: str  # the order of equally ranked rows by id: "DESC" (newest first) or "ASC"


_QUOTE_SEARCH = _RankedSearch("quote_fts", QUOTE_RANK, "quotes", "q", "DESC")
_FIGURE_SEARCH = _RankedSearch("figure_fts", FIGURE_RANK, "figures", "f", "ASC")


class LookupQueries(StoreBase):
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
        """Quotes the server may see matching words of ``query`` (best first), or the highest-scored ones.

        ``speaker`` matches a whole name or part of one, case-insensitively.
        """
        scope_sql, scope_params = visible("q.essay_id", guild_id)
        # What every row must pass, whatever the search: kind, server, speaker.
        filters = [f"q.kind IN ({','.join('?' * len(kinds))})", scope_sql]
        filter_params: list[Any] = [*kinds, *scope_params]
        if speaker:
            filters.append("(q.speaker = ? COLLATE NOCASE OR q.speaker LIKE ? ESCAPE '\\')")
            filter_params.extend([speaker, like_pattern(speaker)])
        where, params = list(filters), list(filter_params)
        join = ""
        order = "q.score DESC, q.id DESC"
        if query:
            match, ranked = ranked_query(query)
            if match is None:
                return []
            ranked = ranked and not await self._common_words("quote_fts", query_words(query))
            # Not with a speaker: few of the best matches are one speaker's, so the window would
            # rank every match inside FTS5 only for the full ranking below to follow (which
            # computes bm25 for the speaker's matches alone: rare words, at most MATCH_WINDOW).
            if ranked and not essay_key and not speaker:
                page = await self._ranked_page(_QUOTE_SEARCH, filters, filter_params, match, limit)
                if page is not None:
                    return [(quote_from_row(r), _ref_from_row(r)) for r in page]
            join = "JOIN quote_fts ON quote_fts.rowid = q.id"
            where.append("quote_fts MATCH ?")
            params.append(match)
            order = f"{QUOTE_RANK}, q.id DESC" if ranked else "quote_fts.rowid DESC"
            if essay_key:
                where.append(_essay_rows("quote_fts", "quotes"))
                params.extend([essay_key, essay_key])
            elif not ranked and speaker:
                full, newest = await self._newest_matches("quote_fts", "quotes", match, guild_id)
                if not newest:
                    return []
                if full:
                    where.append("quote_fts.rowid >= ?")
                    params.append(newest[-1])
                else:  # every match the server sees: read by id, without a second walk
                    join, order = "", "q.id DESC"
                    where = [*filters, in_list("q.id")]
                    params = [*filter_params, id_list(newest)]
        if essay_key:
            where.append("e.key = ?")
            params.append(essay_key)
        rows = await self._all(
            f"SELECT q.*, {_ESSAY_COLUMNS} FROM quotes q "
            f"JOIN essays e ON e.id = q.essay_id {join} WHERE {' AND '.join(where)} "
            f"ORDER BY {order} LIMIT ?",
            (*params, limit),
        )
        return [(quote_from_row(r), _ref_from_row(r)) for r in rows]

    async def _ranked_page(
        self, search: _RankedSearch, filters: Sequence[str], params: Sequence[Any], match: str, limit: int
    ) -> list[sqlite3.Row] | None:
        """The best page of a ranked search from its ``rank_window`` best matches; None when that may be wrong.

        Ranking inside FTS5 and joining only the best few hundred is a fraction of joining every
        match. The page is the true best when a full page of the window's rows passes the filters,
        or when the window held every match (a rare word: one query, however few pass). Otherwise
        (a full window and a narrow server scope, a speaker or a kind) the caller ranks every match.
        """
        t = search.alias
        window = rank_window(limit)
        rows = await self._all(
            f"WITH hits AS MATERIALIZED ({_best_matches(search.fts, search.rank, f'rowid {search.tie}')}) "
            "SELECT matched.n AS window_rows, page.* FROM (SELECT count(*) AS n FROM hits) matched LEFT JOIN ("
            f"SELECT {t}.*, {_ESSAY_COLUMNS}, hits.r AS hit_rank FROM hits JOIN {search.table} {t} ON {t}.id = hits.id "
            f"JOIN essays e ON e.id = {t}.essay_id WHERE {' AND '.join(filters)} "
            f"ORDER BY hits.r, {t}.id {search.tie} LIMIT ?) page ON 1 ORDER BY page.hit_rank, page.id {search.tie}",
            (match, window, *params, limit),
        )
        page = [row for row in rows if row["id"] is not None]
        if len(page) >= limit or (rows and int(rows[0]["window_rows"]) < window):
            return page
        return None

    async def _newest_matches(self, fts: str, table: str, match: str, guild_id: GuildScope) -> tuple[bool, list[int]]:
        """Whether the server sees ``FILTERED_WINDOW`` matches or more, and the ids of its matches.

        Only with a filter the index cannot apply (a figure's kind, a quote's speaker): newest
        first, a search without one stops at its page's last row, but with one it would walk
        every match of a common word for the few rows that pass. With a full window, the one id
        given is the window's last, which bounds that walk. Otherwise the ids are every match,
        newest first, and the search reads them by id instead of walking the index again: two
        common words that seldom meet make FTS5 read both words' entries, a few milliseconds at
        100,000 essays.
        """
        scope_sql, scope_params = visible("t.essay_id", guild_id)
        # A full window sends back its last id alone (the only one the caller then needs).
        rows = await self._all(
            f"WITH window AS MATERIALIZED (SELECT {fts}.rowid AS id FROM {fts} JOIN {table} t ON t.id = {fts}.rowid "
            f"WHERE {fts} MATCH ? AND {scope_sql} ORDER BY {fts}.rowid DESC LIMIT ?), "
            "size AS (SELECT count(*) AS n, min(id) AS last FROM window) "
            "SELECT window.id, size.n FROM window, size WHERE size.n < ? OR window.id = size.last "
            "ORDER BY window.id DESC",
            (match, *scope_params, FILTERED_WINDOW, FILTERED_WINDOW),
        )
        full = bool(rows) and int(rows[0]["n"]) >= FILTERED_WINDOW
        return full, [int(row["id"]) for row in rows]

    async def _common_words(self, fts: str, words: Sequence[str]) -> bool:
        """Whether any of ``words`` is in ``MATCH_WINDOW`` rows or more of ``fts`` (``rank_probe``)."""
        if not words:
            return False
        sql, params = rank_probe(fts, words)
        row = await self._one(sql, params)
        return row is not None and any(row)

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

        Within one essay every candidate comes back; across the server's essays (or the
        archive) a random sample of about ``limit``, so each call can offer something new;
        ``posted_only`` keeps to essays posted in the server's channels, whose threads the
        answer can link. No query reads more than the candidates it returns and a bounded
        part of an index.
        """
        rng = rng or random.Random()
        scope_sql, scope_params = visible("q.essay_id", guild_id)
        if essay_key:
            where = [_POOL_KINDS, "length(q.text) BETWEEN ? AND ?", "e.key = ?", scope_sql]
            params: list[Any] = [POOL_MIN_CHARS, POOL_MAX_CHARS, essay_key, *scope_params]
            if speaker:
                where.append("(q.speaker = ? COLLATE NOCASE OR q.speaker LIKE ? ESCAPE '\\')")
                params.extend([speaker, like_pattern(speaker)])
            return await self._pool_rows(where, params, order="q.id", limit=max(limit, 500))
        if speaker:
            return await self._speaker_pool(speaker, limit, rng, guild_id=guild_id, posted_only=posted_only)
        if guild_id is None:
            return await self._archive_pool(limit, rng)
        return await self._server_pool(guild_id, limit, rng, posted_only=posted_only)

    async def _pool_rows(
        self, where: Sequence[str], params: Sequence[Any], *, order: str, limit: int
    ) -> list[tuple[Quote, EssayRef]]:
        rows = await self._all(
            f"SELECT q.*, {_ESSAY_COLUMNS} FROM quotes q JOIN essays e ON e.id = q.essay_id "
            f"WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?",
            (*params, limit),
        )
        return [(quote_from_row(r), _ref_from_row(r)) for r in rows]

    async def _archive_pool(self, limit: int, rng: random.Random) -> list[tuple[Quote, EssayRef]]:
        """Runs of candidates from random points of the archive (by quote id), together about ``limit``."""
        # Two subqueries: SQLite answers a lone min() or max() from the rowid, but not both in one.
        bounds = await self._one("SELECT (SELECT min(id) FROM quotes) AS low, (SELECT max(id) FROM quotes) AS high")
        if bounds is None or bounds["low"] is None:
            return []
        low, high = int(bounds["low"]), int(bounds["high"])
        per_window = max(1, -(-limit // POOL_WINDOWS))
        found: dict[int, tuple[Quote, EssayRef]] = {}
        for start in sorted(rng.randint(low, high) for _ in range(POOL_WINDOWS)):
            rows = await self._all(
                f"SELECT q.*, {_ESSAY_COLUMNS} FROM quotes q JOIN essays e ON e.id = q.essay_id "
                f"WHERE q.id >= ? AND {_POOL_KINDS} AND length(q.text) BETWEEN ? AND ? ORDER BY q.id LIMIT ?",
                (start, POOL_MIN_CHARS, POOL_MAX_CHARS, per_window),
            )
            for row in rows:
                found.setdefault(int(row["id"]), (quote_from_row(row), _ref_from_row(row)))
        return list(found.values())

    async def _server_pool(
        self, guild_id: int, limit: int, rng: random.Random, *, posted_only: bool
    ) -> list[tuple[Quote, EssayRef]]:
        """The candidates of a few of the server's essays (or of those posted there), chosen at random."""
        chosen = await self._random_essays(guild_id, POOL_ESSAYS, rng, posted_only=posted_only)
        if not chosen:
            return []
        where = [in_list("q.essay_id"), _POOL_KINDS, "length(q.text) BETWEEN ? AND ?"]
        pool = await self._pool_rows(where, [id_list(chosen), POOL_MIN_CHARS, POOL_MAX_CHARS], order="q.id", limit=500)
        return rng.sample(pool, min(len(pool), limit))

    async def _random_essays(self, guild_id: int, count: int, rng: random.Random, *, posted_only: bool) -> list[int]:
        """About ``count`` of the server's essays (or of those posted in it), at random points of its id range.

        Each pick is one index probe, all in one statement, however many essays the server has.
        """
        if posted_only:
            table, column = "publications p JOIN destinations d ON d.id = p.destination_id", "p.essay_id"
        else:
            table, column = "guild_essays d", "d.essay_id"
        bounds = await self._one(
            f"SELECT (SELECT min({column}) FROM {table} WHERE d.guild_id = ?) AS low, "
            f"(SELECT max({column}) FROM {table} WHERE d.guild_id = ?) AS high",
            (guild_id, guild_id),
        )
        if bounds is None or bounds["low"] is None:
            return []
        low, high = int(bounds["low"]), int(bounds["high"])
        probe = (
            f"SELECT (SELECT {column} FROM {table} WHERE d.guild_id = ? AND {column} >= ? ORDER BY {column} LIMIT 1)"
        )
        starts = sorted({rng.randint(low, high) for _ in range(count)})
        rows = await self._all(
            " UNION ALL ".join([probe] * len(starts)), [value for start in starts for value in (guild_id, start)]
        )
        return sorted({int(row[0]) for row in rows if row[0] is not None})

    async def _speaker_pool(
        self, speaker: str, limit: int, rng: random.Random, *, guild_id: GuildScope, posted_only: bool
    ) -> list[tuple[Quote, EssayRef]]:
        """A random sample of the quotes of the speakers ``speaker`` names (whole or part of a name).

        A speaker with few quotes is read whole, as are the quotes of the essays posted in the
        server when those are few. A speaker quoted thousands of times is sampled from the
        quotes of a few of their essays found by random probes of the speaker index
        (``_probe_speakers``): its cost does not grow with the archive, where reading every
        quote id of the speaker did (80 ms at 100,000 essays).
        """
        named = await self._speakers_counted(speaker, guild_id=guild_id)
        if not named:
            return []
        names = [name for name, _ in named]
        # Qualified: inside the scope's subquery a bare "essay_id" would be the scope table's own.
        if posted_only and guild_id is not None:
            scope_sql, scope_params = posted("q.essay_id", guild_id)
        else:
            scope_sql, scope_params = visible("q.essay_id", guild_id)
        marks = ",".join("?" * len(names))
        of_speakers = f"q.speaker COLLATE NOCASE IN ({marks}) AND q.kind IN {_SPEAKER_POOL_KINDS}"
        every_quote = f"SELECT q.id FROM quotes q INDEXED BY quotes_speaker_kind WHERE {of_speakers} AND {scope_sql}"
        if sum(count for _, count in named) <= SPEAKER_READ_MAX:
            rows = await self._all(every_quote, [*names, *scope_params])
        elif posted_only and guild_id is not None and await self._posted_count(guild_id) <= POSTED_READ_MAX:
            # The essays posted here are few: their quotes of the speaker, from the essays' side.
            rows = await self._all(
                f"SELECT q.id FROM quotes q INDEXED BY quotes_essay WHERE {scope_sql} AND {of_speakers}",
                [*scope_params, *names],
            )
        else:
            essays = await self._probe_speakers(named, POOL_ESSAYS, rng, scope_sql, scope_params)
            if essays:
                rows = await self._all(
                    "SELECT q.id FROM quotes q INDEXED BY quotes_essay "
                    f"WHERE {in_list('q.essay_id')} AND {of_speakers}",
                    [id_list(essays), *names],
                )
            else:  # a scope too narrow for the probes' walks: read every id, as for a few
                rows = await self._all(every_quote, [*names, *scope_params])
        # Twice the limit: a few of the sample may be too short or too long to offer.
        chosen = rng.sample([int(r["id"]) for r in rows], min(len(rows), 2 * limit))
        if not chosen:
            return []
        found = await self._all(
            f"SELECT q.*, {_ESSAY_COLUMNS} FROM quotes q JOIN essays e ON e.id = q.essay_id "
            f"WHERE {in_list('q.id')} AND length(q.text) BETWEEN ? AND ?",
            [id_list(chosen), POOL_MIN_CHARS, POOL_MAX_CHARS],
        )
        # In the sample's own order: cut in id order, a sample's newest quotes could never come up.
        position = {quote_id: number for number, quote_id in enumerate(chosen)}
        found.sort(key=lambda row: position[int(row["id"])])
        return [(quote_from_row(r), _ref_from_row(r)) for r in found[:limit]]

    async def _probe_speakers(
        self,
        named: Sequence[tuple[str, int]],
        count: int,
        rng: random.Random,
        scope_sql: str,
        scope_params: Sequence[Any],
    ) -> list[int]:
        """Up to ``count`` essays in scope quoting the named speakers, found by random probes of the index.

        Each probe picks a speaker (weighted by how often each is quoted) and a random id in the
        range of that speaker's quotes, and takes the essay of the speaker's first quote in
        scope from there: a seek of ``quotes_speaker_kind`` per kind, walking at most
        ``PROBE_WALK`` entries for one the server may see (``scope_sql``, on ``q.essay_id``).
        An essay comes up in proportion to the gap in ids before its first quote of the speaker
        (as the other pools pick essays by id), so every one can, and all its quotes of the
        speaker are candidates: a speaker's quotes in one essay have neighbouring ids, so taking
        only the first one found would nearly never offer the others.
        """
        kinds = list(_SPEAKER_KINDS)
        # json_extract rather than "->>", which SQLite has only since 3.38.
        bounds = await self._all(
            "WITH b AS (SELECT json_extract(value, '$[0]') AS name, json_extract(value, '$[1]') AS kind "
            "FROM json_each(?)) SELECT b.name, "
            "(SELECT id FROM quotes INDEXED BY quotes_speaker_kind WHERE speaker = b.name COLLATE NOCASE "
            "AND kind = b.kind ORDER BY id LIMIT 1) AS low, "
            "(SELECT id FROM quotes INDEXED BY quotes_speaker_kind WHERE speaker = b.name COLLATE NOCASE "
            "AND kind = b.kind ORDER BY id DESC LIMIT 1) AS high FROM b",
            [json.dumps([[name, kind] for name, _ in named for kind in kinds])],
        )
        ranges: dict[str, tuple[int, int]] = {}
        for row in bounds:
            if row["low"] is not None:
                low, high = ranges.get(row["name"], (int(row["low"]), int(row["high"])))
                ranges[row["name"]] = (min(low, int(row["low"])), max(high, int(row["high"])))
        weighted = [(name, quotes) for name, quotes in named if name in ranges]
        if not weighted:
            return []
        picks = rng.choices([name for name, _ in weighted], weights=[max(1, q) for _, q in weighted], k=count)
        # One row per probe and kind, from the probe's one start; its answer is the lowest of its kinds'.
        starts = [(name, rng.randint(*ranges[name])) for name in picks]
        probes = [[number, name, kind, start] for number, (name, start) in enumerate(starts) for kind in kinds]
        rows = await self._all(
            "WITH p AS (SELECT json_extract(value, '$[0]') AS probe, json_extract(value, '$[1]') AS name, "
            "json_extract(value, '$[2]') AS kind, json_extract(value, '$[3]') AS start FROM json_each(?)) "
            "SELECT p.probe, w.id, w.essay_id FROM p JOIN quotes w ON w.id = "
            "(SELECT q.id FROM (SELECT id, essay_id FROM quotes INDEXED BY quotes_speaker_kind "
            "WHERE speaker = p.name COLLATE NOCASE AND kind = p.kind AND id >= p.start "
            f"ORDER BY id LIMIT ?) q WHERE {scope_sql} LIMIT 1)",
            [json.dumps(probes), PROBE_WALK, *scope_params],
        )
        first: dict[int, tuple[int, int]] = {}
        for row in rows:
            found = (int(row["id"]), int(row["essay_id"]))
            first[int(row["probe"])] = min(first.get(int(row["probe"]), found), found)
        return sorted({essay_id for _, essay_id in first.values()})

    async def _posted_count(self, guild_id: int) -> int:
        """How many essays are posted in the server's channels, counting no further than ``POSTED_READ_MAX + 1``."""
        row = await self._one(
            "SELECT count(*) AS n FROM (SELECT 1 FROM destinations d JOIN publications p ON p.destination_id = d.id "
            "WHERE d.guild_id = ? LIMIT ?)",
            (guild_id, POSTED_READ_MAX + 1),
        )
        return int(row["n"]) if row else 0

    async def _speakers_counted(self, text: str, *, guild_id: GuildScope) -> list[tuple[str, int]]:
        """``speakers_named`` with how many quotes name each (every kind, every server)."""
        text = " ".join(text.split())
        if not text:
            return []
        quoted_here, scope_params = self._quoted_in_scope("s.speaker", guild_id)
        rows = await self._all(
            "SELECT s.speaker, s.quotes FROM quote_speakers s WHERE (s.speaker = ? OR s.speaker LIKE ? ESCAPE '\\') "
            f"AND {quoted_here} ORDER BY s.quotes DESC LIMIT ?",
            (text, like_pattern(text), *scope_params, _SPEAKER_NAMES_MAX),
        )
        return [(r["speaker"], int(r["quotes"])) for r in rows]

    async def speakers_named(self, text: str, *, guild_id: GuildScope) -> list[str]:
        """Speakers quoted in the server's essays whose name is ``text`` or contains it, most quoted first."""
        return [name for name, _ in await self._speakers_counted(text, guild_id=guild_id)]

    @staticmethod
    def _quoted_in_scope(speaker_column: str, guild_id: GuildScope) -> tuple[str, list[Any]]:
        """A condition keeping speakers quoted in at least one essay the server may see."""
        if guild_id is None:
            return "1", []
        scope_sql, scope_params = visible("q.essay_id", guild_id)
        return (
            f"EXISTS (SELECT 1 FROM quotes q INDEXED BY quotes_speaker_kind "
            f"WHERE q.speaker = {speaker_column} COLLATE NOCASE AND {scope_sql})",
            scope_params,
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
        without their sentences (``context``) unless ``sentences`` (``figure_sentences`` cuts them later)."""
        scope_sql, scope_params = visible("e.id", guild_id)
        # What every row must pass, whatever the search: server, kind.
        filters = [scope_sql]
        filter_params: list[Any] = list(scope_params)
        if kind:
            filters.append("f.kind = ?")
            filter_params.append(kind)
        where, params = list(filters), list(filter_params)
        # Without a search, essays are the outer loop, newest first (essays_published: published DESC
        # puts NULLs last, then id DESC), each one's figures in id order from an index: the first
        # ``limit`` rows come without sorting every figure of the archive.
        tables = "essays e CROSS JOIN figures f ON f.essay_id = e.id"
        order = "e.published DESC, e.id DESC, f.id"
        own_words: str | None = None
        match_at = 0
        every_match: list[int] | None = None
        if query:
            match, ranked = ranked_query(query)
            if match is None:
                return []
            ranked = ranked and not await self._common_words("figure_fts", query_words(query))
            if ranked and not essay_key:
                page = await self._ranked_page(_FIGURE_SEARCH, filters, filter_params, match, limit)
                if page is not None:
                    return await self._figures_of(page, sentences)
            tables = "figures f JOIN essays e ON e.id = f.essay_id JOIN figure_fts ON figure_fts.rowid = f.id"
            where.append("figure_fts MATCH ?")
            match_at = len(params)
            params.append(match)
            order = f"{FIGURE_RANK}, f.id" if ranked else "figure_fts.rowid DESC"
            if essay_key:
                where.append(_essay_rows("figure_fts", "figures"))
                params.extend([essay_key, essay_key])
            elif not ranked and kind:
                full, newest = await self._newest_matches("figure_fts", "figures", match, guild_id)
                if not newest:
                    return []
                if not full:
                    every_match = newest  # every match the server sees
                where.append("figure_fts.rowid >= ?")
                params.append(newest[-1])
            if not ranked:
                own_words = "{text subject} : (" + match + ")"
        if essay_key:
            where.append("e.key = ?")
            params.append(essay_key)
        sql = f"SELECT f.*, {_ESSAY_COLUMNS} FROM {tables} WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?"
        if own_words is None:
            return await self._figures_of(await self._all(sql, (*params, limit)), sentences)
        # Newest first, but figures whose own words (number, subject) hold the query before
        # those that only share its sentence: the order bm25's column weights gave.
        own = list(params)
        own[match_at] = own_words
        rows = await self._all(sql, (*own, limit))
        if len(rows) < limit:
            seen = {int(r["id"]) for r in rows}
            if every_match is None:
                rest = await self._all(sql, (*params, limit + len(seen)))
            else:  # read by id: no second walk of the index
                rest = await self._all(
                    f"SELECT f.*, {_ESSAY_COLUMNS} FROM figures f JOIN essays e ON e.id = f.essay_id "
                    f"WHERE {' AND '.join(filters)} AND {in_list('f.id')} ORDER BY f.id DESC LIMIT ?",
                    (*filter_params, id_list(every_match), limit + len(seen)),
                )
            rows += [r for r in rest if int(r["id"]) not in seen][: limit - len(rows)]
        return await self._figures_of(rows, sentences)

    async def _figures_of(self, rows: Sequence[sqlite3.Row], sentences: bool) -> list[tuple[Figure, EssayRef]]:
        """The figures of a search's rows, each with its sentence when ``sentences`` (cut for these rows only)."""
        hits = [(figure_from_row(r, {}), _ref_from_row(r)) for r in rows]
        if sentences:
            places = [(int(r["essay_id"]), int(r["context_idx"])) for r in rows]
            cut = await self._cut_sentences(places)
            for (figure, _), place in zip(hits, places, strict=True):
                figure.context = cut.get(place, "")
        return hits

    async def figure_sentences(self, figure_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
        """The figures' text and the sentence each was cited in, by figure id, as stored now.

        /figures reads a page's (5) when it is first shown, not the 50 found: a search's 50 figures are
        about as many essays, and cutting a sentence from each one's packed body was most of a search.
        A figure its essay's revision removed is left out.
        """
        rows = await self._all(
            f"SELECT id, essay_id, context_idx, text FROM figures WHERE {in_list('id')}",
            (id_list(sorted(set(figure_ids))),),
        )
        places = {int(r["id"]): (int(r["essay_id"]), int(r["context_idx"])) for r in rows}
        cut = await self._cut_sentences(places.values())
        return {int(r["id"]): (r["text"], cut.get(places[int(r["id"])], "")) for r in rows}

    async def _cut_sentences(self, places: Iterable[tuple[int, int]]) -> dict[tuple[int, int], str]:
        """The sentences figures were cited in, by (essay id, sentence number): these only.

        Inflating each whole body to cut one sentence from it was the largest part of a figure search
        (3 of 7 ms at 10,000 essays): each body is inflated only as far as the last sentence wanted.
        """
        wanted: dict[int, set[int]] = {}
        for essay_id, number in places:
            wanted.setdefault(essay_id, set()).add(number)
        found: dict[tuple[int, int], str] = {}
        for row in await self._packed_contexts(wanted):
            essay_id = int(row["essay_id"])
            cut = _sentences_at(row["contexts"], row["blocks"], wanted[essay_id])
            found.update(((essay_id, n), cut[n]) for n in wanted[essay_id] if n < len(cut))
        return found

    async def figure_contexts(self, essay_ids: Iterable[int]) -> dict[int, list[str]]:
        """The sentences figures were cited in, per essay: each stored once, most as a pointer into the body."""
        found: dict[int, list[str]] = {}
        for row in await self._packed_contexts(essay_ids):
            body = functools.partial(unpack, row["blocks"])
            found[int(row["essay_id"])] = unpack_sentences(row["contexts"], body)
        return found

    async def _packed_contexts(self, essay_ids: Iterable[int]) -> list[sqlite3.Row]:
        """Each essay's packed figure sentences beside its packed body (``essay_id``, ``contexts``, ``blocks``)."""
        wanted = sorted(set(essay_ids))
        if not wanted:
            return []
        return await self._all(
            "SELECT c.essay_id, c.contexts, b.blocks FROM essay_contexts c "
            f"JOIN essay_bodies b ON b.essay_id = c.essay_id WHERE {in_list('c.essay_id')}",
            (id_list(wanted),),
        )

    # ------------------------------------------------------------ autocomplete

    async def essay_choices(self, text: str, *, guild_id: GuildScope, limit: int = 25) -> list[EssayChoice]:
        """The server's essays whose title starts with ``text``, then those containing it; the newest when empty.

        Case-insensitive (ASCII letters, as SQLite's NOCASE). The prefix is a range of the
        ``essays_title_lookup`` index; "containing" is looked up by the title's three-letter pieces
        (``essay_titles``), from three letters typed.
        """
        text = " ".join(text.split())[:_CHOICE_INPUT_MAX]
        if "\x00" in text:
            return []  # no title holds one (and FTS5 reads a query as a C string)
        columns = "id, key, title, published"
        scope_sql, scope_params = visible("id", guild_id)
        if not text:
            rows = await self._all(
                f"SELECT {columns} FROM essays WHERE {scope_sql} ORDER BY published DESC NULLS LAST, id DESC LIMIT ?",
                (*scope_params, limit),
            )
            return [_choice_from_row(r) for r in rows]
        found = {
            int(r["id"]): _choice_from_row(r)
            for r in await self._all(
                f"SELECT {columns} FROM essays WHERE title >= ? COLLATE NOCASE AND title < ? COLLATE NOCASE "
                f"AND {scope_sql} ORDER BY title COLLATE NOCASE LIMIT ?",
                (text, text + _TOP, *scope_params, limit),
            )
        }
        # Titles holding the typed text, from their three-letter pieces (migration 0016); a letter or
        # two is matched at the title's start only (anywhere, it would read every title for little).
        if len(found) < limit and len(text) >= TRIGRAM:
            # Newest stored first, walked in the index's own order until enough pass the scope: a piece
            # in thousands of titles ("still") is never sorted whole (the ranking below orders by date).
            scope_on_e, scope_on_e_params = visible("e.id", guild_id)
            rows = await self._all(
                f"SELECT e.id, e.key, e.title, e.published FROM essay_titles t JOIN essays e ON e.id = t.rowid "
                f"WHERE essay_titles MATCH ? AND {scope_on_e} ORDER BY t.rowid DESC LIMIT ?",
                (fts_phrase(text), *scope_on_e_params, limit * 2),
            )
            for row in rows:
                found.setdefault(int(row["id"]), _choice_from_row(row))
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
        scope_sql, scope_params = visible("id", guild_id)
        rows = await self._all(
            f"SELECT id, key, title, published FROM essays WHERE title = ? COLLATE NOCASE AND {scope_sql} LIMIT ?",
            (" ".join(title.split()), *scope_params, limit),
        )
        return [_choice_from_row(r) for r in rows]

    async def speaker_choices(
        self, text: str, *, guild_id: GuildScope, essay_id: int | None = None, limit: int = 25
    ) -> list[str]:
        """Speakers quoted in the server's essays starting with ``text``, then containing it, most quoted first.

        Names and counts come from ``quote_speakers`` (one row per speaker). With no
        text, the speakers of ``essay_id`` (or of the newest essays).
        """
        text = " ".join(text.split())[:_CHOICE_INPUT_MAX]
        if not text:
            return await self._recent_speakers(essay_id, limit, guild_id=guild_id)
        quoted_here, scope_params = self._quoted_in_scope("s.speaker", guild_id)
        counts: dict[str, int] = {}
        for row in await self._all(
            f"SELECT s.speaker, s.quotes FROM quote_speakers s WHERE s.speaker >= ? AND s.speaker < ? "
            f"AND {quoted_here} ORDER BY s.quotes DESC LIMIT ?",
            (text, text + _TOP, *scope_params, limit),
        ):
            counts[row["speaker"]] = int(row["quotes"])
        if len(counts) < limit:
            for row in await self._all(
                f"SELECT s.speaker, s.quotes FROM quote_speakers s WHERE s.speaker LIKE ? ESCAPE '\\' "
                f"AND {quoted_here} ORDER BY s.quotes DESC LIMIT ?",
                (like_pattern(text), *scope_params, limit * 2),
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
        scope_sql, scope_params = visible("id", guild_id)
        if essay_id is not None:
            essays_sql, params = f"SELECT id FROM essays WHERE id = ? AND {scope_sql}", [essay_id, *scope_params]
        else:
            essays_sql = f"SELECT id FROM essays WHERE {scope_sql} ORDER BY published DESC NULLS LAST, id DESC LIMIT 20"
            params = list(scope_params)
        rows = await self._all(
            f"SELECT speaker, count(*) AS n FROM quotes WHERE essay_id IN ({essays_sql}) "
            "AND speaker IS NOT NULL AND kind IN ('direct', 'epigraph') "
            "GROUP BY speaker COLLATE NOCASE ORDER BY n DESC, speaker LIMIT ?",
            (*params, limit),
        )
        return [r["speaker"] for r in rows]

    # ----------------------------------------------------------------- display

    async def section_titles(self, essay_ids: Sequence[int]) -> dict[tuple[int, int], str]:
        """{(essay id, section index): section title} for the given essays."""
        if not essay_ids:
            return {}
        rows = await self._all(
            f"SELECT essay_id, idx, title FROM sections WHERE {in_list('essay_id')}", (id_list(sorted(set(essay_ids))),)
        )
        return {(int(row["essay_id"]), int(row["idx"])): row["title"] for row in rows}
