"""bench.lookup_cpu answers the bench's own plan on a small archive (its timings are reported, never asserted)."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from bench import commands, lookup_cpu, pg


async def test_every_lookup_of_the_plan_is_answered_and_timed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(commands, "OUT", tmp_path)  # the archive cache, here the test's own directory
    timings = await lookup_cpu.measure(30, 4, seed=5)

    assert Counter(t.label for t in timings) == {label: 4 for label in lookup_cpu.LABELS}
    assert all(t.wall_ms > 0 and t.thread_ms >= 0 and t.others_ms >= 0 for t in timings)
    lookup_cpu.report(timings, 30)


async def test_on_postgresql_it_answers_on_a_warmed_copy_of_the_servers_archive(pg_admin_url: str) -> None:
    archive = commands.archive_database(30)
    try:
        timings = await lookup_cpu.measure(30, 2, seed=5, database_url=pg_admin_url, warm=True)
        assert Counter(t.label for t in timings) == {label: 2 for label in lookup_cpu.LABELS}
        # The run's copy is gone; the archive stays for the next run.
        assert not await pg.database_exists(pg_admin_url, f"marginalia_bench_run_{os.getpid()}")
        assert await pg.database_exists(pg_admin_url, archive)
    finally:
        await pg.drop_database(pg_admin_url, archive)
