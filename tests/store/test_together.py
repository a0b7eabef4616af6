"""Reads awaited together: gathered where the backend answers them together, else in turn."""

from __future__ import annotations

import asyncio
import warnings
from pathlib import Path

import pytest

from bot.store import Store, open_store
from bot.store.together import read_together, turn_after


async def test_each_backend_says_how_it_answers_reads_sent_together(backend_store: Store) -> None:
    # SQLite answers a read at once in the caller's thread; PostgreSQL's pool answers several at once.
    assert backend_store.concurrent_reads is (type(backend_store).__name__ == "PostgresStore")


@pytest.mark.parametrize("concurrent", [False, True])
async def test_results_come_in_the_order_asked_and_run_as_the_backend_answers(tmp_path: Path, concurrent: bool) -> None:
    events: list[str] = []

    async def read(name: str, pause: float) -> str:
        events.append(f"{name} starts")
        await asyncio.sleep(pause)
        events.append(f"{name} ends")
        return name

    async with await open_store(tmp_path / "t.sqlite3") as store:
        store.concurrent_reads = concurrent
        found = await read_together(store, read("slow", 0.02), read("fast", 0))
    assert found == ("slow", "fast")
    if concurrent:
        assert events == ["slow starts", "fast starts", "fast ends", "slow ends"]
    else:
        assert events == ["slow starts", "slow ends", "fast starts", "fast ends"]


@pytest.mark.parametrize(("deadline", "turns"), [(None, False), (-1.0, True)])
async def test_in_turn_reads_let_the_loop_run_between_them_once_the_wait_is_over(
    tmp_path: Path, deadline: float | None, turns: bool
) -> None:
    events: list[str] = []

    async def read(name: str) -> str:  # answered at once, as SQLite's are: no await inside
        events.append(name)
        return name

    async with await open_store(tmp_path / "t.sqlite3") as store:
        asyncio.get_running_loop().call_soon(events.append, "the loop ran")
        token = turn_after.set(deadline)
        try:
            await read_together(store, read("first"), read("second"))
        finally:
            turn_after.reset(token)
        await asyncio.sleep(0)
    # Past the deadline the loop runs before each read; before it, the reads hold it from first to last.
    assert events == (["the loop ran", "first", "second"] if turns else ["first", "second", "the loop ran"])


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
