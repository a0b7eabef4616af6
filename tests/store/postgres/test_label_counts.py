"""Label counts on PostgreSQL: counted, kept for a minute, this process's own writes seen at once."""

from __future__ import annotations

import pytest

import bot.store.postgres.related as related_queries
from bot.essays.model import Analysis, Block, Essay
from bot.store.postgres import PostgresStore
from tests.store.postgres.statements import sent_statements


def essay(key: str, *labels: str, text: str = "The ferry crossed the harbour.") -> Essay:
    return Essay(key, key.title(), (Block("paragraph", text),), source="s", labels=labels)


async def test_label_counts_are_kept_a_while_and_follow_this_processes_writes_at_once(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with (
        await PostgresStore.open(pg_url, worker="one") as store,
        await PostgresStore.open(pg_url, worker="two") as other,
    ):
        await store.save_essay(essay("a", "Ferries", "Harbour"), Analysis())
        assert await store.label_counts(["ferries", "harbour", "tolls"]) == {"ferries": 1, "harbour": 1}

        sent = sent_statements(store, monkeypatch)
        assert await store.label_counts(["Ferries", "tolls"]) == {"ferries": 1}
        assert sent == []  # kept, the absent label too

        await other.save_essay(essay("b", "Ferries"), Analysis())  # another process's write: seen within the minute
        assert await store.label_counts(["ferries"]) == {"ferries": 1}
        monkeypatch.setattr(related_queries, "LABEL_COUNT_SECONDS", 0.0)
        assert await store.label_counts(["ferries"]) == {"ferries": 2}
        monkeypatch.setattr(related_queries, "LABEL_COUNT_SECONDS", 60.0)

        revised = essay("a", "Tolls", text="The ferry crossed the harbour, and paid its toll.")
        await store.save_essay(revised, Analysis())  # its own revision: seen at once
        assert await store.label_counts(["ferries", "harbour", "tolls"]) == {"ferries": 1, "tolls": 1}
