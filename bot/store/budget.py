"""Bounding how many index rows a query reads, the same way on both backends."""

from __future__ import annotations

from collections.abc import Mapping


def rarest_within(counts: Mapping[int, int], budget: int) -> list[int]:
    """The keys with fewest rows first, as many as fit in ``budget`` rows together (ties by key).

    As with a search's words, what is held by very many rows says least and costs most, so it
    is the first to go when a query must stay within a fixed cost at any archive size.
    """
    chosen: list[int] = []
    rows = 0
    for key, count in sorted(counts.items(), key=lambda item: (item[1], item[0])):
        if rows + count > budget:
            break
        chosen.append(key)
        rows += count
    return chosen
