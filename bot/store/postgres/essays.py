"""Essays and their analysis in PostgreSQL: saving (new or revised), reading back, small state."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import cast

from bot.essays.model import (
    Analysis,
    Block,
    BlockKind,
    Essay,
    Figure,
    FigureKind,
    Quote,
    QuoteKind,
    Reference,
    Section,
)
from bot.essays.terms import encode_counts, encode_forms, essay_terms
from bot.store.postgres.base import Args, PostgresBase, Record, now, stamp, utc
from bot.store.postgres.migrate import Db
from bot.store.postgres.scope import visible
from bot.store.records import EssayRow, IngestOutcome, IngestStatus
from bot.store.scope import GuildScope

logger = logging.getLogger(__name__)

_ESSAY_SELECT = "SELECT e.*, b.blocks AS blocks FROM essays e JOIN essay_bodies b ON b.essay_id = e.id"
# The full-text document of an essay: title (A), labels (B), body (C).
_ESSAY_DOCUMENT = (
    "setweight(to_tsvector('marginalia', $2), 'A') || setweight(to_tsvector('marginalia', $3), 'B') "
    "|| setweight(to_tsvector('marginalia', $4), 'C')"
)
# An essay's search document, and its date (the essays row's, migration 0014): $1 its id, $2-$4 its title,
# labels and body, $5 its date.
SEARCH_INSERT = f"INSERT INTO essay_search(essay_id, document, published) VALUES ($1, {_ESSAY_DOCUMENT}, $5)"
# A figure's: subject (A), the figure itself (B), its sentence (C).
_FIGURE_DOCUMENT = (
    "setweight(to_tsvector('marginalia', COALESCE($9, '')), 'A') || setweight(to_tsvector('marginalia', $4), 'B') "
    "|| setweight(to_tsvector('marginalia', $11), 'C')"
)


def blocks_json(blocks: Sequence[Block]) -> str:
    return json.dumps([[b.kind, b.text] for b in blocks], ensure_ascii=False, separators=(",", ":"))


def blocks_from_json(raw: str) -> tuple[Block, ...]:
    return tuple(Block(cast(BlockKind, kind), text) for kind, text in json.loads(raw))


def figure_context_numbers(figures: Sequence[Figure]) -> tuple[list[str], list[int]]:
    """Each distinct sentence once, in order of first use, and each figure's number in that list."""
    numbers: dict[str, int] = {}
    for figure in figures:
        numbers.setdefault(figure.context, len(numbers))
    return list(numbers), [numbers[figure.context] for figure in figures]


def quote_from_row(row: Record) -> Quote:
    return Quote(
        text=row["text"],
        kind=cast(QuoteKind, row["kind"]),
        section=int(row["section"]),
        speaker=row["speaker"],
        score=float(row["score"]),
    )


def figure_from_row(row: Record, contexts: dict[int, list[str]]) -> Figure:
    sentences = contexts.get(int(row["essay_id"]), [])
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


def reference_from_row(row: Record) -> Reference:
    ref_date: date | None = row["ref_date"]
    return Reference(
        text=row["text"],
        section=int(row["section"]),
        date=ref_date,
        title=row["title"],
        url=row["url"],
        resolved_key=row["resolved_key"],
    )


def essay_from_row(row: Record) -> EssayRow:
    essay = Essay(
        key=row["key"],
        title=row["title"],
        blocks=blocks_from_json(row["blocks"]),
        url=row["url"],
        author=row["author"],
        published=utc(row["published"]),
        labels=tuple(row["labels"]),
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


class EssayQueries(PostgresBase):
    # ------------------------------------------------------------------ state

    async def get_state(self, key: str) -> str | None:
        value = await self._value("SELECT value FROM bot_state WHERE key = $1", (key,))
        return str(value) if value is not None else None

    async def set_state(self, key: str, value: str) -> None:
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO bot_state(key, value) VALUES ($1, $2) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                key,
                value,
            )

    # ----------------------------------------------------------------- essays

    async def save_essay(self, essay: Essay, analysis: Analysis, *, feed_id: int | None = None) -> IngestOutcome:
        """Store an essay and its analysis; a changed body makes a new revision (one transaction)."""
        [outcome] = await self.save_essays([(essay, analysis, feed_id)])
        return outcome

    async def save_essays(self, items: Sequence[tuple[Essay, Analysis, int | None]]) -> list[IngestOutcome]:
        """Store several essays (each with its analysis and feed) in one transaction, in order."""
        at = now()
        async with self.transaction() as db:
            return [await self._save(db, essay, analysis, feed_id, at) for essay, analysis, feed_id in items]

    async def content_hashes(self, keys: Sequence[str]) -> dict[str, tuple[str, int, int]]:
        """{key: (content hash, essay id, revision)} of the given keys that are stored."""
        rows = await self._all(
            "SELECT key, content_hash, id, revision FROM essays WHERE key = ANY($1::text[])", (sorted(set(keys)),)
        )
        return {r["key"]: (r["content_hash"], int(r["id"]), int(r["revision"])) for r in rows}

    async def _save(self, db: Db, essay: Essay, analysis: Analysis, feed_id: int | None, at: datetime) -> IngestOutcome:
        content_hash = essay.content_hash
        values = (
            essay.source,
            essay.url,
            essay.title,
            essay.author,
            stamp(essay.published),
            list(essay.labels),
            essay.word_count,
            content_hash,
            essay.image,
            essay.site_name,
            essay.site_icon,
        )
        # Insert first: of two processes storing the same new essay, one inserts and the other finds it.
        essay_id = await db.fetchval(
            "INSERT INTO essays(key, feed_id, source, url, title, author, published, labels, word_count, "
            "content_hash, image, site_name, site_icon, revision, first_seen_at, updated_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1, $14, $14) "
            "ON CONFLICT (key) DO NOTHING RETURNING id",
            essay.key,
            feed_id,
            *values,
            at,
        )
        body = blocks_json(essay.blocks)
        status: IngestStatus
        if essay_id is not None:
            await db.execute("INSERT INTO essay_bodies(essay_id, blocks) VALUES ($1, $2)", essay_id, body)
            status, revision = "new", 1
        else:
            existing = await db.fetchrow(
                "SELECT id, content_hash, revision FROM essays WHERE key = $1 FOR UPDATE", essay.key
            )
            assert existing is not None  # the insert met it, and essays are never deleted here
            essay_id = int(existing["id"])
            if existing["content_hash"] == content_hash:
                return IngestOutcome("unchanged", essay_id, essay.key, int(existing["revision"]))
            revision = int(existing["revision"]) + 1
            await self._delete_analysis(db, essay_id)
            await db.execute(
                "UPDATE essays SET source = $1, url = $2, title = $3, author = $4, published = $5, labels = $6, "
                "word_count = $7, content_hash = $8, image = $9, site_name = $10, site_icon = $11, revision = $12, "
                "updated_at = $13, feed_id = COALESCE(feed_id, $14) WHERE id = $15",
                *values,
                revision,
                at,
                feed_id,
                essay_id,
            )
            await db.execute("UPDATE essay_bodies SET blocks = $1 WHERE essay_id = $2", body, essay_id)
            status = "revised"
        await self._insert_analysis(db, int(essay_id), essay, analysis)
        return IngestOutcome(status, int(essay_id), essay.key, revision)

    async def _delete_analysis(self, db: Db, essay_id: int) -> None:
        """Remove an essay's analysis and search documents (its essays row and body stay)."""
        for table in (
            "essay_search",
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
            await db.execute(f"DELETE FROM {table} WHERE essay_id = $1", essay_id)

    async def _insert_analysis(self, db: Db, essay_id: int, essay: Essay, analysis: Analysis) -> None:
        await db.executemany(
            "INSERT INTO sections(essay_id, idx, title, start_block, end_block, from_heading, word_count) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7)",
            [(essay_id, s.index, s.title, s.start, s.end, s.from_heading, s.word_count) for s in analysis.sections],
        )
        await db.executemany(
            "INSERT INTO quotes(essay_id, section, kind, text, speaker, score) VALUES ($1, $2, $3, $4, $5, $6)",
            [(essay_id, q.section, q.kind, q.text, q.speaker, q.score) for q in analysis.quotes],
        )
        contexts, numbers = figure_context_numbers(analysis.figures)
        if contexts:
            await db.execute("INSERT INTO essay_contexts(essay_id, contexts) VALUES ($1, $2)", essay_id, contexts)
        await db.executemany(
            "INSERT INTO figures(essay_id, section, kind, text, value, value_high, unit, qualifier, subject, "
            f"context_idx, document) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, {_FIGURE_DOCUMENT})",
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
                    f.context,
                )
                for f, number in zip(analysis.figures, numbers, strict=True)
            ],
        )
        await db.executemany(
            "INSERT INTO essay_references(essay_id, section, text, ref_date, title, url, resolved_key) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7)",
            [(essay_id, r.section, r.text, r.date, r.title, r.url, r.resolved_key) for r in analysis.references],
        )
        self.label_counts_read.clear()  # this process's own writes are seen at once (others' within a minute)
        await db.execute(
            "INSERT INTO essay_labels(essay_id, label) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING",
            essay_id,
            sorted({label.strip().lower() for label in essay.labels if label.strip()}),
        )
        await db.execute(
            SEARCH_INSERT,
            essay_id,
            essay.title,
            " ".join(essay.labels),
            essay.body_text,
            stamp(essay.published),  # as the essays row has it: a revision writes both (migration 0014)
        )
        terms = analysis.terms if analysis.terms is not None else essay_terms(essay.title, essay.blocks)
        await db.execute(
            "INSERT INTO related_terms(essay_id, terms, forms, norm) VALUES ($1, $2::jsonb, $3::jsonb, $4)",
            essay_id,
            encode_counts(terms.counts),
            encode_forms(terms.forms),
            terms.norm,
        )

    async def get_essay(self, key: str) -> EssayRow | None:
        row = await self._one(f"{_ESSAY_SELECT} WHERE e.key = $1", (key,))
        return essay_from_row(row) if row else None

    async def get_essay_by_id(self, essay_id: int) -> EssayRow | None:
        row = await self._one(f"{_ESSAY_SELECT} WHERE e.id = $1", (essay_id,))
        return essay_from_row(row) if row else None

    async def find_essay(self, key_or_url: str) -> EssayRow | None:
        """An essay by key, or by URL (as given, or normalised by the caller)."""
        row = await self._one(
            f"{_ESSAY_SELECT} WHERE e.key = $1 OR e.url = $1 ORDER BY e.key = $1 DESC LIMIT 1", (key_or_url,)
        )
        return essay_from_row(row) if row else None

    async def find_visible_essay(self, key_or_url: str, *, guild_id: GuildScope) -> EssayRow | None:
        """An essay the server may see, by key or URL."""
        args = Args(key_or_url)
        row = await self._one(
            f"{_ESSAY_SELECT} WHERE (e.key = $1 OR e.url = $1) AND {visible('e.id', guild_id, args, probe=True)} "
            "ORDER BY e.key = $1 DESC LIMIT 1",
            args.values,
        )
        return essay_from_row(row) if row else None

    async def get_visible_essay(self, essay_id: int, *, guild_id: GuildScope) -> EssayRow | None:
        """An essay by id, if the server may see it."""
        args = Args(essay_id)
        row = await self._one(
            f"{_ESSAY_SELECT} WHERE e.id = $1 AND {visible('e.id', guild_id, args, probe=True)}", args.values
        )
        return essay_from_row(row) if row else None

    async def newest_visible_essays(
        self, *, guild_id: GuildScope, limit: int = 50, feed_id: int | None = None
    ) -> list[EssayRow]:
        """The newest essays the server may see (of one feed, with ``feed_id``)."""
        args = Args()
        where = [visible("e.id", guild_id, args)]
        if feed_id is not None:
            where.append(f"e.feed_id = {args(feed_id)}")
        rows = await self._all(
            f"{_ESSAY_SELECT} WHERE {' AND '.join(where)} "
            f"ORDER BY e.published DESC NULLS LAST, e.id DESC LIMIT {args(limit)}",
            args.values,
        )
        return [essay_from_row(r) for r in rows]

    async def essay_count(self) -> int:
        return int(await self._value("SELECT count(*) FROM essays"))

    async def list_essays(self, *, limit: int = 50, feed_id: int | None = None) -> list[EssayRow]:
        """The newest essays first."""
        return await self.newest_visible_essays(guild_id=None, limit=limit, feed_id=feed_id)

    async def all_essay_ids(self) -> list[int]:
        return [int(r["id"]) for r in await self._all("SELECT id FROM essays ORDER BY id")]

    async def load_analysis(self, essay_id: int) -> Analysis:
        raw = await self._value("SELECT blocks FROM essay_bodies WHERE essay_id = $1", (essay_id,))
        blocks = blocks_from_json(raw) if raw is not None else ()
        sections = [
            Section(
                index=int(r["idx"]),
                title=r["title"],
                blocks=blocks[r["start_block"] : r["end_block"]],
                start=int(r["start_block"]),
                end=int(r["end_block"]),
                from_heading=bool(r["from_heading"]),
            )
            for r in await self._all("SELECT * FROM sections WHERE essay_id = $1 ORDER BY idx", (essay_id,))
        ]
        quotes = [
            quote_from_row(r)
            for r in await self._all("SELECT * FROM quotes WHERE essay_id = $1 ORDER BY id", (essay_id,))
        ]
        contexts = await self.figure_contexts([essay_id])
        figures = [
            figure_from_row(r, contexts)
            for r in await self._all("SELECT * FROM figures WHERE essay_id = $1 ORDER BY id", (essay_id,))
        ]
        references = [
            reference_from_row(r)
            for r in await self._all("SELECT * FROM essay_references WHERE essay_id = $1 ORDER BY id", (essay_id,))
        ]
        return Analysis(sections=sections, quotes=quotes, figures=figures, references=references)

    async def figure_contexts(self, essay_ids: Iterable[int]) -> dict[int, list[str]]:
        """The sentences figures were cited in, per essay, in order of first use."""
        rows = await self._all(
            "SELECT essay_id, contexts FROM essay_contexts WHERE essay_id = ANY($1::bigint[])",
            (sorted(set(essay_ids)),),
        )
        return {int(r["essay_id"]): list(r["contexts"]) for r in rows}

    async def figure_sentences(self, figure_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
        """The figures' text and the sentence each was cited in, by figure id, as stored now (a figure its
        essay's revision removed is left out)."""
        rows = await self._all(
            "SELECT f.id, f.text, COALESCE(c.contexts[f.context_idx + 1], '') AS sentence FROM figures f "
            "LEFT JOIN essay_contexts c ON c.essay_id = f.essay_id WHERE f.id = ANY($1::bigint[])",
            (sorted(set(figure_ids)),),
        )
        return {int(r["id"]): (r["text"], r["sentence"]) for r in rows}

    async def section_titles(self, essay_ids: Sequence[int]) -> dict[tuple[int, int], str]:
        """{(essay id, section index): section title} for the given essays."""
        rows = await self._all(
            "SELECT essay_id, idx, title FROM sections WHERE essay_id = ANY($1::bigint[])", (sorted(set(essay_ids)),)
        )
        return {(int(r["essay_id"]), int(r["idx"])): r["title"] for r in rows}
