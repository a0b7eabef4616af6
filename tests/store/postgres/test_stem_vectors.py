"""Migration 0010 on a database of the previous version: every stored essay gets its vector of stem ids."""

from __future__ import annotations

import pytest

from bot.essays.model import Analysis, Block, Essay
from bot.essays.terms import MAX_COUNT, essay_terms
from bot.store.postgres import PostgresStore
from tests.store.postgres.versions import open_before

TEXTS = {"ferry": "The ferry crossed the harbour. " + "Ferry " * 300, "gulls": "Gulls over the harbour wall."}


async def test_essays_of_a_previous_version_get_vectors_and_new_ones_by_trigger(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def essay(key: str, text: str) -> Essay:
        return Essay(key, key.title(), (Block("paragraph", text),))

    with monkeypatch.context() as patch:
        open_before(patch, "_stem_vectors.sql")
        async with await PostgresStore.open(pg_url, worker="t") as old:
            for key, text in TEXTS.items():
                await old.save_essay(essay(key, text), Analysis())

    async with await PostgresStore.open(pg_url, worker="t") as store:
        await store.save_essay(essay("wall", "The harbour wall, and a ferry."), Analysis())
        for key in [*TEXTS, "wall"]:
            row = await store.get_essay(key)
            assert row is not None
            counts = essay_terms(row.essay.title, row.essay.blocks).counts
            stats = await store.term_statistics(list(counts))
            [vector] = (await store.term_vectors([row.id])).values()
            expected = sorted((stats[term].id, min(count, MAX_COUNT)) for term, count in counts.items())
            assert list(zip(vector.ids.tolist(), vector.counts.tolist(), strict=True)) == expected
        assert (await store.term_statistics(["harbour"]))["harbour"].essays == 3
