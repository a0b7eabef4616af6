"""Migrations: a fresh database reaches the latest version; failures leave nothing half-done."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import aiosqlite
import pytest

from bot.store import SchemaError, SQLiteStore, open_store
from bot.store.migrate import Migration, bundled_migrations, migrate, schema_version


async def test_fresh_database_reaches_latest_version(tmp_path: Path) -> None:
    latest = bundled_migrations()[-1].version
    store = await open_store(tmp_path / "fresh.sqlite3")
    try:
        assert await schema_version(store.connection) == latest
        async with store.connection.execute("PRAGMA journal_mode") as cursor:
            assert (await cursor.fetchone())[0] == "wal"  # type: ignore[index]
        async with store.connection.execute("PRAGMA foreign_keys") as cursor:
            assert (await cursor.fetchone())[0] == 1  # type: ignore[index]
        async with store.connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cursor:
            tables = {row[0] for row in await cursor.fetchall()}
        assert {"feeds", "essays", "sections", "quotes", "figures", "essay_references"} <= tables
        assert {"destinations", "publications", "publication_steps"} <= tables
    finally:
        await store.close()


async def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    await (await open_store(path)).close()
    store = await open_store(path)  # would fail on CREATE TABLE if re-applied
    await store.close()


async def test_failing_migration_leaves_no_partial_change(tmp_path: Path) -> None:
    async with aiosqlite.connect(tmp_path / "m.sqlite3", isolation_level=None) as db:
        good = Migration(1, "0001_good.sql", "CREATE TABLE a (x INTEGER);")
        bad = Migration(2, "0002_bad.sql", "CREATE TABLE b (y INTEGER);\nINSERT INTO a VALUES (1);\nTHIS IS NOT SQL;")
        with pytest.raises(SchemaError, match=r"0002_bad\.sql"):
            await migrate(db, [good, bad])
        assert await schema_version(db) == 1
        async with db.execute("SELECT name FROM sqlite_master WHERE name = 'b'") as cursor:
            assert await cursor.fetchone() is None
        async with db.execute("SELECT count(*) FROM a") as cursor:
            assert (await cursor.fetchone()) == (0,)


async def test_database_newer_than_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    async with aiosqlite.connect(path) as db:
        await db.execute("PRAGMA user_version = 999")
        await db.commit()
    with pytest.raises(SchemaError, match="newer than this Marginalia"):
        await open_store(path)


def test_bundled_migrations_are_numbered_in_sequence() -> None:
    versions = [m.version for m in bundled_migrations()]
    assert versions == list(range(1, len(versions) + 1))


COMPACT = next(m.version for m in bundled_migrations() if m.name.endswith("_compact_storage.sql"))


async def test_compact_storage_keeps_every_answer_of_a_database_from_the_version_before(tmp_path: Path) -> None:
    """Essays, figures and the three search indexes written as the previous version wrote them, then migrated."""
    from bot.essays.model import Analysis, Block, Essay, Figure, Section
    from bot.store.packing import sql_pack

    path = tmp_path / "old.sqlite3"
    async with aiosqlite.connect(path, isolation_level=None) as db:
        await db.create_function("marginalia_pack", 1, sql_pack, deterministic=True)
        await migrate(db, [m for m in bundled_migrations() if m.version < COMPACT])
        blocks = '[["paragraph","The levy rose to $140 a season."],["quote","We were not asked, said Ada Moss."]]'
        await db.execute(
            "INSERT INTO essays(id, key, source, title, labels, blocks, word_count, content_hash, first_seen_at, "
            "updated_at) VALUES (1, 'levy', 's', 'The Harbour Levy', '[\"Harbour\", \"Money\"]', ?, 12, 'h', 'x', 'x')",
            (blocks,),
        )
        await db.execute(
            "INSERT INTO essay_fts(rowid, title, body, labels) VALUES (1, 'The Harbour Levy', ?, 'Harbour Money')",
            ("The levy rose to $140 a season.\n\nWe were not asked, said Ada Moss.",),
        )
        await db.execute(
            "INSERT INTO quotes(id, essay_id, section, kind, text, speaker) "
            "VALUES (7, 1, 1, 'direct', 'We were not asked', 'Ada Moss')"
        )
        await db.execute("INSERT INTO quote_fts(rowid, text, speaker) VALUES (7, 'We were not asked', 'Ada Moss')")
        for figure_id, text in ((3, "$140"), (4, "a season")):
            await db.execute(
                "INSERT INTO figures(id, essay_id, section, kind, text, context) VALUES (?, 1, 1, 'money', ?, ?)",
                (figure_id, text, "The levy rose to $140 a season."),
            )
            await db.execute(
                "INSERT INTO figure_fts(rowid, text, subject, context) VALUES (?, ?, '', ?)",
                (figure_id, text, "The levy rose to $140 a season."),
            )
    async with await open_store(path) as store:
        row = await store.get_essay("levy")
        assert row is not None and row.essay.blocks[1] == Block("quote", "We were not asked, said Ada Moss.")
        analysis = await store.load_analysis(row.id)
        assert [f.context for f in analysis.figures] == ["The levy rose to $140 a season."] * 2
        found_before = await store.search_figures("levy", guild_id=None, limit=5)
        assert [f.context for f, _ in found_before] == ["The levy rose to $140 a season."] * 2
        assert [q.speaker for q, _ in await store.search_quotes("asked", guild_id=None)] == ["Ada Moss"]
        # A revision after the migration removes what the old version indexed: no stale match is left.
        revised = Essay("levy", "The Ferry Fare", (Block("paragraph", "The fare fell to $9 in spring."),), source="s")
        fare = Figure("$9", "money", 1, "The fare fell to $9 in spring.")
        await store.save_essay(
            revised,
            Analysis(sections=[Section(1, "Fares", revised.blocks, 0, 1)], quotes=[], figures=[fare]),
        )
        assert await store.search_figures("levy", guild_id=None) == []
        assert await store.search_quotes("asked", guild_id=None) == []
        [(found, _)] = await store.search_figures("fare", guild_id=None)
        assert found.context == "The fare fell to $9 in spring."
        for table in ("essay_fts", "quote_fts", "figure_fts"):
            await store.connection.execute(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")


PACKED_TERMS = next(m.version for m in bundled_migrations() if m.name.endswith("_packed_related_terms.sql"))


async def test_packed_related_terms_keep_every_answer_of_a_database_from_the_version_before(tmp_path: Path) -> None:
    """Related terms packed, their document counts still kept by the triggers; the lookups unchanged."""
    from bot.essays.model import Analysis, Block, Essay, Section
    from bot.store.packing import pack_strings, sql_pack

    path = tmp_path / "v12.sqlite3"
    sentence = "The ferry carried 340 passengers on the harbour crossing."
    async with aiosqlite.connect(path, isolation_level=None) as db:
        await db.create_function("marginalia_pack", 1, sql_pack, deterministic=True)
        await migrate(db, [m for m in bundled_migrations() if m.version < PACKED_TERMS])
        await db.execute(
            "INSERT INTO essays(id, key, source, title, labels, word_count, content_hash, first_seen_at, updated_at) "
            "VALUES (1, 'ferry', 's', 'The Ferry', '[]', 9, 'h', 'x', 'x')"
        )
        await db.execute(
            "INSERT INTO essay_bodies(essay_id, blocks) VALUES (1, ?)", (sql_pack(f'[["paragraph", "{sentence}"]]'),)
        )
        await db.execute(
            "INSERT INTO essay_fts(rowid, title, body, labels) VALUES (1, 'The Ferry', ?, '')", (sentence,)
        )
        await db.execute("INSERT INTO essay_contexts(essay_id, contexts) VALUES (1, ?)", (pack_strings([sentence]),))
        await db.execute(
            "INSERT INTO figures(id, essay_id, section, kind, text, subject, context_idx) "
            "VALUES (5, 1, 1, 'count', '340 passengers', 'passengers', 0)"
        )
        await db.execute(
            "INSERT INTO figure_fts(rowid, text, subject, context) VALUES (5, '340 passengers', 'passengers', ?)",
            (sentence,),
        )
        await db.execute(
            "INSERT INTO quotes(id, essay_id, section, kind, text, speaker) "
            "VALUES (7, 1, 1, 'direct', 'Nobody counted the gulls', 'Ida Venn')"
        )
        await db.execute(
            "INSERT INTO quote_fts(rowid, text, speaker) VALUES (7, 'Nobody counted the gulls', 'Ida Venn')"
        )
        await db.execute(
            "INSERT INTO related_terms(essay_id, terms, forms, norm) VALUES (1, ?, ?, 2.0)",
            ('{"ferri":2,"harbour":1}', '{"ferri":"ferry"}'),
        )
    async with await open_store(path) as store:
        # "crossing" is only in the figure's sentence.
        [(figure, _)] = await store.search_figures("harbour crossing", guild_id=None)
        assert (figure.text, figure.context) == ("340 passengers", sentence)
        assert [q.speaker for q, _ in await store.search_quotes("gulls", guild_id=None)] == ["Ida Venn"]
        terms = await store.stored_terms(1)
        assert terms is not None and terms.counts == {"ferri": 2, "harbour": 1}
        assert terms.forms == {"ferri": "ferry", "harbour": "harbour"}
        assert await document_counts(store, ["ferri", "harbour"]) == {"ferri": 1, "harbour": 1}
        # A revision replaces the packed terms: the counts the triggers keep follow it.
        blocks = (Block("paragraph", "The tollbridge opened in spring."),)
        revised = Essay("ferry", "The Tollbridge", blocks, source="s")
        await store.save_essay(revised, Analysis(sections=[Section(1, "Tolls", revised.blocks, 0, 1)]))
        counts = await document_counts(store, ["ferri", "harbour", "tollbridg"])
        assert counts == {"tollbridg": 1}
        assert await store.search_figures("harbour", guild_id=None) == []
        for table in ("essay_fts", "quote_fts", "figure_fts"):
            await store.connection.execute(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")


LABEL_DF = next(m.version for m in bundled_migrations() if m.name.endswith("_label_df.sql"))


async def test_label_counts_of_a_database_from_the_version_before_are_kept_by_triggers(tmp_path: Path) -> None:
    """The counts start from the labels already stored, then follow every essay stored, revised or deleted."""
    from bot.essays.model import Analysis, Block, Essay, Section
    from bot.store.packing import sql_pack

    path = tmp_path / "v14.sqlite3"
    async with aiosqlite.connect(path, isolation_level=None) as db:
        await db.create_function("marginalia_pack", 1, sql_pack, deterministic=True)
        await migrate(db, [m for m in bundled_migrations() if m.version < LABEL_DF])
        for essay_id, labels in ((1, ["ferries", "harbour"]), (2, ["ferries"])):
            await db.execute(
                "INSERT INTO essays(id, key, source, title, labels, word_count, content_hash, first_seen_at, "
                "updated_at) VALUES (?, ?, 's', 'T', '[]', 1, 'h', 'x', 'x')",
                (essay_id, f"essay-{essay_id}"),
            )
            await db.executemany(
                "INSERT INTO essay_labels(essay_id, label) VALUES (?, ?)", [(essay_id, label) for label in labels]
            )
    async with await open_store(path) as store:
        assert await store.label_counts(["Ferries", "harbour", "tolls"]) == {"ferries": 2, "harbour": 1}
        blocks = (Block("paragraph", "The tollbridge opened in spring."),)
        essay = Essay("essay-3", "The Tollbridge", blocks, source="s", labels=("Tolls", "Ferries"))
        analysis = Analysis(sections=[Section(1, "Tolls", blocks, 0, 1)])
        await store.save_essay(essay, analysis)
        assert await store.label_counts(["ferries", "harbour", "tolls"]) == {"ferries": 3, "harbour": 1, "tolls": 1}
        # A revision that drops a label, then essays deleted with everything that hangs on them.
        revised = (Block("paragraph", "The tollbridge opened in spring, a year late."),)
        await store.save_essay(Essay("essay-3", "The Tollbridge", revised, source="s", labels=("Tolls",)), analysis)
        assert await store.label_counts(["ferries", "tolls"]) == {"ferries": 2, "tolls": 1}
        await store.connection.execute("DELETE FROM essays WHERE id IN (1, 3)")
        assert await store.label_counts(["ferries", "harbour", "tolls"]) == {"ferries": 1}


TITLE_TRIGRAMS = next(m.version for m in bundled_migrations() if m.name.endswith("_title_trigrams.sql"))


async def test_titles_of_a_database_from_the_version_before_are_found_by_their_pieces(tmp_path: Path) -> None:
    """The index is built from the titles already stored, and forgets a deleted essay."""
    from bot.store.packing import sql_pack

    path = tmp_path / "v15.sqlite3"
    async with aiosqlite.connect(path, isolation_level=None) as db:
        await db.create_function("marginalia_pack", 1, sql_pack, deterministic=True)
        await migrate(db, [m for m in bundled_migrations() if m.version < TITLE_TRIGRAMS])
        for essay_id, title in ((1, "The Harbour Wall"), (2, "Regional Rail")):
            await db.execute(
                "INSERT INTO essays(id, key, source, title, labels, word_count, content_hash, first_seen_at, "
                "updated_at) VALUES (?, ?, 's', ?, '[]', 1, 'h', 'x', 'x')",
                (essay_id, f"essay-{essay_id}", title),
            )
    async with await open_store(path) as store:
        assert [c.title for c in await store.essay_choices("bour", guild_id=None)] == ["The Harbour Wall"]
        await store.connection.execute("DELETE FROM essays WHERE id = 1")
        assert await store.essay_choices("bour", guild_id=None) == []
        assert [c.title for c in await store.essay_choices("ional", guild_id=None)] == ["Regional Rail"]
        await store.connection.execute("INSERT INTO essay_titles(essay_titles) VALUES ('integrity-check')")


async def document_counts(store: SQLiteStore, terms: list[str]) -> dict[str, int]:
    return {term: stat.essays for term, stat in (await store.term_statistics(terms)).items()}


STEM_VECTORS = next(m.version for m in bundled_migrations() if m.name.endswith("_stem_vectors.sql"))


async def test_stem_vectors_of_a_database_from_the_version_before_hold_its_terms(tmp_path: Path) -> None:
    """Each stored essay gets its vector of stem ids; the counts and ids then follow every write."""
    from bot.essays.model import Analysis, Block, Essay, Section
    from bot.essays.terms import essay_terms
    from bot.store.packing import pack, sql_pack, sql_unpack

    path = tmp_path / "v16.sqlite3"
    async with aiosqlite.connect(path, isolation_level=None) as db:
        await db.create_function("marginalia_pack", 1, sql_pack, deterministic=True)
        await db.create_function("marginalia_unpack", 1, sql_unpack, deterministic=True)
        await migrate(db, [m for m in bundled_migrations() if m.version < STEM_VECTORS])
        for essay_id, terms in ((1, '{"ferri":2,"harbour":300}'), (2, '{"ferri":1,"gull":4}')):
            await db.execute(
                "INSERT INTO essays(id, key, source, title, labels, word_count, content_hash, first_seen_at, "
                "updated_at) VALUES (?, ?, 's', 'T', '[]', 1, 'h', 'x', 'x')",
                (essay_id, f"essay-{essay_id}"),
            )
            await db.execute(
                "INSERT INTO related_terms(essay_id, terms, forms, norm) VALUES (?, ?, ?, 2.0)",
                (essay_id, pack(terms), pack("{}")),
            )
    async with await open_store(path) as store:
        stats = await store.term_statistics(["ferri", "gull", "harbour", "tollbridg"])
        assert {term: stat.essays for term, stat in stats.items()} == {"ferri": 2, "gull": 1, "harbour": 1}
        ids = {term: stat.id for term, stat in stats.items()}
        assert len(set(ids.values())) == 3
        vectors = await store.term_vectors([1, 2])
        # Ascending ids; a count above what the ranking weighs is kept at that cap (it weighs the same).
        first = dict(zip(vectors[1].ids.tolist(), vectors[1].counts.tolist(), strict=True))
        assert first == {ids["ferri"]: 2, ids["harbour"]: 255}
        assert vectors[2].ids.tolist() == sorted([ids["ferri"], ids["gull"]])
        # An essay stored after the migration gets its vector from the trigger; a stem it brings is numbered.
        blocks = (Block("paragraph", "The tollbridge and the ferry."),)
        essay = Essay("essay-3", "Tolls", blocks, source="s")
        await store.save_essay(essay, Analysis(sections=[Section(1, "Tolls", blocks, 0, 1)]))
        row = await store.get_essay("essay-3")
        assert row is not None
        stored = essay_terms(essay.title, essay.blocks)
        stats = await store.term_statistics(list(stored.counts))
        [vector] = (await store.term_vectors([row.id])).values()
        assert vector.ids.tolist() == sorted(stat.id for stat in stats.values())
        assert stats["ferri"].essays == 3
        # A stem no essay holds any longer is left out of the counts but keeps its id for when it returns.
        await store.connection.execute("DELETE FROM essays WHERE id = 2")
        assert await document_counts(store, ["gull", "ferri"]) == {"ferri": 2}
        await store.save_essay(
            Essay("essay-4", "Gulls", (Block("paragraph", "A gull."),), source="s"),
            Analysis(sections=[Section(1, "Gulls", (Block("paragraph", "A gull."),), 0, 1)]),
        )
        assert (await store.term_statistics(["gull"]))["gull"].id == ids["gull"]


RANKING_VERSION = next(m.version for m in bundled_migrations() if m.name.endswith("_ranking_version.sql"))


async def test_the_ranking_version_of_a_database_from_the_version_before_follows_its_essays(tmp_path: Path) -> None:
    """The counter starts at 0 on an archive already stored, and moves with each essay written after."""
    from bot.essays.model import Analysis, Block, Essay, Section
    from bot.store.base import _WRITER_FUNCTIONS

    path = tmp_path / "v18.sqlite3"
    async with aiosqlite.connect(path, isolation_level=None) as db:
        for name, arity, function in _WRITER_FUNCTIONS:  # the functions earlier migrations call
            await db.create_function(name, arity, function, deterministic=True)
        await migrate(db, [m for m in bundled_migrations() if m.version < RANKING_VERSION])
        await db.execute(
            "INSERT INTO essays(id, key, source, title, labels, word_count, content_hash, first_seen_at, "
            "updated_at) VALUES (1, 'essay-1', 's', 'T', '[]', 1, 'h', 'x', 'x')"
        )
    async with await open_store(path) as store:
        assert await store.ranking_version() == 0
        blocks = (Block("paragraph", "The tollbridge and the ferry."),)
        await store.save_essay(
            Essay("essay-2", "Tolls", blocks, source="s"), Analysis([Section(1, "Tolls", blocks, 0, 1)])
        )
        moved = await store.ranking_version()
        assert moved is not None and moved > 0
        await store.set_state("cursor", "x")
        assert await store.ranking_version() == moved
        await store.connection.execute("DELETE FROM essays WHERE id = 1")
        assert (await store.ranking_version() or 0) > moved


LABEL_DATES = next(m.version for m in bundled_migrations() if m.name.endswith("_label_dates.sql"))


async def test_labels_of_a_database_from_the_version_before_take_their_essays_dates(tmp_path: Path) -> None:
    """The labels' dates are filled from their essays, and follow a date changed in the essays row."""
    from bot.store.base import _WRITER_FUNCTIONS

    path = tmp_path / "v20.sqlite3"
    async with aiosqlite.connect(path, isolation_level=None) as db:
        for name, arity, function in _WRITER_FUNCTIONS:
            await db.create_function(name, arity, function, deterministic=True)
        await migrate(db, [m for m in bundled_migrations() if m.version < LABEL_DATES])
        for essay_id, day in ((1, "2024-03-01"), (2, "2024-03-05"), (3, None)):
            await db.execute(
                "INSERT INTO essays(id, key, source, title, published, labels, word_count, content_hash, "
                "first_seen_at, updated_at) VALUES (?, ?, 's', 'T', ?, '[]', 1, 'h', 'x', 'x')",
                (essay_id, f"essay-{essay_id}", f"{day}T00:00:00+00:00" if day else None),
            )
            await db.execute("INSERT INTO essay_labels(essay_id, label) VALUES (?, 'ferries')", (essay_id,))
    async with await open_store(path) as store:
        weights = {"ferries": 0.5}
        assert await store.label_neighbours(weights, guild_id=None, before=None, exclude_id=None, limit=5) == [2, 1, 3]
        before = datetime(2024, 3, 3, tzinfo=UTC)
        assert await store.label_neighbours(weights, guild_id=None, before=before, exclude_id=None, limit=5) == [1]
        await store.connection.execute("UPDATE essays SET published = '2024-03-09T00:00:00+00:00' WHERE id = 1")
        assert await store.label_neighbours(weights, guild_id=None, before=None, exclude_id=None, limit=5) == [1, 2, 3]
