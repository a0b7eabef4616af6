"""An essay's stored terms and their statistics in one read, the same as the two reads it replaces."""

from __future__ import annotations

import pytest

from bot.essays.model import Analysis, Block, Essay
from bot.store import Store


@pytest.fixture
def store(backend_store: Store) -> Store:
    return backend_store


async def test_stored_query_terms_are_the_stored_terms_and_their_statistics(store: Store) -> None:
    texts = {
        "ferry": "The ferry crossed the harbour at dawn. " + "Ferry " * 300,
        "wall": "Gulls over the harbour wall, and a ferry.",
        "tide": "The tide tables, printed by the harbour master.",
    }
    ids = {}
    for key, text in texts.items():
        outcome = await store.save_essay(Essay(key, key.title(), (Block("paragraph", text),)), Analysis())
        ids[key] = outcome.essay_id

    for essay_id in ids.values():
        found = await store.stored_query_terms(essay_id)
        assert found is not None
        terms, statistics = found
        stored = await store.stored_terms(essay_id)
        assert terms == stored
        assert statistics == await store.term_statistics(list(terms.counts))
        assert statistics[next(iter(statistics))].essays >= 1
    # "harbour" is in all three essays; the figure is the archive's, not this essay's.
    assert statistics["harbour"].essays == 3
    assert await store.stored_query_terms(max(ids.values()) + 1) is None
