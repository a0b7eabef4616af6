"""The sentences on a page of figures, cut from a body inflated only as far as needed: the same as unpacking it all."""

from __future__ import annotations

import json

import pytest

from bot.store.lookup import _sentences_at, _unpack_prefix
from bot.store.packing import pack, pack_sentences, pack_strings, unpack_sentences

SENTENCES = [
    "The ferry carried 340 passengers.",
    "Fares rose 12% in a year.",
    'Its master said "enough" twice.',  # escaped in the JSON: stored whole
    "Le café coûtait 3 € — « cher » disait-on.",
    "渡し船は三百四十人を運んだ。",
    "The last crossing 🚢 took 41 minutes.",
]
BODY = [["paragraph", " ".join(SENTENCES[:2])], ["paragraph", SENTENCES[2]], ["paragraph", " ".join(SENTENCES[3:])]]
# Long enough that the last sentence is far into the inflated text.
BODY_JSON = json.dumps([*BODY, ["paragraph", "Filler text. " * 400]], ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize(
    "numbers",
    [set(), {0}, {1}, {2}, {3}, {4}, {5}, {0, 5}, {2, 4}, set(range(6)), {5, 17}],  # 17: no such sentence
)
def test_the_page_sentences_are_those_of_the_whole_unpacking(numbers: set[int]) -> None:
    blob = pack_sentences(SENTENCES, BODY_JSON)
    whole = unpack_sentences(blob, lambda: BODY_JSON)
    cut = _sentences_at(blob, pack(BODY_JSON), numbers)
    assert len(cut) == len(whole)
    assert [cut[n] for n in numbers if n < len(whole)] == [whole[n] for n in numbers if n < len(whole)]
    assert all(cut[n] == "" for n in range(len(cut)) if n not in numbers)


def test_sentences_stored_whole_need_no_body() -> None:
    assert _sentences_at(pack_strings(["Stored whole."]), b"not a packed body", {0}) == ["Stored whole."]


@pytest.mark.parametrize("chars", [0, 1, 10, 100, 1000, 5000, 10**6])
def test_a_prefix_holds_at_least_the_characters_asked(chars: int) -> None:
    prefix = _unpack_prefix(pack(BODY_JSON), chars)
    assert BODY_JSON.startswith(prefix)
    assert len(prefix) >= min(chars, len(BODY_JSON))
    assert _unpack_prefix(BODY_JSON, chars) == BODY_JSON  # text from before packing, read as is
