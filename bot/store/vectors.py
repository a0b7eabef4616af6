"""Each essay's related-post stems as a vector of stem ids, stored compact and read back in one pass.

A vector is the essay's stems as ids (SQLite's ``related_stems.id``, PostgreSQL's ``related_df.id``;
never given to another stem) in ascending order, with their counts capped at ``MAX_COUNT`` (a higher
count weighs no more: ``bot.essays.terms``). SQLite stores it as one zlib block of (id delta: uint32,
count: uint8) records: the deltas of a sorted list are small, so a vector packs to under 2 bytes per
stem, and it unpacks with NumPy instead of a JSON parse per stem, which was most of a related query's
time. PostgreSQL keeps the two as integer arrays (``vector_from_arrays``).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.essays.terms import MAX_COUNT, TF_WEIGHTS

_RECORD = np.dtype([("delta", "<u4"), ("count", "u1")])
LEVEL = 6

Ids = npt.NDArray[np.int64]
Counts = npt.NDArray[np.uint8]

# A stem's weight in an essay's champion-list place (bot/related.py), in millionths of its tf weight over the
# essay's tf length: an integer packs smaller than a float, and only the order of weights is read. SQLite finds
# an essay's places by these weights (migration 0020): changing them, or TF_WEIGHTS, needs a migration that
# empties stem_champions and clears related_lists.placed, so that every essay is placed again.
PLACE_SCALE = 1_000_000
# ``TF_WEIGHTS`` for array lookups by count (the related ranking's too).
TF_WEIGHT_ARRAY = np.asarray(TF_WEIGHTS, dtype=np.float64)


def place_weights(counts: Counts, norm: float) -> npt.NDArray[np.int64]:
    """Each stem's weight in a place of the vector's essay (zeros for an essay without a length)."""
    if norm <= 0:
        return np.zeros(len(counts), dtype=np.int64)
    return np.rint(PLACE_SCALE * TF_WEIGHT_ARRAY[counts] / norm).astype(np.int64)


def encode_vector(ids: Sequence[int], counts: Sequence[int]) -> bytes:
    """The stored form of stems ``ids`` used ``counts`` times (in any order; ids are unique)."""
    stems = np.asarray(ids, dtype=np.int64)
    order = np.argsort(stems, kind="stable")
    records = np.empty(len(stems), _RECORD)
    records["delta"] = np.diff(stems[order], prepend=0)
    records["count"] = np.minimum(np.asarray(counts, dtype=np.int64)[order], MAX_COUNT)
    return zlib.compress(records.tobytes(), LEVEL)


def decode_vector(blob: bytes) -> tuple[Ids, Counts]:
    """The stem ids (ascending) and capped counts of ``encode_vector``."""
    records = np.frombuffer(zlib.decompress(blob), _RECORD)
    return np.cumsum(records["delta"], dtype=np.int64), records["count"].copy()


def decode_vectors(blobs: Sequence[bytes]) -> list[tuple[Ids, Counts]]:
    """``decode_vector`` of each blob, in a few array operations for all of them (a related query reads about 50:
    NumPy's cost per call, not the work, was most of decoding them one by one)."""
    if not blobs:
        return []
    raw = [zlib.decompress(blob) for blob in blobs]
    records = np.frombuffer(b"".join(raw), _RECORD)
    lengths = np.fromiter((len(part) // _RECORD.itemsize for part in raw), np.int64, len(raw))
    starts = np.cumsum(lengths) - lengths
    running = np.cumsum(records["delta"], dtype=np.int64)
    # The running sum across all vectors, less its value where each vector starts, is each vector's own.
    before = np.concatenate(([0], running))[starts]
    ids = running - np.repeat(before, lengths)
    counts = records["count"].copy()
    bounds = zip(starts.tolist(), (starts + lengths).tolist(), strict=True)
    return [(ids[start:end], counts[start:end]) for start, end in bounds]


def vector_from_arrays(ids: Sequence[int] | None, counts: Sequence[int] | None) -> tuple[Ids, Counts]:
    """A vector kept as two arrays sorted by id (PostgreSQL's integer arrays), as ``decode_vector`` gives it."""
    return np.asarray(ids or (), dtype=np.int64), np.asarray(counts or (), dtype=np.uint8)


def sql_vector(ids_json: str | None, counts_json: str | None) -> bytes | None:
    """``marginalia_vector(json ids, json counts)`` in SQL: migration 0017 made the vectors of stored essays."""
    if ids_json is None or counts_json is None:
        return None
    return encode_vector(json.loads(ids_json), json.loads(counts_json))


def sql_vector_ids(blob: bytes | None) -> str | None:
    """``marginalia_vector_ids(vector)`` in SQL, a JSON array of its stem ids: the trigger that counts
    stems down when a vector is deleted (migration 0018)."""
    if blob is None:
        return None
    ids, _ = decode_vector(blob)
    return json.dumps(ids.tolist())


def vector_places(ids: Ids, counts: Counts, norm: float) -> list[tuple[int, int]]:
    """Every (stem id, weight) place the vector's essay can hold."""
    return list(zip(ids.tolist(), place_weights(counts, norm).tolist(), strict=True))


def places_match(places: Sequence[tuple[int, int]], ids: Ids, counts: Counts, norm: float) -> bool:
    """Whether every (stem id, weight) place is one of this vector's: places computed from a vector since replaced
    (a revision committed meanwhile) are not, and could never be found by key again."""
    weights = dict(vector_places(ids, counts, norm))
    return all(weights.get(stem_id) == weight for stem_id, weight in places)


def group_places(rows: Iterable[Any]) -> dict[int, list[tuple[int, int]]]:
    """Rows with stem_id, essay_id and weight (either backend's), in each list's order, as each stem's list of
    (essay id, weight)."""
    found: dict[int, list[tuple[int, int]]] = {}
    for row in rows:
        found.setdefault(int(row["stem_id"]), []).append((int(row["essay_id"]), int(row["weight"])))
    return found


def sql_vector_places(blob: bytes | None, norm: float | None) -> str | None:
    """``marginalia_vector_places(vector, norm)`` in SQL, a JSON array of [stem id, weight]: every place the
    essay can hold, so its places are found by key when its vector is deleted (SQLite migration 0020)."""
    if blob is None or norm is None:
        return None
    return json.dumps(vector_places(*decode_vector(blob), float(norm)))
