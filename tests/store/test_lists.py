"""Lists bound as one JSON parameter: any length, any text, the same statement."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import pytest

from bot.store.lists import id_list, in_list, text_list, weight_map


@pytest.mark.parametrize(
    ("values", "encode"),
    [
        ([], text_list),
        (["Ida Venn", "O'Brien", 'say "no"', "Zoë", "東京", "a,b", "🦉 owls", "Ida Venn"], text_list),
        ([1, 2, 3, 2**53 + 1, 3], id_list),
        (list(range(2000)), id_list),
    ],
)
def test_a_bound_list_selects_exactly_its_values(values: list[Any], encode: Callable[[list[Any]], str]) -> None:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE t (v)")
    connection.executemany("INSERT INTO t VALUES (?)", [(v,) for v in values] + [("other",), (-1,)])
    found = [
        row[0] for row in connection.execute(f"SELECT v FROM t WHERE {in_list('v')} ORDER BY rowid", (encode(values),))
    ]
    assert found == values


@pytest.mark.parametrize(
    ("values", "encode"), [([1.5], id_list), (["12"], id_list), ([None], text_list), ([3], text_list)]
)
def test_a_value_of_the_wrong_kind_is_refused_not_turned_into_another(
    values: list[Any], encode: Callable[[list[Any]], str]
) -> None:
    with pytest.raises(TypeError):
        encode(values)


def test_weights_come_back_as_rows_of_name_and_weight() -> None:
    connection = sqlite3.connect(":memory:")
    rows = connection.execute(
        "SELECT key, value FROM json_each(?) ORDER BY key", (weight_map({"tides": 0.25, "ferries": 1.5}),)
    )
    assert rows.fetchall() == [("ferries", 1.5), ("tides", 0.25)]
