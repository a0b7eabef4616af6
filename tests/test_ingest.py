"""Ingesting many essays at once: analysis in worker processes, batched writes, the same result as one by one."""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from pathlib import Path

import pytest

import bot.ingest as ingest_module
from bench.generate import generate
from bot.essays.analysis import analyse
from bot.essays.model import Essay
from bot.ingest import BATCH, ingest_essays
from bot.intake import store_essay
from bot.store import Store, StoreError, open_store

COUNT = 45  # above the size that starts worker processes


def essays(count: int = COUNT, seed: int = 5) -> list[Essay]:
    return [post.to_essay() for post in generate(count, seed=seed, words=400)]


async def test_a_pooled_ingest_stores_what_storing_one_by_one_stores(tmp_path: Path) -> None:
    batch = essays()
    async with (
        await open_store(tmp_path / "pooled.sqlite3") as pooled,
        await open_store(tmp_path / "single.sqlite3") as single,
    ):
        seen: list[int] = []
        outcomes = await ingest_essays(pooled, batch, max_sections=10, workers=2, progress=seen.append)
        assert [o.status for o in outcomes] == ["new"] * COUNT and seen[-1] == COUNT
        for essay in batch:
            await store_essay(single, essay, max_sections=10)
        for essay in batch[::9]:
            mine, theirs = await pooled.get_essay(essay.key), await single.get_essay(essay.key)
            assert mine is not None and theirs is not None
            assert await pooled.load_analysis(mine.id) == await single.load_analysis(theirs.id)
            assert (await pooled.load_analysis(mine.id)).figures == analyse(essay, max_sections=10).figures
        # Every essay has its place among its nearest posts, as one by one (no first-query catch-up left).
        assert await pooled.essays_without_neighbours(limit=10) == []
        again = await ingest_essays(pooled, batch, max_sections=10, workers=2)
        assert {o.status for o in again} == {"unchanged"}


async def test_a_failed_batch_loses_only_itself_and_the_next_ingest_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = essays(BATCH + 20, seed=9)
    async with await open_store(tmp_path / "db.sqlite3") as store:
        real = store.save_essays
        calls = 0

        async def failing_second_batch(items):  # type: ignore[no-untyped-def]
            nonlocal calls
            calls += 1
            if calls == 2:
                raise StoreError("disk full")
            return await real(items)

        monkeypatch.setattr(store, "save_essays", failing_second_batch)
        with pytest.raises(StoreError):
            await ingest_essays(store, batch, max_sections=10, workers=0)
        assert await store.essay_count() == BATCH
        monkeypatch.setattr(store, "save_essays", real)
        outcomes = await ingest_essays(store, batch, max_sections=10, workers=0)
        assert [o.status for o in outcomes] == ["unchanged"] * BATCH + ["new"] * 20
        assert await store.essay_count() == BATCH + 20


async def test_a_batch_whose_neighbour_lists_fail_is_stored_with_none_of_its_essays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = essays(BATCH + 20, seed=11)
    real = ingest_module.add_to_neighbourhoods
    async with await open_store(tmp_path / "db.sqlite3") as store:
        calls = 0

        async def failing_in_second_batch(store: Store, essay_id: int, **options: bool) -> bool:
            nonlocal calls
            calls += 1
            if calls == BATCH + 5:
                raise StoreError("disk full")
            return await real(store, essay_id, **options)

        monkeypatch.setattr(ingest_module, "add_to_neighbourhoods", failing_in_second_batch)
        with pytest.raises(StoreError):
            await ingest_essays(store, batch, max_sections=10, workers=0)
        # The second batch's essays, references and lists went with its transaction: none are half stored.
        assert await store.essay_count() == BATCH
        assert await store.essays_without_neighbours(limit=10) == []
        monkeypatch.setattr(ingest_module, "add_to_neighbourhoods", real)
        outcomes = await ingest_essays(store, batch, max_sections=10, workers=0)
        assert [o.status for o in outcomes] == ["unchanged"] * BATCH + ["new"] * 20
        assert await store.essays_without_neighbours(limit=10) == []


@pytest.mark.parametrize(
    ("cores", "count", "workers", "expected"),
    [
        (4, COUNT, None, 3),  # one analysis process per core but the writer's
        (2, COUNT, None, 1),
        (1, COUNT, None, 0),  # on one core the writer analyses too
        (4, 10, None, 0),  # too few essays to be worth starting processes
        (4, COUNT, 0, 0),
        (1, COUNT, 3, 3),
    ],
)
def test_the_pool_has_a_worker_per_core_but_the_writers(
    monkeypatch: pytest.MonkeyPatch, cores: int, count: int, workers: int | None, expected: int
) -> None:
    monkeypatch.setattr(ingest_module.os, "cpu_count", lambda: cores)
    with ingest_module._pool(count, workers) as pool:
        assert (pool._max_workers if pool is not None else 0) == expected


def _finished(value: str) -> Future[str]:
    future: Future[str] = Future()
    future.set_result(value)
    return future


def _running() -> Future[str]:
    future: Future[str] = Future()
    assert future.set_running_or_notify_cancel()
    return future


async def test_the_writer_analyses_the_queued_end_of_a_batch_rather_than_wait() -> None:
    # A worker has done the first essay and runs the second; the last two are still queued.
    futures = [_finished("pool 0"), _running(), Future(), Future()]
    here: list[str] = []

    def analyse_here(essay: str) -> str:
        here.append(essay)
        return f"here {essay}"

    asyncio.get_running_loop().call_later(0.01, futures[1].set_result, "pool 1")
    analyses = await ingest_module.collect(futures, ["a", "b", "c", "d"], analyse_here)

    assert analyses == ["pool 0", "pool 1", "here c", "here d"]
    assert here == ["d", "c"]  # from the end, where the workers reach last
    assert futures[2].cancelled() and futures[3].cancelled()


async def test_the_writer_waits_for_a_batch_the_workers_have_all_started() -> None:
    futures = [_running(), _running()]
    loop = asyncio.get_running_loop()
    loop.call_later(0.01, futures[0].set_result, "pool 0")
    loop.call_later(0.02, futures[1].set_result, "pool 1")

    def never(essay: str) -> str:
        raise AssertionError("a started essay is analysed again")

    assert await ingest_module.collect(futures, ["a", "b"], never) == ["pool 0", "pool 1"]
