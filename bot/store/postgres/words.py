"""How many rows of a full-text column hold a word: the planner's statistics, else a bounded count.

A search decides from it whether any of its words is common, in ``MATCH_WINDOW`` rows or more (the rule of
the SQLite store, bot/store/lookup.py ``rank_probe``): then it answers newest first, else it ranks. SQLite
counts a posting list from its index; a GIN index cannot count without reading the rows (2,000 heap rows,
11-22 ms at 100,000 essays). ``ANALYZE`` keeps the commonest lexemes of each tsvector column with the share
of rows holding them (``pg_stats.most_common_elems``; migration 0005 keeps about 10,000 of them): a lexeme
listed is counted from its share, one not listed is rarer than the least listed. Only when that least one
is itself common (no statistics yet, or too few kept) is the word counted, up to ``MATCH_WINDOW`` rows.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

# Statistics change only when ANALYZE runs (autovacuum: after a tenth of a table is new); read again after this.
STATISTICS_SECONDS = 300.0

Fetch = Callable[[str, Sequence[Any]], Awaitable[list[Any]]]


@dataclass(frozen=True, slots=True)
class ColumnStatistics:
    """The commonest lexemes of a tsvector column, each with the share of rows holding it."""

    shares: dict[str, float]
    least: float  # the least share listed: a lexeme not listed is in fewer rows (about)
    rows: float  # the table's rows, as ANALYZE last estimated them
    read_at: float

    def rows_holding(self, lexemes: Sequence[str], common: int) -> float | None:
        """About how many rows hold every one of ``lexemes``: the rarest's count; None when it cannot say
        whether that is below ``common`` (a lexeme not listed, and the least listed at ``common`` or more)."""
        counts: list[float] = []
        for lexeme in lexemes:
            share = self.shares.get(lexeme)
            if share is None:
                if self.least * self.rows >= common:
                    return None
                share = self.least
            counts.append(share * self.rows)
        return min(counts, default=0.0)


class WordStatistics:
    """Each searched column's statistics, read from ``pg_stats`` and kept for ``STATISTICS_SECONDS``."""

    def __init__(self) -> None:
        self._columns: dict[str, ColumnStatistics] = {}

    async def column(self, fetch: Fetch, table: str) -> ColumnStatistics | None:
        """The statistics of ``table``'s ``document`` column; None when it was never analyzed."""
        kept = self._columns.get(table)
        if kept is not None and time.monotonic() - kept.read_at < STATISTICS_SECONDS:
            return kept
        rows = await fetch(
            "SELECT s.most_common_elems::text::text[] AS lexemes, s.most_common_elem_freqs AS shares, "
            "c.reltuples AS rows FROM pg_stats s JOIN pg_class c ON c.oid = to_regclass(s.tablename) "
            "WHERE s.schemaname = current_schema() AND s.tablename = $1 AND s.attname = 'document'",
            (table,),
        )
        if not rows or rows[0]["lexemes"] is None or rows[0]["rows"] is None or rows[0]["rows"] <= 0:
            self._columns.pop(table, None)
            return None  # not kept: a table analyzed later is read then
        lexemes: list[str] = list(rows[0]["lexemes"])
        shares: list[float] = list(rows[0]["shares"])
        # After one share per lexeme: the least and the greatest share, and the share of empty documents.
        column = ColumnStatistics(
            dict(zip(lexemes, shares, strict=False)), shares[len(lexemes)], float(rows[0]["rows"]), time.monotonic()
        )
        self._columns[table] = column
        logger.debug("read the statistics of %s.document: %d lexemes", table, len(lexemes))
        return column


async def word_rows(
    fetch: Fetch, statistics: WordStatistics, table: str, words: Sequence[str], *, common: int
) -> list[float]:
    """About how many rows of ``table`` hold each of ``words``; exact up to ``common`` where the
    statistics cannot say whether a word is below it (then counted, reading at most ``common`` rows)."""
    if not words:
        return []
    column = await statistics.column(fetch, table)
    lexemes = {
        r["word"]: list(r["lexemes"])
        for r in await fetch(
            "SELECT w.word, tsvector_to_array(to_tsvector('marginalia', w.word)) AS lexemes "
            "FROM unnest($1::text[]) AS w(word)",
            (list(words),),
        )
    }
    counts: list[float] = []
    for word in words:
        estimate = column.rows_holding(lexemes.get(word, []), common) if column is not None else None
        if estimate is None:
            found = await fetch(
                f"SELECT count(*) AS n FROM (SELECT 1 FROM {table} WHERE document @@ "
                "websearch_to_tsquery('marginalia', $1) LIMIT $2) AS hits",
                ('"' + word.replace('"', " ") + '"', common),
            )
            estimate = float(found[0]["n"])
        counts.append(estimate)
    return counts
