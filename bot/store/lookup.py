"""Quote and figure search, the random quote pool, and autocomplete for the slash commands and the CLI."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from bot.essays.model import Figure, FigureKind, Quote, QuoteKind
from bot.store.base import StoreBase, from_iso

logger = logging.getLogger(__name__)

# Bounds of a quote worth offering at random: long enough to say something, short enough to read.
POOL_MIN_CHARS = 30
POOL_MAX_CHARS = 600
# The top of every Unicode range: "prefix" <= title < "prefix" + TOP is a prefix match.
_TOP = "\U0010ffff"
# Autocomplete input is short in practice; a longer one is clipped rather than scanned for.
_CHOICE_INPUT_MAX = 100


@dataclass(frozen=True, slots=True)
class EssayRef:
    """Just enough of an essay to name and link it in a result."""

    key: str
    title: str
    url: str | None
    id: int | None = None
    published: date | None = None


@dataclass(frozen=True, slots=True)
class EssayChoice:
    """An essay as autocomplete offers it."""

    id: int
    key: str
    title: str
    published: date | None


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
        """Quotes matching words of ``query`` (best first), or the highest-scored ones.

        ``speaker`` matches a whole name or part of one, case-insensitively.
        """
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
            where.append("(q.speaker = ? COLLATE NOCASE OR q.speaker LIKE ? ESCAPE '\\')")
            params.extend([speaker, like_pattern(speaker)])
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

    async def quote_pool(
        self,
        *,
        speaker: str | None = None,
        essay_key: str | None = None,
        limit: int = 60,
    ) -> list[tuple[Quote, EssayRef]]:
        """Candidates for a random quote: attributed quotations and notable sentences of a readable length.

        Within one essay every candidate comes back; across the archive a random
        sample of ``limit``, so each call can offer something new.
        """
        where = [
            "((q.kind IN ('direct', 'epigraph') AND q.speaker IS NOT NULL) OR q.kind = 'notable')",
            "length(q.text) BETWEEN ? AND ?",
        ]
        params: list[Any] = [POOL_MIN_CHARS, POOL_MAX_CHARS]
        if speaker:
            where.append("(q.speaker = ? COLLATE NOCASE OR q.speaker LIKE ? ESCAPE '\\')")
            params.extend([speaker, like_pattern(speaker)])
        if essay_key:
            where.append("e.key = ?")
            params.append(essay_key)
            order = "q.id"
            limit = max(limit, 500)
        else:
            order = "random()"
        rows = await self._all(
            f"SELECT q.*, {_ESSAY_COLUMNS} FROM quotes q JOIN essays e ON e.id = q.essay_id "
            f"WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?",
            (*params, limit),
        )
        return [(quote_from_row(r), _ref_from_row(r)) for r in rows]

    async def search_figures(
        self,
        query: str | None = None,
        *,
        essay_key: str | None = None,
        kind: FigureKind | None = None,
        limit: int = 10,
    ) -> list[tuple[Figure, EssayRef]]:
        """Figures matching words of ``query`` (best first), or the newest essays' figures in reading order."""
        where: list[str] = ["1"]
        params: list[Any] = []
        join = ""
        order = "e.published DESC NULLS LAST, f.essay_id DESC, f.id"
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
            f"SELECT f.*, {_ESSAY_COLUMNS} FROM figures f "
            f"JOIN essays e ON e.id = f.essay_id {join} WHERE {' AND '.join(where)} "
            f"ORDER BY {order} LIMIT ?",
            (*params, limit),
        )
        return [(figure_from_row(r), _ref_from_row(r)) for r in rows]

    # ------------------------------------------------------------ autocomplete

    async def essay_choices(self, text: str, *, limit: int = 25) -> list[EssayChoice]:
        """Essays whose title starts with ``text``, then those containing it; the newest when empty.

        Case-insensitive (ASCII letters, as SQLite's NOCASE). Both lookups read
        only the ``essays_title_lookup`` index.
        """
        text = " ".join(text.split())[:_CHOICE_INPUT_MAX]
        columns = "id, key, title, published"
        if not text:
            rows = await self._all(
                f"SELECT {columns} FROM essays ORDER BY published DESC NULLS LAST, id DESC LIMIT ?", (limit,)
            )
            return [_choice_from_row(r) for r in rows]
        found = {
            int(r["id"]): _choice_from_row(r)
            for r in await self._all(
                f"SELECT {columns} FROM essays WHERE title >= ? COLLATE NOCASE AND title < ? COLLATE NOCASE "
                "ORDER BY title COLLATE NOCASE LIMIT ?",
                (text, text + _TOP, limit),
            )
        }
        if len(found) < limit:
            rows = await self._all(
                f"SELECT {columns} FROM essays INDEXED BY essays_title_lookup "
                "WHERE title LIKE ? ESCAPE '\\' ORDER BY published DESC NULLS LAST LIMIT ?",
                (like_pattern(text), limit * 2),
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

    async def essays_titled(self, title: str, *, limit: int = 2) -> list[EssayChoice]:
        """Essays whose title is exactly ``title`` (case-insensitive), for a title typed in full."""
        rows = await self._all(
            "SELECT id, key, title, published FROM essays WHERE title = ? COLLATE NOCASE LIMIT ?",
            (" ".join(title.split()), limit),
        )
        return [_choice_from_row(r) for r in rows]

    async def speaker_choices(self, text: str, *, essay_id: int | None = None, limit: int = 25) -> list[str]:
        """Quoted speakers starting with ``text``, then containing it, most quoted first.

        With no text, the speakers of ``essay_id`` (or of the newest essays).
        """
        text = " ".join(text.split())[:_CHOICE_INPUT_MAX]
        if not text:
            return await self._recent_speakers(essay_id, limit)
        counts: dict[str, int] = {}
        for row in await self._all(
            "SELECT speaker, count(*) AS n FROM quotes WHERE speaker >= ? COLLATE NOCASE "
            "AND speaker < ? COLLATE NOCASE GROUP BY speaker COLLATE NOCASE ORDER BY n DESC LIMIT ?",
            (text, text + _TOP, limit),
        ):
            counts[row["speaker"]] = int(row["n"])
        if len(counts) < limit:
            for row in await self._all(
                "SELECT speaker, count(*) AS n FROM quotes INDEXED BY quotes_speaker_kind "
                "WHERE speaker LIKE ? ESCAPE '\\' GROUP BY speaker COLLATE NOCASE ORDER BY n DESC LIMIT ?",
                (like_pattern(text), limit * 2),
            ):
                counts.setdefault(row["speaker"], int(row["n"]))
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

    async def _recent_speakers(self, essay_id: int | None, limit: int) -> list[str]:
        if essay_id is not None:
            essays_sql, params = "?", [essay_id]
        else:
            essays_sql, params = "SELECT id FROM essays ORDER BY published DESC NULLS LAST, id DESC LIMIT 20", []
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
        titles: dict[tuple[int, int], str] = {}
        wanted = sorted(set(essay_ids))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in await self._all(f"SELECT essay_id, idx, title FROM sections WHERE essay_id IN ({marks})", chunk):
                titles[(int(row["essay_id"]), int(row["idx"]))] = row["title"]
        return titles
