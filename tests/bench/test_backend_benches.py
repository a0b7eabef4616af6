"""The benches' PostgreSQL side: the --database-url option, the floor queries, archive building, the margin's
measures. The timings themselves are only reported by the benches, never asserted."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bench import backend_margin, commands, pg
from bench.generate import TOPICS, generate
from bot.intake import store_essay
from bot.store import Store, open_store
from bot.store.postgres import floors
from tests.pg_server import fresh_database

SOCKET_URL = "postgresql://bench@/postgres?host=/run/postgresql"


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        (SOCKET_URL, True),
        ("postgres://user:secret@db.example:5432/admin", True),
        ("  postgresql://user@localhost/postgres  ", True),
        ("postgresql://user@localhost", False),  # no database to connect to
        ("postgresql://user@localhost/", False),
        ("sqlite:///data/marginalia.sqlite3", False),
        ("data/marginalia.sqlite3", False),
        ("mysql://user@localhost/db", False),
    ],
)
def test_the_database_url_option_takes_postgresql_addresses_naming_a_database(text: str, accepted: bool) -> None:
    if accepted:
        assert pg.database_url_option(text) == text.strip()
    else:
        with pytest.raises(argparse.ArgumentTypeError):
            pg.database_url_option(text)


@pytest.mark.parametrize("main", [commands.main, backend_margin.main])
def test_a_bench_refuses_a_database_url_that_is_not_postgresql(main: Any, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--database-url", "sqlite:///x.sqlite3"])

    assert exited.value.code == 2
    assert "not a postgresql:// address" in capsys.readouterr().err


def test_another_database_on_the_same_server_keeps_the_address_query() -> None:
    assert pg.with_database(SOCKET_URL, "archive_1") == "postgresql://bench@/archive_1?host=/run/postgresql"


def test_the_bot_is_pointed_at_a_file_or_a_database_by_the_matching_setting(tmp_path: Path) -> None:
    assert commands.database_env(tmp_path / "db.sqlite3") == {"DB_PATH": str(tmp_path / "db.sqlite3")}
    assert commands.database_env(SOCKET_URL) == {"DATABASE_URL": SOCKET_URL}
    assert commands.archive_database(10000) != commands.archive_database(100000)


async def test_an_interrupted_build_goes_on_where_it_stopped_and_keeps_the_smaller_archives(tmp_path: Path) -> None:
    kept: list[int] = []
    async with await open_store(tmp_path / "partial.sqlite3") as store:

        async def keep(number: int) -> Store:
            kept.append(number)
            return store

        await commands.fill_archive(store, 3, 7, 0.0)
        await commands.fill_archive(store, 5, 7, 0.0, keep=keep, keep_every=2)
        rows = [await store.get_essay_by_id(i) for i in await store.all_essay_ids()]

    assert [row.essay.key for row in rows if row] == [post.url for post in generate(5, seed=7, words=commands.WORDS)]
    # The essays of the first run were not stored again, so only the multiples reached afterwards are kept.
    assert kept == [4]


# --------------------------------------------------------------------------- the PostgreSQL floor


@pytest.fixture
async def fixture_archive(pg_admin_url: str) -> AsyncIterator[tuple[Store, str]]:
    """Twelve generated essays (original text of bench.generate) stored through the intake on PostgreSQL."""
    async with fresh_database(pg_admin_url, migrated=True) as url, await open_store(url) as store:
        for post in generate(12, seed=3, words=900):
            await store_essay(store, post.to_essay())
        yield store, url


async def test_a_warmed_copy_has_its_tables_indexes_and_toast_in_shared_buffers(
    fixture_archive: tuple[Store, str],
) -> None:
    _, url = fixture_archive
    read, held = await pg.prewarm(url)
    connection = await asyncpg.connect(url)
    try:
        page = int(await connection.fetchval("SELECT current_setting('block_size')::int"))
        bodies = await connection.fetchval(
            "SELECT pg_relation_size(reltoastrelid) + pg_relation_size('essays') FROM pg_class "
            "WHERE oid = 'essay_search'::regclass"
        )
        everything = await connection.fetchval("SELECT pg_database_size(current_database())")
    finally:
        await connection.close()
    assert held > 0
    # The essays' rows and their documents' TOAST among the pages read, and nothing of another database.
    assert bodies < read * page < everything


async def test_a_settled_copy_has_what_was_written_vacuumed_and_analyzed(fixture_archive: tuple[Store, str]) -> None:
    _, url = fixture_archive
    connection = await asyncpg.connect(url)
    try:  # rows written as a follow writes them; the statistics sent now, not when the connection idles
        await connection.execute(
            "CREATE TABLE followed(essay_id bigint); INSERT INTO followed SELECT generate_series(1, 500)"
        )
        await connection.execute("SELECT pg_stat_force_next_flush()")
        await connection.execute("SELECT 1")
        assert "followed" in await pg.settle(url)
        await connection.execute("SELECT 1")
        row = await connection.fetchrow(
            "SELECT n_mod_since_analyze, n_ins_since_vacuum, last_vacuum IS NOT NULL AS vacuumed, "
            "last_analyze IS NOT NULL AS analyzed FROM pg_stat_user_tables WHERE relname = 'followed'"
        )
        assert dict(row) == {"n_mod_since_analyze": 0, "n_ins_since_vacuum": 0, "vacuumed": True, "analyzed": True}
        assert "followed" not in await pg.settle(url)
    finally:
        await connection.close()


QUERY_WORDS = sorted({word for topic in TOPICS[:3] for word in (*topic.nouns[:4], *topic.units[:2])})


async def test_the_postgresql_floor_finds_what_the_store_searches(fixture_archive: tuple[Store, str]) -> None:
    """Below the match window the floor's candidates are exactly the store's answers, query by query."""
    store, url = fixture_archive
    connection = await asyncpg.connect(url)
    found_any = {"quote": 0, "figures": 0, "related": 0}
    try:
        for word in QUERY_WORDS:
            quote_ids = await floors.floor_ids(connection, "quote", {"search": word})
            assert quote_ids is not None
            quote_rows = await connection.fetch(
                "SELECT e.key, q.text FROM quotes q JOIN essays e ON e.id = q.essay_id WHERE q.id = ANY($1::bigint[])",
                quote_ids,
            )
            quotes = await store.search_quotes(word, guild_id=None, limit=floors.CANDIDATES)
            assert {(r["key"], r["text"]) for r in quote_rows} == {(ref.key, q.text) for q, ref in quotes}

            figure_ids = await floors.floor_ids(connection, "figures", {"search": word})
            assert figure_ids is not None
            figure_rows = await connection.fetch(
                "SELECT e.key, f.text FROM figures f JOIN essays e ON e.id = f.essay_id WHERE f.id = ANY($1::bigint[])",
                figure_ids,
            )
            figures = await store.search_figures(word, guild_id=None, limit=floors.CANDIDATES)
            assert {(r["key"], r["text"]) for r in figure_rows} == {(ref.key, f.text) for f, ref in figures}

            essay_ids = await floors.floor_ids(connection, "related", {"search": word})
            hits, _ = await store.text_neighbours([word], guild_id=None, before=None, limit=floors.CANDIDATES)
            assert set(essay_ids or []) == {essay_id for essay_id, _ in hits}

            found_any["quote"] += bool(quotes)
            found_any["figures"] += bool(figures)
            found_any["related"] += bool(hits)
        # The fixture's words do reach each kind of answer (the comparisons above are not all of empty sets).
        assert all(found_any.values()), found_any
    finally:
        await connection.close()


async def test_the_postgresql_autocomplete_floor_matches_the_titles_typed(fixture_archive: tuple[Store, str]) -> None:
    store, url = fixture_archive
    title = (await store.essay_choices("", guild_id=None, limit=1))[0].title
    typed = title.split()[-1][:5]
    connection = await asyncpg.connect(url)
    try:
        ids = await floors.floor_ids(connection, "autocomplete essay", {"essay": typed})
    finally:
        await connection.close()
    choices = await store.essay_choices(typed, guild_id=None, limit=25)
    assert ids and set(ids) == {choice.id for choice in choices}
    assert floors.floor_query("activity", {}) is None


# --------------------------------------------------------------------------- the margin's measures


def test_agreement_counts_empty_answers_apart_and_compares_the_top_five() -> None:
    sqlite: list[list[Any]] = [["a", "b", "c"], [], [], ["x", "y"]]
    postgres: list[list[Any]] = [["a", "b", "c"], [], ["q"], ["y", "z"]]

    result = backend_margin.agreement("/quote", sqlite, postgres)

    assert (result.queries, result.both_empty, result.one_empty) == (4, 1, 1)
    # Jaccard 1 (identical), 0 (only one answers), 1/3 ({x, y} against {y, z}), over the 3 answered queries.
    assert result.top5_jaccard == pytest.approx((1 + 0 + 1 / 3) / 3)
    assert result.same_first == pytest.approx(1 / 3)


def test_the_margin_queries_are_the_corpus_own_words_and_fixed_by_the_seed() -> None:
    essays = [post.to_essay() for post in generate(15, seed=4, words=700)]

    first = backend_margin.draw_queries(essays, 10, seed=9)
    again = backend_margin.draw_queries(essays, 10, seed=9)

    assert first == again
    assert len(first.quote) == len(first.figures) == len(first.related) == 10
    text = " ".join(" ".join(b.text for b in e.blocks) + " " + e.title for e in essays).lower()
    for query in first.quote + first.figures + first.related:
        assert all(word in text for word in query.split())
    assert backend_margin.content_words("The railway's fare rose, and THE FARE fell: 3 times") == [
        "railway",
        "fare",
        "rose",
        "fell",
        "times",
    ]
