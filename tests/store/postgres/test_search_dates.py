"""Migration 0014: each essay's date beside its search document, kept with the essay's, and read with one word's
matches so that those newer than an older essay's date are left out before the sort."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.essays.model import Analysis, Block, Essay
from bot.store.postgres import PostgresStore
from tests.store.postgres.statements import sent_statements
from tests.store.postgres.versions import open_before


def essay(key: str, day: int, text: str = "The harbour wall.") -> Essay:
    return Essay(key, key.title(), (Block("paragraph", text),), published=datetime(2024, 1, day, tzinfo=UTC))


async def search_dates(store: PostgresStore) -> list[tuple[bool, bool]]:
    rows = await store._all(
        "SELECT s.published = e.published AS same, s.published IS NULL AS missing "
        "FROM essay_search s JOIN essays e ON e.id = s.essay_id ORDER BY e.id"
    )
    return [(r["same"], r["missing"]) for r in rows]


async def test_the_dates_of_a_previous_version_s_essays_are_filled_in(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = datetime(2024, 1, 3, tzinfo=UTC)
    with monkeypatch.context() as patch:
        open_before(patch, "_essay_search_published.sql")
        async with await PostgresStore.open(pg_url, worker="t") as old:
            for day in (1, 2, 3):
                await old.save_essay(essay(f"e{day}", day), Analysis())
            await old.save_essay(Essay("undated", "Undated", (Block("paragraph", "The harbour."),)), Analysis())

    async with await PostgresStore.open(pg_url, worker="t") as store:
        # Three dated essays with their dates, the undated one without (as its essays row).
        assert await search_dates(store) == [(True, False)] * 3 + [(None, True)]
        found, _ = await store.text_neighbours(["harbour"], guild_id=None, before=before, limit=5, window=5)
        earlier = await store._all("SELECT id FROM essays WHERE key IN ('e1', 'e2')")
        assert {essay_id for essay_id, _ in found} == {r["id"] for r in earlier}
        # The full-text index was built again, over every document.
        assert await store._value("SELECT count(*) FROM essay_search WHERE document @@ 'harbour'::tsquery") == 4
        assert await store._value("SELECT to_regclass('essay_search_document') IS NOT NULL")


async def test_a_revised_date_is_the_search_document_s_date_too(pg_store: PostgresStore) -> None:
    await pg_store.save_essay(essay("moved", 1), Analysis())
    await pg_store.save_essay(essay("moved", 9, "The harbour wall, mended."), Analysis())
    assert await search_dates(pg_store) == [(True, False)]
    found, _ = await pg_store.text_neighbours(
        ["harbour"], guild_id=None, before=datetime(2024, 1, 5, tzinfo=UTC), limit=5, window=5
    )
    assert found == []


async def test_one_word_s_matches_newer_than_the_date_are_left_out_as_the_index_s_rows_are_read(
    pg_store: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    for day in range(1, 7):
        await pg_store.save_essay(essay(f"e{day}", day), Analysis())
    target = await pg_store._value("SELECT id FROM essays WHERE key = 'e5'")
    sent = sent_statements(pg_store, monkeypatch)
    found, own = await pg_store.text_neighbours(
        ["harbour"], guild_id=None, before=datetime(2024, 1, 3, tzinfo=UTC), limit=5, target_id=target, window=5
    )
    # The essays of the 1st and 2nd, and the target's own score though it is newer than the date.
    assert len(found) == 2 and own is not None
    sql, params = sent[-1]
    async with pg_store.transaction() as db:
        await db.execute("SET LOCAL enable_seqscan = off")
        plan = [r[0] for r in await db.fetch(f"EXPLAIN {sql}", *params)]
    scan = next(n for n, line in enumerate(plan) if "Bitmap Heap Scan on essay_search" in line)
    assert "published <" in "\n".join(plan[scan : scan + 3])


async def test_a_document_a_previous_version_s_process_wrote_without_a_date_is_still_found(
    pg_store: PostgresStore,
) -> None:
    """During an upgrade a process of the version before 0014 may still store essays: their documents have no
    date, and the essays row decides."""
    for day in (1, 2, 3):
        await pg_store.save_essay(essay(f"e{day}", day), Analysis())
    await pg_store._all(
        "UPDATE essay_search SET published = NULL WHERE essay_id = (SELECT id FROM essays WHERE key = 'e1')"
    )
    found, _ = await pg_store.text_neighbours(
        ["harbour"], guild_id=None, before=datetime(2024, 1, 3, tzinfo=UTC), limit=5, window=5
    )
    earlier = await pg_store._all("SELECT id FROM essays WHERE key IN ('e1', 'e2')")
    assert {essay_id for essay_id, _ in found} == {r["id"] for r in earlier}
