"""The PostgreSQL full-text search at work: GIN indexes without a pending list, and the related-post probe
that weighs its matches from the index before ranking the best of them by ts_rank_cd."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest

import bot.store.postgres.lookup as lookup_queries
import bot.store.postgres.related as related_queries
from bench.generate import generate
from bot.intake import analyse_for_store, store_essay
from bot.store.postgres import PostgresStore
from bot.store.postgres.lookup import RANK_WEIGHTS
from bot.store.postgres.migrate import bundled_migrations
from tests.pg_server import fresh_database
from tests.store.postgres.statements import sent_statements
from tests.store.postgres.versions import open_before

WORDS = ["railway", "council", "budget", "fare", "housing", "rent"]


@pytest.fixture
async def archive(pg_admin_url: str) -> AsyncIterator[PostgresStore]:
    """Twenty generated essays (original text of bench.generate) stored through the intake."""
    async with fresh_database(pg_admin_url, migrated=True) as url, await PostgresStore.open(url, worker="t") as store:
        for post in generate(20, seed=8, words=700):
            await store_essay(store, post.to_essay())
        yield store


async def full_ranking(store: PostgresStore, words: list[str], before: datetime | None) -> list[tuple[int, float]]:
    """Every essay matching any of ``words`` ranked by ts_rank_cd, as the probe ranked before it had a pool."""
    match = " or ".join(f'"{word}"' for word in words)
    rows = await store._all(
        f"SELECT e.id, ts_rank_cd({RANK_WEIGHTS}, s.document, websearch_to_tsquery('marginalia', $1)) AS score "
        "FROM essay_search s JOIN essays e ON e.id = s.essay_id "
        "WHERE s.document @@ websearch_to_tsquery('marginalia', $1) AND ($2::timestamptz IS NULL OR e.published < $2) "
        "ORDER BY score DESC, e.id",
        (match, before),
    )
    return [(int(r["id"]), float(r["score"])) for r in rows]


async def test_the_full_text_indexes_keep_no_pending_list(archive: PostgresStore) -> None:
    rows = await archive._all(
        "SELECT relname, reloptions FROM pg_class WHERE relname IN "
        "('essay_search_document', 'quotes_document', 'figures_document', 'figures_own_words') ORDER BY relname"
    )
    assert [(r["relname"], r["reloptions"]) for r in rows] == [
        ("essay_search_document", ["fastupdate=off"]),
        ("figures_document", ["fastupdate=off"]),
        ("figures_own_words", ["fastupdate=off"]),
        ("quotes_document", ["fastupdate=off"]),
    ]


async def test_the_figures_whose_own_words_hold_a_search_are_found_from_their_index(archive: PostgresStore) -> None:
    """The first pass of a common-word figure search (own words first) reads the own-words index, not every row."""
    match = "websearch_to_tsquery('marginalia', '\"fare\"')"
    async with archive.transaction() as db:
        await db.execute("SET LOCAL enable_seqscan = off")
        plan = "\n".join(
            r[0]
            for r in await db.fetch(
                f"EXPLAIN SELECT f.id FROM figures f WHERE f.document @@ {match} "
                f"AND ts_filter(f.document, '{{a,b}}') @@ {match} ORDER BY f.id DESC LIMIT 10"
            )
        )
    assert "figures_own_words" in plan


async def test_a_common_word_search_of_one_kind_walks_that_kinds_figures_only(archive: PostgresStore) -> None:
    """The walk of a filtered search (bot/store/postgres/lookup.py ``_rows``) goes back along the kind's ids."""
    async with archive.transaction() as db:
        await db.execute("SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off")
        plan = "\n".join(
            r[0]
            for r in await db.fetch(
                "EXPLAIN SELECT f.id FROM figures f WHERE f.document @@ websearch_to_tsquery('marginalia', '\"fare\"') "
                "AND f.kind = 'money' AND f.id > 0 ORDER BY f.id DESC LIMIT 10"
            )
        )
    assert "Index Scan Backward using figures_kind_id" in plan


async def test_a_database_of_the_previous_version_keeps_its_matches_after_the_migration(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrations = bundled_migrations()
    with monkeypatch.context() as patch:
        open_before(patch, "_gin_without_pending_list.sql")
        async with await PostgresStore.open(pg_url, worker="t") as old:
            for post in generate(4, seed=2, words=500):
                # Saved as that version saved them (no related-post lists: their columns came later).
                essay = post.to_essay()
                await old.save_essay(essay, await analyse_for_store(old, essay))  # entries queued in the pending lists
            assert await old._value("SELECT max(version) FROM schema_migrations") == 2
            answered = await old.text_neighbours(["railway", "council"], guild_id=None, before=None, limit=10)

    async with await PostgresStore.open(pg_url, worker="t") as store:
        assert await store._value("SELECT max(version) FROM schema_migrations") == migrations[-1].version
        assert answered[0], "the fixture's words must match"
        assert await store.text_neighbours(["railway", "council"], guild_id=None, before=None, limit=10) == answered


@pytest.mark.parametrize("words", [WORDS[:1], WORDS[:3], WORDS])
async def test_with_fewer_matches_than_the_pool_the_probe_answers_as_the_full_ranking(
    archive: PostgresStore, words: list[str]
) -> None:
    expected = await full_ranking(archive, words, None)
    assert expected, "the fixture's words must match some essays"

    hits, own = await archive.text_neighbours(words, guild_id=None, before=None, limit=8)

    assert own is None
    assert hits == expected[:8]


async def test_past_the_pool_the_best_weighed_matches_are_ranked_and_the_target_kept(
    archive: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await archive.all_essay_ids()
    target = ids[-1]
    row = await archive.get_essay_by_id(target)
    assert row is not None and row.essay.published is not None
    matching = {essay_id for essay_id, _ in await full_ranking(archive, WORDS, None)}
    monkeypatch.setattr(related_queries, "RANK_POOL", 3)

    hits, own = await archive.text_neighbours(WORDS, guild_id=None, before=None, limit=2, target_id=target)

    # The pool is at least four times the answer: every answer is a match, the target's relevance is given.
    assert 0 < len(hits) <= 2 and {essay_id for essay_id, _ in hits} <= matching - {target}
    assert (own is not None) == (target in matching)
    assert [score for _, score in hits] == sorted((score for _, score in hits), reverse=True)


async def test_the_own_words_pass_of_a_common_word_search_leaves_the_whole_match_index_alone(
    archive: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The figures whose own words hold a common word come from their own index and the window's id range:
    with the whole-document match beside it, the planner read that index's every entry (36,000 at 100,000
    essays) and fetched every own-words row to keep the window's."""
    monkeypatch.setattr(lookup_queries, "MATCH_WINDOW", 2)  # "fare" is a common word
    monkeypatch.setattr(lookup_queries, "FETCH_COST", 1e6)  # whose newest matches are walked for, in two passes
    passes: list[tuple[str, tuple[Any, ...]]] = []
    rows = archive._rows

    async def spy(sql: str, params: Any, *, walk: bool) -> Any:
        passes.append((sql, tuple(params)))
        return await rows(sql, params, walk=walk)

    monkeypatch.setattr(archive, "_rows", spy)
    found = await archive.search_figures("fare", guild_id=None, limit=3)
    assert found and passes
    sql, params = passes[0]
    assert "f.document @@" not in sql  # the whole-document match, which the own words' imply
    async with archive.transaction() as db:
        await db.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off")
        plan = "\n".join(r[0] for r in await db.fetch(f"EXPLAIN {sql}", *params))
    assert "figures_own_words" in plan


async def plan_of(store: PostgresStore, sql: str, params: tuple[Any, ...]) -> str:
    async with store.transaction() as db:
        await db.execute("SET LOCAL enable_seqscan = off")
        return "\n".join(r[0] for r in await db.fetch(f"EXPLAIN {sql}", *params))


@pytest.mark.parametrize("table", ["quotes", "figures"])
async def test_a_search_inside_one_essay_reads_that_essays_rows_not_the_words_matches(
    archive: PostgresStore, monkeypatch: pytest.MonkeyPatch, table: str
) -> None:
    """A common word's every GIN entry (200,000 at 100,000 essays) was read to keep an essay's few dozen rows."""
    monkeypatch.setattr(lookup_queries, "MATCH_WINDOW", 2)  # "fare" is a common word
    key = await archive._value("SELECT key FROM essays ORDER BY id LIMIT 1")
    sent = sent_statements(archive, monkeypatch)
    search = archive.search_quotes if table == "quotes" else archive.search_figures
    await search("fare", guild_id=None, essay_key=key)
    sql, params = next((sql, params) for sql, params in sent if sql.startswith(f"SELECT {table[0]}.*"))
    plan = await plan_of(archive, sql, params)
    # The match is a filter over the essay's rows, kept apart by the subquery: no plan can read the words' entries.
    assert "Subquery Scan" in plan and f"{table}_document" not in plan


async def test_the_newest_matches_of_common_words_are_sorted_before_the_scope_and_the_joins(
    archive: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each match the index gives was joined and probed before the sort (2,300 matches: 24 against 8 ms)."""
    monkeypatch.setattr(lookup_queries, "MATCH_WINDOW", 2)  # "fare" is a common word ...
    monkeypatch.setattr(lookup_queries, "FETCH_COST", 0.0)  # ... whose matches come from the GIN index
    sent = sent_statements(archive, monkeypatch)
    found = await archive.search_quotes("fare", guild_id=1, limit=3)
    sql, params = next((sql, params) for sql, params in sent if sql.startswith("SELECT q.*"))
    plan = (await plan_of(archive, sql, params)).splitlines()
    assert not found  # no server sees an essay here; the plan is the point
    assert plan[0].startswith("Limit") and "Nested Loop" in plan[1]  # the page stops the joins: no sort above


async def test_the_date_of_an_essay_probed_by_its_id_comes_from_the_index_alone(archive: PostgresStore) -> None:
    """A search kept to essays published before a date probes each match's essay for its date (migration 0013)."""
    await archive._all("VACUUM essays")  # an index-only scan needs the pages marked all-visible
    async with archive.transaction() as db:
        await db.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off")
        plan = "\n".join(r[0] for r in await db.fetch("EXPLAIN SELECT published FROM essays WHERE id = 2"))
    assert "Index Only Scan using essays_id_published" in plan
