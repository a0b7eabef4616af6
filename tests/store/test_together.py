"""Reads awaited together: gathered where the backend answers them together, else in turn."""

from __future__ import annotations

import asyncio
import warnings
from pathlib import Path

import pytest

from bot.store import Store, open_store
from bot.store.together import read_together


async def test_each_backend_says_how_it_answers_reads_sent_together(backend_store: Store) -> None:
    # SQLite answers a read at once in the caller's thread; PostgreSQL's pool answers several at once.
    assert backend_store.concurrent_reads is (type(backend_store).__name__ == "PostgresStore")


@pytest.mark.parametrize("concurrent", [False, True])
async def test_results_come_in_the_order_asked(tmp_path: Path, concurrent: bool) -> None:
    started: list[str] = []

    async def read(name: str, pause: float) -> str:
        started.append(name)
        await asyncio.sleep(pause)
        return name

    async with await open_store(tmp_path / "t.sqlite3") as store:
        store.concurrent_reads = concurrent  # type: ignore[misc]
        found = await read_together(store, read("slow", 0.02), read("fast", 0), read("third", 0))
    assert found == ("slow", "fast", "third")
    assert started == ["slow", "fast", "third"]


async def test_in_turn_an_error_stops_the_rest_without_leaving_them_unawaited(tmp_path: Path) -> None:
    ran: list[str] = []

    async def fail() -> None:
        raise RuntimeError("the store failed")

    async def after() -> None:
        ran.append("after")

    async with await open_store(tmp_path / "t.sqlite3") as store:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "coroutine ... was never awaited" would be a RuntimeWarning
            with pytest.raises(RuntimeError, match="the store failed"):
                await read_together(store, fail(), after())
    assert ran == []
