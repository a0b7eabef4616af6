"""Which speakers an essay quotes directly, as /related reads them for its candidates, on both backends."""

from __future__ import annotations

import pytest

from bot.essays.model import Analysis, Block, Essay, Quote, QuoteKind, Section
from bot.store import SQLiteStore, Store


@pytest.fixture
def store(backend_store: Store) -> Store:
    return backend_store


async def save(store: Store, key: str, quotes: list[tuple[QuoteKind, str | None]]) -> int:
    blocks = (Block("paragraph", f"The text of {key}."),)
    analysis = Analysis(
        sections=[Section(1, "One", blocks, 0, 1)],
        quotes=[Quote(f"Said in {key}, number {n}", kind, 1, speaker) for n, (kind, speaker) in enumerate(quotes)],
    )
    return (await store.save_essay(Essay(key, key.title(), blocks), analysis)).essay_id


async def test_only_direct_quotes_and_epigraphs_name_a_shared_speaker(store: Store) -> None:
    first = await save(store, "first", [("direct", "Ida Venn"), ("epigraph", "Olu Marsh"), ("notable", "Tom Reed")])
    second = await save(store, "second", [("direct", "Ida Venn"), ("direct", "Ida Venn"), ("notable", "Olu Marsh")])
    third = await save(store, "third", [("scare", None), ("direct", "Tom Reed")])
    assert sorted(await store.quoted_speakers(first)) == ["Ida Venn", "Olu Marsh"]
    shared = await store.shared_speakers([first, second, third], ["Ida Venn", "Olu Marsh", "Tom Reed"])
    assert {essay: sorted(names) for essay, names in shared.items()} == {
        first: ["Ida Venn", "Olu Marsh"],
        second: ["Ida Venn"],
        third: ["Tom Reed"],
    }
    assert await store.shared_speakers([second], ["Olu Marsh"]) == {}


async def test_sqlite_reads_only_the_quotes_of_the_speakers_asked(tmp_path_factory: pytest.TempPathFactory) -> None:
    async with await SQLiteStore.open(tmp_path_factory.mktemp("plan") / "plan.sqlite3") as store:
        rows = await store.connection.execute_fetchall(
            "EXPLAIN QUERY PLAN SELECT DISTINCT essay_id, speaker FROM quotes WHERE essay_id IN (1, 2, 3) "
            "AND speaker IN ('Ida Venn') AND kind IN ('direct', 'epigraph')"
        )
    # By essay and speaker: the rows of other speakers' quotes are never read.
    assert str(rows[0][3]).endswith("USING INDEX quotes_essay_speaker (essay_id=? AND speaker=?)")
