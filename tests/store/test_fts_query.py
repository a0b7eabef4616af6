"""fts_query: whatever a member types becomes a query every index accepts, word for word."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.store.lookup import fts_query

SENTENCE = "Don't re-run the 3.5% levy: café owners and naïve counsel_x both said so."


@pytest.fixture(scope="module")
def index() -> sqlite3.Connection:
    # An index without positions refuses phrases outright: the strictest check that no term is one.
    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE VIRTUAL TABLE t USING fts5(text, content = '', detail = column, "
        "tokenize = 'porter unicode61 remove_diacritics 2')"
    )
    conn.execute("INSERT INTO t(rowid, text) VALUES (1, ?)", (SENTENCE,))
    return conn


@pytest.mark.parametrize(
    ("typed", "query"),
    [
        ("don't", '"don" "t"'),
        ("re-run levy", '"re" "run" "levy"'),
        ("3.5%", '"3" "5"'),
        ("café NAÏVE", '"café" "NAÏVE"'),
        ('levy OR "x" NEAR(a b)', '"levy" "OR" "x" "NEAR" "a" "b"'),
        ("counsel_x", '"counsel" "x"'),
        ("Levy levy LEVY", '"Levy"'),
        ("*** ::: ???", None),
    ],
)
def test_words_are_the_tokenizers_words(index: sqlite3.Connection, typed: str, query: str | None) -> None:
    assert fts_query(typed) == query
    if query is not None:
        index.execute("SELECT rowid FROM t WHERE t MATCH ?", (query,)).fetchall()


@pytest.mark.parametrize("typed", ["don't", "re-run", "3.5", "café", "naïve counsel"])
def test_words_of_the_text_find_it(index: sqlite3.Connection, typed: str) -> None:
    assert index.execute("SELECT rowid FROM t WHERE t MATCH ?", (fts_query(typed),)).fetchall() == [(1,)]


def test_terms_are_capped() -> None:
    query = fts_query(" ".join(f"w{n}" for n in range(100)), max_terms=5)
    assert query == '"w0" "w1" "w2" "w3" "w4"'


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80))
def test_any_text_is_a_valid_query(text: str) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(text, content = '', detail = column)")
    query = fts_query(text)
    if query is not None:
        conn.execute("SELECT rowid FROM t WHERE t MATCH ?", (query,)).fetchall()


def test_no_word_of_the_first_two_planes_becomes_a_phrase() -> None:
    """Every letter and number FTS5 may see inside a word, checked against SQLite's own tokenizer."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(text, content = '', detail = column)")
    failures = []
    for point in range(0x20, 0x20000):
        if 0xD800 <= point <= 0xDFFF:
            continue
        query = fts_query(f"a{chr(point)}b")
        if query is None:
            continue
        try:
            conn.execute("SELECT rowid FROM t WHERE t MATCH ?", (query,)).fetchall()
        except sqlite3.OperationalError:
            failures.append(hex(point))
    assert failures == []
