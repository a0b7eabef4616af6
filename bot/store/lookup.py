"""Quote and figure search for the slash commands and the CLI."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from bot.essays.model import Figure, FigureKind, Quote, QuoteKind
from bot.store.base import StoreBase

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EssayRef:
    """Just enough of an essay to name and link it in a result."""

    key: str
    title: str
    url: str | None


def fts_query(text: str, *, max_terms: int = 32) -> str | None:
    """Turn free text into a safe FTS5 query: each word a quoted term, ANDed.

    Whatever the user typed (operators, quotes, brackets, emoji, 6,000
    characters) becomes plain terms; None when nothing searchable is left.
    """
    terms: list[str] = []
    for raw in text.split():
        term = "".join(ch for ch in raw if ch.isalnum() or ch in "'-_")
        term = term.strip("'-_")
        if term and term.lower() not in {t.lower() for t in terms}:
            terms.append(term.replace('"', '""'))
        if len(terms) >= max_terms:
            break
    if not terms:
        return None
    return " ".join(f'"{t}"' for t in terms)


def quote_from_row(row: sqlite3.Row) -> Quote:
    return Quote(
        text=row["text"],
        kind=cast(QuoteKind, row["kind"]),
        section=int(row["section"]),
        speaker=row["speaker"],
        score=float(row["score"]),
    )


def figure_from_row(row: sqlite3.Row) -> Figure:
    return Figure(
        text=row["text"],
        kind=cast(FigureKind, row["kind"]),
        section=int(row["section"]),
        context=row["context"],
        subject=row["subject"],
        value=row["value"],
        unit=row["unit"],
        value_high=row["value_high"],
        qualifier=row["qualifier"],
    )


class LookupQueries(StoreBase):
    async def search_quotes(
        self,
        query: str | None = None,
        *,
        speaker: str | None = None,
        essay_key: str | None = None,
        kinds: Sequence[QuoteKind] = ("direct", "epigraph", "notable"),
        limit: int = 10,
    ) -> list[tuple[Quote, EssayRef]]:
        where = [f"q.kind IN ({','.join('?' * len(kinds))})"]
        params: list[Any] = list(kinds)
        join = ""
        order = "q.score DESC, q.id DESC"
        if query:
            match = fts_query(query)
            if match is None:
                return []
            join = "JOIN quote_fts ON quote_fts.rowid = q.id"
            where.append("quote_fts MATCH ?")
            params.append(match)
            order = "bm25(quote_fts), q.id DESC"
        if speaker:
            where.append("q.speaker = ? COLLATE NOCASE")
            params.append(speaker)
        if essay_key:
            where.append("e.key = ?")
            params.append(essay_key)
        rows = await self._all(
            f"SELECT q.*, e.key AS e_key, e.title AS e_title, e.url AS e_url FROM quotes q "
            f"JOIN essays e ON e.id = q.essay_id {join} WHERE {' AND '.join(where)} "
            f"ORDER BY {order} LIMIT ?",
            (*params, limit),
        )
        return [(quote_from_row(r), EssayRef(r["e_key"], r["e_title"], r["e_url"])) for r in rows]

    async def search_figures(
        self,
        query: str | None = None,
        *,
        essay_key: str | None = None,
        kind: FigureKind | None = None,
        limit: int = 10,
    ) -> list[tuple[Figure, EssayRef]]:
        where: list[str] = ["1"]
        params: list[Any] = []
        join = ""
        order = "e.published DESC NULLS LAST, f.id"
        if query:
            match = fts_query(query)
            if match is None:
                return []
            join = "JOIN figure_fts ON figure_fts.rowid = f.id"
            where.append("figure_fts MATCH ?")
            params.append(match)
            order = "bm25(figure_fts, 2.0, 3.0, 1.0), f.id"
        if essay_key:
            where.append("e.key = ?")
            params.append(essay_key)
        if kind:
            where.append("f.kind = ?")
            params.append(kind)
        rows = await self._all(
            f"SELECT f.*, e.key AS e_key, e.title AS e_title, e.url AS e_url FROM figures f "
            f"JOIN essays e ON e.id = f.essay_id {join} WHERE {' AND '.join(where)} "
            f"ORDER BY {order} LIMIT ?",
            (*params, limit),
        )
        return [(figure_from_row(r), EssayRef(r["e_key"], r["e_title"], r["e_url"])) for r in rows]
