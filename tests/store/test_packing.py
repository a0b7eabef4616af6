"""Packed text: figure sentences as pointers into the stored body come back exactly as written."""

from __future__ import annotations

import json

import pytest

from bot.store.packing import pack, pack_sentences, pack_strings, unpack, unpack_sentences

BODY = [
    ["heading", "The ferry"],
    ["paragraph", 'The ferry carried 340 passengers. Its master said "enough" twice.'],
    ["paragraph", "Fares rose 12% in a year.\tA tab\\slash cost €3 — “curly” quotes are fine."],
]
BODY_JSON = json.dumps(BODY, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize(
    ("sentence", "pointer"),
    [
        ("The ferry carried 340 passengers.", True),
        ("Fares rose 12% in a year.", True),
        ("cost €3 — “curly” quotes are fine.", True),
        ('Its master said "enough" twice.', False),  # JSON escapes the quotes: kept whole
        ("Fares rose 12% in a year.\tA tab", False),  # a control character
        ("A tab\\slash", False),  # a backslash
        ("A sentence the body does not hold.", False),
        ("", False),
    ],
)
def test_sentences_come_back_exactly(sentence: str, pointer: bool) -> None:
    blob = pack_sentences([sentence], BODY_JSON)
    stored = json.loads(unpack(blob))
    assert isinstance(stored[0], list) == pointer
    assert unpack_sentences(blob, lambda: BODY_JSON) == [sentence]


def test_the_body_is_read_only_when_a_pointer_needs_it() -> None:
    def no_body() -> str:
        raise AssertionError("the body was read")

    assert unpack_sentences(pack_strings(["Stored whole, as before pointers."]), no_body) == [
        "Stored whole, as before pointers."
    ]


def test_pointers_cost_less_than_the_sentences() -> None:
    sentences = ["The ferry carried 340 passengers.", "Fares rose 12% in a year."]
    assert len(pack_sentences(sentences, BODY_JSON)) < len(pack_strings(sentences))
    assert unpack_sentences(pack_sentences(sentences, BODY_JSON), lambda: BODY_JSON) == sentences


def test_packed_text_round_trips() -> None:
    assert unpack(pack("naïve — “text”")) == "naïve — “text”"
