"""The stored vector of stem ids: what is written is read back, sorted by id, counts capped."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.essays.terms import MAX_COUNT
from bot.store.vectors import decode_vector, decode_vectors, encode_vector, sql_vector


@given(st.dictionaries(st.integers(1, 2**31 - 1), st.integers(1, 10_000), max_size=300))
def test_a_vector_is_read_back_sorted_with_counts_capped(counts: dict[int, int]) -> None:
    ids, capped = decode_vector(encode_vector(list(counts), list(counts.values())))
    assert ids.tolist() == sorted(counts)
    assert capped.tolist() == [min(counts[i], MAX_COUNT) for i in sorted(counts)]


@given(st.lists(st.dictionaries(st.integers(1, 2**31 - 1), st.integers(1, 300), max_size=60), max_size=8))
def test_vectors_decoded_together_are_each_decoded_alone(vectors: list[dict[int, int]]) -> None:
    blobs = [encode_vector(list(counts), list(counts.values())) for counts in vectors]
    together = decode_vectors(blobs)
    assert len(together) == len(blobs)
    for (ids, counts), blob in zip(together, blobs, strict=True):
        alone = decode_vector(blob)
        assert (ids.dtype, counts.dtype) == (alone[0].dtype, alone[1].dtype)
        assert (ids.tolist(), counts.tolist()) == (alone[0].tolist(), alone[1].tolist())


def test_the_sql_function_reads_json_arrays_and_passes_null() -> None:
    blob = sql_vector("[7, 3]", "[1, 400]")
    assert blob is not None
    ids, counts = decode_vector(blob)
    assert (ids.tolist(), counts.tolist()) == ([3, 7], [min(400, MAX_COUNT), 1])
    assert sql_vector(None, "[]") is None
