"""Migration 0013 on a database of the previous version: label counts start from the labels stored, then
follow every essay stored, revised or deleted (SQLite's migration 0015, the same test)."""

from __future__ import annotations

import pytest

from bot.essays.model import Analysis, Block, Essay, Section
from bot.store.postgres import PostgresStore
from tests.store.postgres.versions import open_before

BLOCKS = (Block("paragraph", "The tollbridge opened in spring."),)


def essay(key: str, labels: tuple[str, ...], blocks: tuple[Block, ...] = BLOCKS) -> Essay:
    return Essay(key, key.title(), blocks, source="s", labels=labels)


async def test_label_counts_of_a_database_from_the_version_before_are_kept_by_triggers(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        open_before(patch, "_label_df.sql")
        async with await PostgresStore.open(pg_url, worker="t") as old:
            await old.save_essay(essay("one", ("Ferries", "Harbour")), Analysis())
            await old.save_essay(essay("two", ("Ferries",)), Analysis())
            assert await old._value("SELECT to_regclass('label_df') IS NULL")

    async with await PostgresStore.open(pg_url, worker="t") as store:
        assert await store.label_counts(["Ferries", "harbour", "tolls"]) == {"ferries": 2, "harbour": 1}
        analysis = Analysis(sections=[Section(1, "Tolls", BLOCKS, 0, 1)])
        await store.save_essay(essay("three", ("Tolls", "Ferries")), analysis)
        assert await store.label_counts(["ferries", "harbour", "tolls"]) == {"ferries": 3, "harbour": 1, "tolls": 1}
        # A revision that drops a label, then essays deleted with everything that hangs on them.
        revised = (Block("paragraph", "The tollbridge opened in spring, a year late."),)
        await store.save_essay(essay("three", ("Tolls",), revised), analysis)
        assert await store.label_counts(["ferries", "tolls"]) == {"ferries": 2, "tolls": 1}
        await store._all("DELETE FROM essays WHERE key IN ('one', 'three')")
        assert await store.label_counts(["ferries", "harbour", "tolls"]) == {"ferries": 1}
