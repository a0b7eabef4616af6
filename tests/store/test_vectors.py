"""The stored vector of stem ids: what is written is read back, sorted by id, counts capped."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.essays.terms import MAX_COUNT
from bot.store.vectors import decode_vector, encode_vector, sql_vector


@given(st.dictionaries(st.integers(1, 2**31 - 1), st.integers(1, 10_000), max_size=300))
def test_a_vector_is_read_back_sorted_with_counts_capped(counts: dict[int, int]) -> None:
    ids, capped = decode_vector(encode_vector(list(counts), list(counts.values())))
    assert ids.tolist() == sorted(counts)
    assert capped.tolist() == [min(counts[i], MAX_COUNT) for i in sorted(counts)]


def test_the_sql_function_reads_json_arrays_and_passes_null() -> None:
    blob = sql_vector("[7, 3]", "[1, 400]")
    assert blob is not None
    ids, counts = decode_vector(blob)
    assert (ids.tolist(), counts.tolist()) == ([3, 7], [min(400, MAX_COUNT), 1])
    assert sql_vector(None, "[]") is None
