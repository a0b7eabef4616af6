"""The floor of each command for ``bench.commands`` on PostgreSQL: the bare tsvector/GIN or index query for
the same input, timed on the same database.

Bench-only, as ``bot/store/floors.py`` is for SQLite (the bot never calls it). A search's floor is what the
lookup asks of the index before anything else: the GIN match of its words with the lookup's own window
(the newest ``MATCH_WINDOW`` matches) and rank (``ts_rank_cd`` with the lookup's weights), first 50, without
the server's scope, the join to essays, the threads or the reply. Timed from this process over one
connection, each query run twice and the second (warm) run kept: a client's round trip is part of every
query the bot makes too, so it is part of the floor.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from bot.store.lookup import MATCH_WINDOW
from bot.store.postgres.base import SESSION_SETTINGS
from bot.store.postgres.lookup import RANK_WEIGHTS
from bot.store.postgres.search import search_query

CANDIDATES = 50


def _ranked_window(table: str, weights: str) -> str:
    """The newest MATCH_WINDOW rows of ``table`` matching $1, best first by ts_rank_cd: the first 50 ids."""
    rank = f"ts_rank_cd({weights}document, q)" if weights else "ts_rank_cd(document, q)"
    return (
        f"SELECT id FROM (SELECT id, document FROM {table}, websearch_to_tsquery('marginalia', $1) AS q0 "
        f"WHERE document @@ q0 ORDER BY id DESC LIMIT {MATCH_WINDOW}) AS hits, "
        f"websearch_to_tsquery('marginalia', $1) AS q ORDER BY {rank} DESC, id DESC LIMIT {CANDIDATES}"
    )


def floor_query(label: str, options: Mapping[str, str]) -> tuple[str, tuple[object, ...]] | None:
    """The bare query for one invocation (None for /activity, whose floor is the chart, not an index)."""
    search = options.get("search")
    match = search_query(search) if search else None
    if label == "quote":
        if match:
            return _ranked_window("quotes", ""), (match,)
        if "speaker" in options:
            return "SELECT id FROM quotes WHERE lower(speaker) = lower($1) LIMIT 60", (options["speaker"],)
        if "essay" in options:
            return "SELECT q.id FROM quotes q JOIN essays e ON e.id = q.essay_id WHERE e.key = $1", (options["essay"],)
        return "SELECT id FROM quotes WHERE id >= (SELECT max(id) / 2 FROM quotes) ORDER BY id LIMIT 60", ()
    if label == "figures":
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
        # The essay's title as one phrase: the essay chosen, else the newest (what /related uses then).
        return (
            "SELECT s.essay_id FROM essay_search s, (SELECT phraseto_tsquery('marginalia', title) AS q FROM essays "
            "WHERE key = $1 OR $1 = '' ORDER BY key = $1 DESC, published DESC NULLS LAST LIMIT 1) AS t "
            f"WHERE s.document @@ t.q ORDER BY ts_rank_cd({RANK_WEIGHTS}, s.document, t.q) DESC LIMIT {CANDIDATES}",
            (options.get("essay", ""),),
        )
    if label == "autocomplete essay":
        return "SELECT id FROM essays WHERE title ILIKE $1 LIMIT 25", (f"%{options.get('essay', '')}%",)
    if label == "autocomplete speaker":
        typed = options.get("speaker", "")
        return "SELECT speaker FROM quote_speakers WHERE speaker ILIKE $1 LIMIT 25", (f"%{typed}%",)
    return None


async def floor_ids(connection: Any, label: str, options: Mapping[str, str]) -> list[object] | None:
    """What the bare query finds (ids, or speakers' names), or None when the invocation has no floor."""
    query = floor_query(label, options)
    if query is None:
        return None
    sql, params = query
    return [row[0] for row in await connection.fetch(sql, *params)]


async def time_floor(connection: Any, label: str, options: Mapping[str, str]) -> float | None:
    """Milliseconds of the warm bare query for one invocation, or None when it has none."""
    query = floor_query(label, options)
    if query is None:
        return None
    sql, params = query
    await connection.fetch(sql, *params)
    started = time.perf_counter()
    await connection.fetch(sql, *params)
    return (time.perf_counter() - started) * 1000


async def time_floors(url: str, invocations: Sequence[tuple[str, Mapping[str, str]]]) -> list[float | None]:
    """``time_floor`` of each (label, options), over one connection to the database at ``url``."""
    connection = await asyncpg.connect(url, server_settings=SESSION_SETTINGS)  # as the store's own connections
    try:
        return [await time_floor(connection, label, options) for label, options in invocations]
    finally:
        await connection.close()
