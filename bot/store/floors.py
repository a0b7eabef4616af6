"""The floor of each command for ``bench.commands``: the bare index query for the same input, timed on
the same database.

Bench-only: it lives here because it is SQLite's SQL (the bot never calls it).

A command's server-side time is compared with what SQLite alone needs to find its candidates: the
FTS5 match of its search words (ranked, first 50), or the plain index read its options ask for.
Everything a command adds to that (scope, joins, links to threads, the reply's pages, discord.py
and the interaction round trip) is what the ratio measures. Timed through Python's sqlite3 in this
process, each query run twice and the second (warm) run kept, as the bot's cache is warm too.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from bot.essays.terms import text_terms
from bot.store.lookup import fts_query, query_words, rank_probe, ranked_query
from bot.store.scope import ALL_SERVERS
from bot.store.store import champions_statement

CANDIDATES = 50
# The posts a free-text /related asks of the champion lists (bot/related.py ``CANDIDATES``).
RELATED_CANDIDATES = 40


def floor_query(label: str, options: Mapping[str, str]) -> tuple[str, tuple[object, ...]] | None:
    """The bare query for one invocation (None for /activity, whose floor is the chart, not an index)."""
    search = options.get("search")
    match = fts_query(search) if search else None
    # The quote and figure lookups search the words that tell (stopwords dropped, bm25 only then).
    words, ranked = ranked_query(search) if search else (None, False)
    order = "rank" if ranked else "rowid DESC"
    if label == "quote":
        if words:
            return f"SELECT rowid FROM quote_fts WHERE quote_fts MATCH ? ORDER BY {order} LIMIT {CANDIDATES}", (words,)
        if "speaker" in options:
            return (
                "SELECT id FROM quotes INDEXED BY quotes_speaker_kind WHERE speaker = ? COLLATE NOCASE LIMIT 60",
                (options["speaker"],),
            )
        if "essay" in options:
            return "SELECT q.id FROM quotes q JOIN essays e ON e.id = q.essay_id WHERE e.key = ?", (options["essay"],)
        return "SELECT id FROM quotes WHERE id >= (SELECT max(id) / 2 FROM quotes) LIMIT 60", ()
    if label == "figures":
        if words:
            sql = f"SELECT rowid FROM figure_fts WHERE figure_fts MATCH ? ORDER BY {order} LIMIT {CANDIDATES}"
            return sql, (words,)
        if "essay" in options:
            return "SELECT f.id FROM figures f JOIN essays e ON e.id = f.essay_id WHERE e.key = ?", (options["essay"],)
        return f"SELECT id FROM figures ORDER BY id DESC LIMIT {CANDIDATES}", ()
    if label == "related":
        if match:
            return f"SELECT rowid FROM essay_fts WHERE essay_fts MATCH ? ORDER BY rank LIMIT {CANDIDATES}", (match,)
        # The essay's stored neighbourhood, what the lookup reads first: the essay chosen, else the newest (what
        # /related uses then).
        key = options.get("essay", "")
        return (
            "SELECT neighbour_id FROM related_neighbours WHERE essay_id = (SELECT id FROM essays "
            "WHERE key = ? OR ? = '' ORDER BY key = ? DESC, published DESC LIMIT 1) ORDER BY score DESC",
            (key, key, key),
        )
    if label == "autocomplete essay":
        typed = options.get("essay", "")
        return "SELECT id FROM essays WHERE title LIKE ? LIMIT 25", (f"%{typed}%",)
    if label == "autocomplete speaker":
        typed = options.get("speaker", "")
        return "SELECT speaker FROM quote_speakers WHERE speaker LIKE ? LIMIT 25", (f"%{typed}%",)
    return None


def time_floor(connection: sqlite3.Connection, label: str, options: Mapping[str, str]) -> float | None:
    """Milliseconds of the warm bare query for one invocation, or None when it has none."""
    query = floor_query(label, options)
    if query is None:
        return None
    sql, params = query
    if label == "related" and options.get("search"):
        # The lookup reads the champion lists, and ranks FTS5's postings only when they hold too few posts.
        sql, params = champion_floor(connection, options["search"]) or (sql, params)
    if "ORDER BY rank" in sql and label in ("quote", "figures"):
        # The lookup ranks newest first when a word is too common for bm25 to pay (rank_probe).
        fts = "quote_fts" if label == "quote" else "figure_fts"
        probe_sql, probe_params = rank_probe(fts, query_words(options.get("search", "")))
        if any(connection.execute(probe_sql, probe_params).fetchone()):
            sql = sql.replace("ORDER BY rank", "ORDER BY rowid DESC")
    try:
        connection.execute(sql, params).fetchall()
        started = time.perf_counter()
        connection.execute(sql, params).fetchall()
    except sqlite3.OperationalError:
        return None  # e.g. a title that is no valid FTS5 phrase: no floor for that one
    return (time.perf_counter() - started) * 1000


def champion_floor(connection: sqlite3.Connection, search: str) -> tuple[str, tuple[object, ...]] | None:
    """The champion lists' read of a free-text /related's stems (``stem_champions``), or None when they hold
    fewer posts than it asks for (the lookup then ranks FTS5's postings, the floor's other query)."""
    stems = sorted(text_terms([(search, 1)]).counts)
    if not stems:
        return None
    marks = ", ".join("?" * len(stems))
    found = connection.execute(f"SELECT id FROM related_stems WHERE term IN ({marks}) AND essays > 0", stems)
    ids = [int(row[0]) for row in found.fetchall()]
    if not ids:
        return None
    sql, params = champions_statement(ids, ALL_SERVERS, None, RELATED_CANDIDATES)
    if len({row[1] for row in connection.execute(sql, params).fetchall()}) < RELATED_CANDIDATES:
        return None
    return sql, tuple(params)


def time_floors(db: Path, invocations: Sequence[tuple[str, Mapping[str, str]]]) -> list[float | None]:
    """``time_floor`` of each (label, options), on a read-only connection to the database file ``db``."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        return [time_floor(connection, label, options) for label, options in invocations]
