"""The floor of each command for ``bench.commands`` on PostgreSQL: the bare tsvector/GIN or index query for
the same input, timed on the same database.

Bench-only, as ``bot/store/floors.py`` is for SQLite (the bot never calls it). A search's floor is what the
lookup asks of the index before anything else, by the lookup's rule (bot/store/postgres/lookup.py): for words
none of which is common, the GIN match with the lookup's own window (the newest ``MATCH_WINDOW`` matches) and
rank (``ts_rank_cd`` with the lookup's weights), first 50; for a common word, the newest 50 matches, walked
back by id or read from the index's matches as the lookup chooses; without the server's scope, the join to
essays, the threads or the reply.
(Whether a word is common is decided before the timing, as the lookup decides it.) Timed from this process
over one connection, each query run twice and the second (warm) run kept: a client's round trip is part of
every query the bot makes too, so it is part of the floor.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from bot.essays.terms import text_terms
from bot.store.lookup import MATCH_WINDOW, query_words
from bot.store.postgres.base import SESSION_SETTINGS
from bot.store.postgres.lookup import RANK_WEIGHTS, plan_search, walks
from bot.store.postgres.related import champions_statement
from bot.store.postgres.search import search_query
from bot.store.postgres.words import WordStatistics

CANDIDATES = 50
# The posts a free-text /related asks of the champion lists (bot/related.py ``CANDIDATES``).
RELATED_CANDIDATES = 40
# A walk back by id: what the lookup's statement for common words is allowed (bot/store/postgres/lookup.py).
_WALK_SETTINGS = "SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off"


def _ranked_window(table: str, weights: str) -> str:
    """The newest MATCH_WINDOW rows of ``table`` matching $1, best first by ts_rank_cd: the first 50 ids."""
    rank = f"ts_rank_cd({weights}document, q)" if weights else "ts_rank_cd(document, q)"
    return (
        f"SELECT id FROM (SELECT id, document FROM {table}, websearch_to_tsquery('marginalia', $1) AS q0 "
        f"WHERE document @@ q0 ORDER BY id DESC LIMIT {MATCH_WINDOW}) AS hits, "
        f"websearch_to_tsquery('marginalia', $1) AS q ORDER BY {rank} DESC, id DESC LIMIT {CANDIDATES}"
    )


def _newest(table: str, *, walk: bool) -> str:
    """The newest CANDIDATES rows of ``table`` matching $1: the lookup's answer for a common word, walked
    back by id or (``OFFSET 0``: no walk) from the GIN index's matches, as the lookup chooses."""
    match = f"SELECT id FROM {table} WHERE document @@ websearch_to_tsquery('marginalia', $1)"
    source = f"({match}) AS m" if walk else f"({match} OFFSET 0) AS m"
    return f"SELECT id FROM {source} ORDER BY id DESC LIMIT {CANDIDATES}"


def floor_query(
    label: str, options: Mapping[str, str], *, common: bool = False, walk: bool = True
) -> tuple[str, tuple[object, ...]] | None:
    """The bare query for one invocation (None for /activity, whose floor is the chart, not an index);
    ``common``: a search with a common word (``common_search``), answered newest first, ``walk``: walked
    back by id (else read from the index's matches)."""
    search = options.get("search")
    if label in ("quote", "figures") and search:
        match = search_query(" ".join(query_words(search)))  # the words the lookup searches for
    else:
        match = search_query(search) if search else None
    if label == "quote":
        if match and common:
            return _newest("quotes", walk=walk), (match,)
        if match:
            return _ranked_window("quotes", ""), (match,)
        if "speaker" in options:
            return "SELECT id FROM quotes WHERE lower(speaker) = lower($1) LIMIT 60", (options["speaker"],)
        if "essay" in options:
            return "SELECT q.id FROM quotes q JOIN essays e ON e.id = q.essay_id WHERE e.key = $1", (options["essay"],)
        return "SELECT id FROM quotes WHERE id >= (SELECT max(id) / 2 FROM quotes) ORDER BY id LIMIT 60", ()
    if label == "figures":
        if match and common:
            return _newest("figures", walk=walk), (match,)
        if match:
            return _ranked_window("figures", f"{RANK_WEIGHTS}, "), (match,)
        if "essay" in options:
            return "SELECT f.id FROM figures f JOIN essays e ON e.id = f.essay_id WHERE e.key = $1", (options["essay"],)
        return f"SELECT id FROM figures ORDER BY id DESC LIMIT {CANDIDATES}", ()
    if label == "related":
        if match:
            return (
                "SELECT essay_id FROM essay_search, websearch_to_tsquery('marginalia', $1) AS q "
                f"WHERE document @@ q ORDER BY ts_rank_cd({RANK_WEIGHTS}, document, q) DESC LIMIT {CANDIDATES}",
                (match,),
            )
        # The essay's stored neighbourhood, what the lookup reads first: the essay chosen, else the newest (what
        # /related uses then).
        return (
            "SELECT neighbour_id FROM related_neighbours WHERE essay_id = (SELECT id FROM essays "
            "WHERE key = $1 OR $1 = '' ORDER BY key = $1 DESC, published DESC NULLS LAST LIMIT 1) ORDER BY score DESC",
            (options.get("essay", ""),),
        )
    if label == "autocomplete essay":
        return "SELECT id FROM essays WHERE title ILIKE $1 LIMIT 25", (f"%{options.get('essay', '')}%",)
    if label == "autocomplete speaker":
        typed = options.get("speaker", "")
        return "SELECT speaker FROM quote_speakers WHERE speaker ILIKE $1 LIMIT 25", (f"%{typed}%",)
    return None


async def common_search(connection: Any, label: str, options: Mapping[str, str], statistics: WordStatistics) -> bool:
    """Whether the lookup answers this search newest first: a word in ``MATCH_WINDOW`` rows or more, or
    stopwords only (bot/store/postgres/lookup.py ``_search``)."""
    return (await _newest_first(connection, label, options, statistics))[0]


async def _newest_first(
    connection: Any, label: str, options: Mapping[str, str], statistics: WordStatistics
) -> tuple[bool, bool]:
    """(newest first, walked back by id): the lookup's two choices for this search (``_newest_matches``)."""
    text = options.get("search")
    table = {"quote": "quotes", "figures": "figures"}.get(label)
    if not text or table is None:
        return False, False

    async def fetch(sql: str, params: Sequence[Any]) -> list[Any]:
        return list(await connection.fetch(sql, *params))

    search = await plan_search(fetch, statistics, table, text)
    if search is None or search.ranked:
        return False, False
    newest = int(await connection.fetchval(f"SELECT COALESCE(max(id), 0) FROM {table}"))
    matching = max(search.rows_matching(newest), 1.0)
    return True, walks(CANDIDATES, newest, matching)


async def _fetch(connection: Any, sql: str, params: Sequence[object], *, walk: bool) -> list[Any]:
    if not walk:
        return list(await connection.fetch(sql, *params))
    async with connection.transaction():
        await connection.execute(_WALK_SETTINGS)
        return list(await connection.fetch(sql, *params))


async def champion_floor(connection: Any, search: str) -> tuple[str, tuple[object, ...]] | None:
    """The champion lists' read of a free-text /related's stems (``stem_champions``), or None when they hold
    fewer posts than it asks for (the lookup then ranks the GIN matches, the floor's other query)."""
    stems = sorted(text_terms([(search, 1)]).counts)
    rows = await connection.fetch("SELECT id FROM related_df WHERE term = ANY($1::text[]) AND essays > 0", stems)
    ids = [int(row["id"]) for row in rows]
    if not ids:
        return None
    sql, values = champions_statement(ids, None, None, RELATED_CANDIDATES)
    if len({row["essay_id"] for row in await connection.fetch(sql, *values)}) < RELATED_CANDIDATES:
        return None
    return sql, tuple(values)


async def _floor(
    connection: Any, label: str, options: Mapping[str, str], common: bool, walk: bool
) -> tuple[str, tuple[object, ...]] | None:
    """The floor's statement and parameters for one invocation (None without one)."""
    query = floor_query(label, options, common=common, walk=walk)
    if query is not None and label == "related" and options.get("search"):
        # The lookup reads the champion lists, and ranks the GIN matches only when they hold too few posts.
        query = await champion_floor(connection, options["search"]) or query
    return query


async def floor_ids(connection: Any, label: str, options: Mapping[str, str]) -> list[object] | None:
    """What the bare query finds (ids, or speakers' names), or None when the invocation has no floor."""
    common, walk = await _newest_first(connection, label, options, WordStatistics())
    query = await _floor(connection, label, options, common, walk)
    if query is None:
        return None
    sql, params = query
    return [row[0] for row in await _fetch(connection, sql, params, walk=common and walk)]


async def time_floor(
    connection: Any, label: str, options: Mapping[str, str], statistics: WordStatistics | None = None
) -> float | None:
    """Milliseconds of the warm bare query for one invocation, or None when it has none."""
    common, walk = await _newest_first(connection, label, options, statistics or WordStatistics())
    query = await _floor(connection, label, options, common, walk)
    if query is None:
        return None
    sql, params = query
    await _fetch(connection, sql, params, walk=common and walk)
    started = time.perf_counter()
    await _fetch(connection, sql, params, walk=common and walk)
    return (time.perf_counter() - started) * 1000


async def time_floors(url: str, invocations: Sequence[tuple[str, Mapping[str, str]]]) -> list[float | None]:
    """``time_floor`` of each (label, options), over one connection to the database at ``url``."""
    connection = await asyncpg.connect(url, server_settings=SESSION_SETTINGS)  # as the store's own connections
    statistics = WordStatistics()
    try:
        return [await time_floor(connection, label, options, statistics) for label, options in invocations]
    finally:
        await connection.close()
