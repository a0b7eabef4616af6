"""A list bound as one parameter, so that a statement's text is the same whatever the list's length.

SQLite prepares a statement once per distinct text (Python's sqlite3 keeps the last 128 on each
connection). A ``?`` per item makes a new text for every length, and preparing a join takes
0.03-0.16 ms: more than many of the lookups' statements take to run.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Iterable, Mapping


def in_list(column: str) -> str:
    """``column`` is one of the list bound at this place (``id_list``, ``text_list``)."""
    return f"{column} IN (SELECT value FROM json_each(?))"


def id_list(values: Iterable[int]) -> str:
    # operator.index: an integer (numpy's too), never a float or a string made into one.
    return json.dumps([operator.index(value) for value in values])


def text_list(values: Iterable[str]) -> str:
    texts = list(values)
    if not all(isinstance(text, str) for text in texts):
        raise TypeError("a text list holds strings only")
    return json.dumps(texts)


def weight_map(weights: Mapping[str, float]) -> str:
    """Names and weights, read as rows with ``SELECT key, value FROM json_each(?)``."""
    return json.dumps({str(name): float(weight) for name, weight in weights.items()})
