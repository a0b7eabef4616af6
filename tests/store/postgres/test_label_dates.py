"""Migration 0016: each label beside its essay's date, kept with the essay's, so that one label's newest posts
before a date are the first rows of an index range (bot/store/postgres/related.py label_neighbours)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.essays.model import Analysis, Block, Essay
from bot.store.postgres import PostgresStore
from tests.store.postgres.statements import sent_statements
from tests.store.postgres.versions import open_before


def essay(key: str, day: int | None, labels: tuple[str, ...] = ("harbours",)) -> Essay:
    published = datetime(2024, 1, day, tzinfo=UTC) if day is not None else None
    return Essay(key, key.title(), (Block("paragraph", "The harbour wall."),), published=published, labels=labels)


async def label_dates(store: PostgresStore) -> list[tuple[bool | None, bool]]:
    rows = await store._all(
        "SELECT l.published = e.published AS same, l.published IS NULL AS missing "
        "FROM essay_labels l JOIN essays e ON e.id = l.essay_id ORDER BY e.id, l.label"
    )
    return [(r["same"], r["missing"]) for r in rows]


async def ids(store: PostgresStore, *keys: str) -> list[int]:
    rows = await store._all("SELECT id, key FROM essays WHERE key = ANY($1::text[])", (list(keys),))
    by_key = {r["key"]: int(r["id"]) for r in rows}
    return [by_key[key] for key in keys]


async def test_a_previous_version_s_labels_take_their_essays_dates(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        open_before(patch, "_label_dates.sql")
        async with await PostgresStore.open(pg_url, worker="t") as old:
            for day in (1, 2, 3):
                await old.save_essay(essay(f"e{day}", day), Analysis())
            await old.save_essay(essay("undated", None), Analysis())

    async with await PostgresStore.open(pg_url, worker="t") as store:
        assert await label_dates(store) == [(True, False)] * 3 + [(None, True)]
        found = await store.label_neighbours(
            {"harbours": 1.0}, guild_id=None, before=datetime(2024, 1, 3, tzinfo=UTC), exclude_id=None, limit=5
        )
        assert found == await ids(store, "e2", "e1")
        # Written now (the label's date comes from its essay whoever writes it), and a date changed later.
        await store.save_essay(essay("e4", 4, ("harbours", "walls")), Analysis())
        async with store.transaction() as db:
            await db.execute("UPDATE essays SET published = published - interval '10 days' WHERE key = 'e2'")
        assert await label_dates(store) == [(True, False)] * 3 + [(None, True)] + [(True, False)] * 2


async def test_one_label_s_newest_posts_are_read_from_the_index_without_a_sort(
    pg_store: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    for day in range(1, 7):
        await pg_store.save_essay(essay(f"e{day}", day), Analysis())
    sent = sent_statements(pg_store, monkeypatch)
    found = await pg_store.label_neighbours(
        {"harbours": 1.0}, guild_id=7, before=datetime(2024, 1, 5, tzinfo=UTC), exclude_id=None, limit=2
    )
    assert found == []  # no server follows them
    sql, params = sent[-1]
    async with pg_store.transaction() as db:
        # Six rows: the planner would sort them whatever the indexes; with sorts priced out, the order must come
        # from an index or the plan still sorts.
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            await db.execute(f"SET LOCAL {setting} = off")
        plan = "\n".join(r[0] for r in await db.fetch(f"EXPLAIN {sql}", *params))
    assert "essay_labels_published" in plan and "Sort" not in plan and "essays e" not in plan
