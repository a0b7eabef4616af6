"""fts_query: whatever a member types becomes a query every index accepts, word for word."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.store.lookup import fts_query, ranked_query

GUILD = 101
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


@pytest.mark.parametrize(
    ("typed", "query", "ranked"),
    [
        ("the harbour levy", '"harbour" "levy"', True),
        ("The Levy AND the toll", '"Levy" "toll"', True),
        ("the", '"the"', False),  # stopwords alone are still searched, newest first
        ("to be or not to be", '"to" "be" "or" "not"', False),
        ("???", None, False),
    ],
)
def test_lookups_search_the_words_that_tell(typed: str, query: str | None, ranked: bool) -> None:
    assert ranked_query(typed) == (query, ranked)


async def test_stopwords_change_no_answer_and_alone_give_the_newest(tmp_path: Path) -> None:
    from bot.essays.model import Analysis, Block, Essay, Quote, Section
    from bot.store import open_store

    async with await open_store(tmp_path / "db.sqlite3") as store:
        for number, text in enumerate(
            ("The levy was a toll on the harbour", "The harbour froze", "A toll of the bell")
        ):
            essay = Essay(f"e{number}", f"Essay {number}", (Block("paragraph", text),), source="s")
            quote = Quote(text, "direct", 1, "Ida Venn", 1.0)
            await store.save_essay(essay, Analysis(sections=[Section(1, "One", essay.blocks, 0, 1)], quotes=[quote]))
        with_stopwords = await store.search_quotes("the harbour toll", guild_id=None)
        assert [q.text for q, _ in with_stopwords] == [
            q.text for q, _ in await store.search_quotes("harbour toll", guild_id=None)
        ]
        assert [q.text for q, _ in with_stopwords] == ["The levy was a toll on the harbour"]
        newest_first = await store.search_quotes("the", guild_id=None)
        assert [ref.key for _, ref in newest_first] == ["e2", "e1", "e0"]


@pytest.mark.parametrize(("window", "ranked"), [(2000, True), (2, False)])
async def test_figures_whose_own_words_hold_the_query_come_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, window: int, ranked: bool
) -> None:
    """Rare words are ranked by bm25; a word in ``MATCH_WINDOW`` rows or more, newest first, own words first."""
    from datetime import UTC, datetime

    from bot.essays.model import Analysis, Block, Essay, Figure, Section
    from bot.store import lookup, open_store

    monkeypatch.setattr(lookup, "MATCH_WINDOW", window)
    figures = [
        ("old", Figure("ten ferries", "count", 1, "Ten ferries ran that winter.", subject="ferries", value=10)),
        ("mid", Figure("$5", "money", 1, "The ferries charged a $5 toll.", subject="toll", value=5)),
        ("new", Figure("six ferries", "count", 1, "Six ferries ran in spring.", subject="ferries", value=6)),
    ]
    async with await open_store(tmp_path / "db.sqlite3") as store:
        for day, (key, figure) in enumerate(figures, start=1):
            block = Block("paragraph", figure.context)
            essay = Essay(key, key, (block,), source="s", published=datetime(2025, 1, day, tzinfo=UTC))
            await store.save_essay(essay, Analysis(sections=[Section(1, "One", (block,), 0, 1)], figures=[figure]))
        assert await store._common_words("figure_fts", ["ferries"]) is not ranked  # type: ignore[attr-defined]
        found = await store.search_figures("ferries", guild_id=None)
    keys = [ref.key for _, ref in found]
    if ranked:  # bm25's column weights: the figures counting ferries before the toll sharing their sentence
        assert keys[-1] == "mid" and set(keys) == {"old", "mid", "new"}
    else:  # newest first, those whose own words hold "ferries" before the one sharing their sentence
        assert keys == ["new", "old", "mid"]


@pytest.mark.parametrize(
    ("guild_id", "speaker", "window", "keys", "queries"),
    [
        (None, None, 1, ["e0", "e1", "e2"], 1),  # a full page among the best twelve matches
        (GUILD, None, 1, ["e12", "e13"], 2),  # the server sees none of the best twelve: every match ranked
        (None, None, 1000, ["e0", "e1", "e2"], 1),
        (GUILD, None, 1000, ["e12", "e13"], 1),  # the window held every match: short of a page, yet exact
        (None, "Ida Venn", 1, ["e12", "e13"], 1),  # one speaker's: every match ranked at once
    ],
)
async def test_a_ranked_search_answers_as_ranking_every_match(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    guild_id: int | None,
    speaker: str | None,
    window: int,
    keys: list[str],
    queries: int,
) -> None:
    """The best matches' window gives the full ranking's page; it ranks every match only when the window was full."""
    from bot.essays.model import Analysis, Block, Essay, Quote, Section
    from bot.store import lookup, open_store

    async with await open_store(tmp_path / "db.sqlite3") as store:
        feed = await store.add_feed("https://one.example/feed", guild_id=GUILD)
        for number in range(14):
            # Shorter quotes rank higher; only the two longest are Ida Venn's, and in the server's
            # feed, outside a window of twelve.
            text = "The harbour " + "and the long quay beyond it " * number + "held."
            who = "Ida Venn" if number >= 12 else "Tom Reyes"
            essay = Essay(f"e{number}", f"Essay {number}", (Block("paragraph", text),), source="s")
            quote = Quote(text, "direct", 1, who, 1.0)
            analysis = Analysis(sections=[Section(1, "One", essay.blocks, 0, 1)], quotes=[quote])
            outcome = await store.save_essay(essay, analysis)
            if number >= 12:
                await store.mark_seen(feed.id, essay.key, outcome.essay_id)
        monkeypatch.setattr(lookup, "RANK_WINDOW", window)
        asked: list[str] = []
        ask = store._all  # type: ignore[attr-defined]

        async def counted(sql: str, params: object = ()) -> object:
            asked.append(sql)
            return await ask(sql, params)

        monkeypatch.setattr(store, "_all", counted)
        found = await store.search_quotes("harbour", guild_id=guild_id, speaker=speaker, limit=3)
    assert [ref.key for _, ref in found] == keys
    assert sum("quote_fts MATCH" in sql and "OFFSET" not in sql for sql in asked) == queries
