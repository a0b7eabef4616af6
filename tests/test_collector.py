"""bot/collector.py: collections wait for the moment after an answer, at CPython's usual thresholds."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bot import collector


@pytest.fixture
def usual() -> Iterator[tuple[int, int, int]]:
    """Known thresholds for the test, and the process's own restored after it."""
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        yield (700, 10, 10)
    finally:
        while collector._holders:
            collector.release()
        gc.set_threshold(*before)


def test_hold_defers_automatic_collection_and_the_last_release_restores(usual: tuple[int, int, int]) -> None:
    collector.hold()
    assert gc.get_threshold() == (700 * collector.BACKSTOP, 10, 10)
    collector.hold()  # a second bot in the same process
    collector.release()
    assert gc.get_threshold() == (700 * collector.BACKSTOP, 10, 10)
    collector.release()
    assert gc.get_threshold() == usual
    collector.release()  # one too many: nothing to undo
    assert gc.get_threshold() == usual


@pytest.mark.parametrize(
    ("counts", "collected"),
    [
        ((700, 0, 0), None),  # not past the young threshold: nothing
        ((701, 0, 0), 0),
        ((701, 10, 10), 0),  # CPython collects a generation once its count is past, not at, its threshold
        ((701, 11, 0), 1),
        ((701, 11, 11), 2),
        ((701, 3, 11), 2),  # the oldest generation past its threshold, whatever the younger counts
        ((5000, 0, 0), 0),
    ],
)
def test_collect_when_due_follows_cpythons_thresholds(
    usual: tuple[int, int, int],
    monkeypatch: pytest.MonkeyPatch,
    counts: tuple[int, int, int],
    collected: int | None,
) -> None:
    made: list[int] = []
    monkeypatch.setattr(gc, "get_count", lambda: counts)
    monkeypatch.setattr(gc, "collect", lambda generation=2: made.append(generation) or 0)
    assert collector.collect_when_due() is None  # not held: CPython collects by itself
    collector.hold()
    assert collector.collect_when_due() == collected
    assert made == ([] if collected is None else [collected])


def test_collect_when_due_really_collects(usual: tuple[int, int, int]) -> None:
    collector.hold()
    gc.collect()
    for _ in range(2000):  # young containers past the threshold, kept so that they count
        cycle: list[object] = []
        cycle.append(cycle)
    assert gc.get_count()[0] > 700
    assert collector.collect_when_due() == 0
    assert gc.get_count()[0] < 700
