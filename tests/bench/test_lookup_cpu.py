"""bench.lookup_cpu answers the bench's own plan on a small archive (its timings are reported, never asserted)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bench import commands, lookup_cpu


async def test_every_lookup_of_the_plan_is_answered_and_timed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(commands, "OUT", tmp_path)  # the archive cache, here the test's own directory
    timings = await lookup_cpu.measure(30, 4, seed=5)

    assert Counter(t.label for t in timings) == {label: 4 for label in lookup_cpu.LABELS}
    assert all(t.wall_ms > 0 and t.thread_ms >= 0 and t.others_ms >= 0 for t in timings)
    lookup_cpu.report(timings, 30)
