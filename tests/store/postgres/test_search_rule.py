"""PostgreSQL searches answer as the SQLite store's rule says: rare words ranked, common words newest first
(whose own words hold them first), a filtered search of common words kept to a window; word counts from the
planner's statistics once the table is analyzed, else counted; a speaker's random quotes in runs."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest

import bot.store.lookup as sqlite_lookup
import bot.store.postgres.lookup as pg_lookup
from bot.essays.model import Analysis, Block, Essay, Figure, Quote, Section
from bot.store.postgres import PostgresStore
from bot.store.postgres.words import ColumnStatistics, WordStatistics, word_rows
from tests.store.postgres.statements import sent_statements

FIGURES = [
    ("old", Figure("ten ferries", "count", 1, "Ten ferries ran that winter.", subject="ferries", value=10)),
    ("mid", Figure("$5", "money", 1, "The ferries charged a $5 toll.", subject="toll", value=5)),
    ("new", Figure("six ferries", "count", 1, "Six ferries ran in spring.", subject="ferries", value=6)),
]


async def save_figures(store: Any) -> None:
    for day, (key, figure) in enumerate(FIGURES, start=1):
        block = Block("paragraph", figure.context)
        essay = Essay(key, key, (block,), source="s", published=datetime(2025, 1, day, tzinfo=UTC))
        await store.save_essay(essay, Analysis(sections=[Section(1, "One", (block,), 0, 1)], figures=[figure]))


async def save_quotes(store: Any, texts: list[tuple[str, str]]) -> None:
    for number, (text, speaker) in enumerate(texts):
        essay = Essay(f"e{number}", f"Essay {number}", (Block("paragraph", text),), source="s")
        quote = Quote(text, "direct", 1, speaker, 1.0)
        await store.save_essay(essay, Analysis(sections=[Section(1, "One", essay.blocks, 0, 1)], quotes=[quote]))


@pytest.mark.parametrize(("window", "ranked"), [(2000, True), (2, False)])
async def test_figures_of_common_words_come_newest_first_on_both_backends(
    any_store: Any, monkeypatch: pytest.MonkeyPatch, window: int, ranked: bool
) -> None:
    monkeypatch.setattr(sqlite_lookup, "MATCH_WINDOW", window)
    monkeypatch.setattr(pg_lookup, "MATCH_WINDOW", window)
    await save_figures(any_store)

    keys = [ref.key for _, ref in await any_store.search_figures("ferries", guild_id=None)]

    if ranked:  # the column weights: the figures counting ferries before the toll sharing their sentence
        assert keys[-1] == "mid" and set(keys) == {"old", "mid", "new"}
    else:  # newest first, those whose own words hold "ferries" before the one sharing their sentence
        assert keys == ["new", "old", "mid"]


async def test_stopwords_change_no_answer_and_alone_give_the_newest_on_both_backends(any_store: Any) -> None:
    await save_quotes(
        any_store,
        [
            ("The levy was a toll on the harbour", "Ida Venn"),
            ("The harbour froze", "Ida Venn"),
            ("A toll of the bell", "Tom Reyes"),
        ],
    )
    with_stopwords = await any_store.search_quotes("the harbour toll", guild_id=None)
    without = await any_store.search_quotes("harbour toll", guild_id=None)
    assert [q.text for q, _ in with_stopwords] == [q.text for q, _ in without] == ["The levy was a toll on the harbour"]
    assert [ref.key for _, ref in await any_store.search_quotes("the", guild_id=None)] == ["e2", "e1", "e0"]


@pytest.mark.parametrize("speaker", [None, "Ida Venn"])
async def test_a_ranked_search_answers_as_ranking_every_match(
    pg_store: PostgresStore, monkeypatch: pytest.MonkeyPatch, speaker: str | None
) -> None:
    """The best matches' window gives the full ranking's page, and the full ranking when too few pass a filter."""
    texts = []
    for number in range(12):
        # More of the word ranks higher (ts_rank_cd's covers); only the two with the fewest are Ida Venn's.
        texts.append(
            (
                "The harbour and the quay " * (12 - number) + "held.",
                "Ida Venn" if number >= 10 else "Tom Reyes",
            )
        )
    await save_quotes(pg_store, texts)
    answers = []
    for window in (1, 1000):
        monkeypatch.setattr(pg_lookup, "rank_window", lambda limit, window=window: window)
        found = await pg_store.search_quotes("harbour", guild_id=None, speaker=speaker, limit=2)
        answers.append([ref.key for _, ref in found])
    assert answers[0] == answers[1]
    assert answers[0] == (["e10", "e11"] if speaker else ["e0", "e1"])


async def test_a_ranked_search_by_a_speaker_ranks_every_match_at_once(
    pg_store: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As in the SQLite store: few of the best matches are one speaker's, so no window is tried first."""
    await save_quotes(pg_store, [("The harbour and the quay held.", "Ida Venn"), ("The harbour froze.", "Tom Reyes")])

    def no_window(limit: int) -> int:
        raise AssertionError("a search by a speaker tried the window of the best matches")

    monkeypatch.setattr(pg_lookup, "rank_window", no_window)
    found = await pg_store.search_quotes("harbour", guild_id=None, speaker="Ida Venn")
    assert [ref.key for _, ref in found] == ["e0"]


async def test_a_filtered_search_of_common_words_looks_at_about_the_newest_window_of_matches(
    pg_store: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = [("The harbour held", "Ida Venn")] + [("The harbour froze again", "Tom Reyes")] * 9
    await save_quotes(pg_store, texts)
    await pg_store._all("ANALYZE quotes")  # the word's count from the statistics: in every row
    monkeypatch.setattr(pg_lookup, "MATCH_WINDOW", 2)
    monkeypatch.setattr(pg_lookup, "FILTERED_WINDOW", 3)
    assert await pg_store.search_quotes("harbour", guild_id=None, speaker="Ida Venn") == []  # the oldest match
    monkeypatch.setattr(pg_lookup, "FILTERED_WINDOW", 500)
    found = await pg_store.search_quotes("harbour", guild_id=None, speaker="Ida Venn")
    assert [ref.key for _, ref in found] == ["e0"]
    newest = await pg_store.search_quotes("harbour", guild_id=None, limit=3)
    assert [ref.key for _, ref in newest] == ["e9", "e8", "e7"]


async def test_word_counts_come_from_the_statistics_once_analyzed(pg_store: PostgresStore) -> None:
    await save_quotes(pg_store, [(f"The harbour froze in winter number {n}", "Tom Reyes") for n in range(30)])
    await save_quotes(pg_store, [("A lighthouse keeper spoke", "Ida Venn")])
    words = ["harbour", "lighthouse", "zeppelin"]
    counted = await word_rows(pg_store._all, WordStatistics(), "quotes", words, common=10)
    assert counted == [10.0, 1.0, 0.0]  # counted up to the common count: no statistics yet

    await pg_store._all("ANALYZE quotes")
    statistics = WordStatistics()
    column = await statistics.column(pg_store._all, "quotes")
    assert column is not None and "harbour" in column.shares
    estimated = await word_rows(pg_store._all, statistics, "quotes", words, common=10)
    assert estimated[0] >= 10 > estimated[1] and estimated[2] < 10


async def test_the_word_statistics_are_kept_ten_times_the_default(pg_store: PostgresStore) -> None:
    rows = await pg_store._all(
        "SELECT c.relname, a.attstattarget FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "WHERE c.relname IN ('quotes', 'figures') AND a.attname = 'document' ORDER BY c.relname"
    )
    assert [(r["relname"], r["attstattarget"]) for r in rows] == [("figures", 1000), ("quotes", 1000)]


@pytest.mark.parametrize("runs", [False, True])
async def test_a_speaker_pool_is_the_speakers_quotes_the_server_sees(
    pg_store: PostgresStore, monkeypatch: pytest.MonkeyPatch, runs: bool
) -> None:
    if runs:  # a speaker quoted more than this many times the quotes wanted is read in runs
        monkeypatch.setattr(pg_lookup, "_SPEAKER_RUNS_PAST", 0)
    feed = await pg_store.add_feed("https://blog.example/feed", guild_id=7)
    texts = [
        (f"Quote number {n} of the harbour master, long enough to offer.", "Ida Venn" if n % 3 else "Tom Reyes")
        for n in range(60)
    ]
    for number, (text, speaker) in enumerate(texts):
        essay = Essay(f"e{number}", f"Essay {number}", (Block("paragraph", text),), source="s")
        quote = Quote(text, "direct", 1, speaker, 1.0)
        analysis = Analysis(sections=[Section(1, "One", essay.blocks, 0, 1)], quotes=[quote])
        # Every other essay is of the server's feed; the rest it does not see.
        await pg_store.save_essay(essay, analysis, feed_id=feed.id if number % 2 else None)

    pool = await pg_store.quote_pool(guild_id=7, speaker="Ida Venn", limit=10, rng=random.Random(3))

    seen = {f"e{n}" for n in range(60) if n % 2 and n % 3}
    assert pool and len({ref.key for _, ref in pool}) == len(pool) <= 10
    assert all(quote.speaker == "Ida Venn" and ref.key in seen for quote, ref in pool)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ((500.0,), 500.0),  # one word: its own count
        ((100.0, 10_000.0), 100.0 * 0.1**0.5),  # the rarest's count, times the root of the next one's share
        ((10_000.0, 100.0), 100.0 * 0.1**0.5),  # in whatever order the words came
        ((100.0, 10_000.0, 10_000.0), 100.0 * 0.1**0.5 * 0.1**0.25),  # then the fourth root of the third's
        ((100.0, 0.0), 0.0),  # a word no row holds
    ],
)
def test_rows_holding_every_word_back_off_from_the_rarest(counts: tuple[float, ...], expected: float) -> None:
    """Words searched together are seldom independent: the estimate lies between their product of shares
    and the rarest word's count."""
    search = pg_lookup.Search('"a"', ranked=False, counts=counts)
    assert search.rows_matching(100_000.0) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "counts", "expected"),
    [
        ("rolling stock", {"rolling": 900.0, "stock": 800.0}, ()),  # two words: no whole word to count
        # A hyphenated word's parts are taken as that word, counted whole: the rows holding it hold them.
        ("rolling-stock", {"rolling": 900.0, "stock": 800.0, "rolling-stock": 700.0}, (700.0,)),
        ("Rolling-Stock.", {"rolling": 900.0, "stock": 800.0, "rolling-stock": 700.0}, (700.0,)),
        (
            "rolling-stock fares",
            {"rolling": 900.0, "stock": 800.0, "fares": 50.0, "rolling-stock": 700.0},
            (50.0, 700.0),
        ),
        # A part left out as a stopword: the others still come with the whole word.
        ("state-of-the-art grid", {"state": 90.0, "art": 80.0, "grid": 30.0, "state-of-the-art": 20.0}, (30.0, 20.0)),
        # Two sharing a part: the first only (so never more than half as many as the words).
        (
            "rolling-stock stock-market",
            {"rolling": 9.0, "stock": 8.0, "market": 7.0, "rolling-stock": 6.0, "stock-market": 5.0},
            (7.0, 6.0),
        ),
        # One searched part only: its own count (it is also found outside the hyphenated word).
        ("the-end", {"end": 60.0, "the-end": 5.0}, ()),
        # Next to a digit, a dot or a hyphen the parser cuts it otherwise: the parts are words of their own.
        ("covid-19 cases", {"covid": 40.0, "19": 70.0, "cases": 90.0}, ()),
        ("21-year-old", {"21": 70.0, "year": 50.0, "old": 80.0}, ()),
        ("mp3-player-case", {"mp3": 1.0, "player": 2.0, "case": 3.0}, ()),
        ("foo-bar.com", {"foo": 1.0, "bar": 2.0, "com": 3.0}, ()),
    ],
)
async def test_the_parts_of_a_hyphenated_word_count_as_that_word(
    text: str, counts: dict[str, float], expected: tuple[float, ...]
) -> None:
    """A search of "rolling-stock" was put in 1,292 of 1,865,000 quotes by backing off from its two parts as from
    words of one topic; every one of the 14,611 quotes holding one part holds the other (a filtered search read
    them all)."""
    sent: list[list[str]] = []

    async def fetch(sql: str, params: Any) -> list[Any]:
        sent.append(list(params[0]))
        return [{"word": word, "lexemes": [word.lower()]} for word in params[0]]

    rows = 1_000_000.0
    statistics = WordStatistics()  # every lexeme listed with its share: nothing is counted
    statistics._columns["quotes"] = ColumnStatistics({w: n / rows for w, n in counts.items()}, 0.0, rows, float("inf"))
    search = await pg_lookup.plan_search(fetch, statistics, "quotes", text)
    assert search is not None and search.joined == pytest.approx(expected)
    assert search.counts == pytest.approx(tuple(counts[w.lower()] for w in sqlite_lookup.query_words(text)))
    assert len(sent) == 1  # the words and the whole words counted together


def test_a_hyphenated_word_s_count_raises_the_estimate_never_lowers_it() -> None:
    search = pg_lookup.Search('"a"', ranked=False, counts=(10_000.0, 10_000.0), joined=(9_000.0,))
    assert search.rows_matching(100_000.0) == pytest.approx(9_000.0)  # the parts always together
    rarer = pg_lookup.Search('"a"', ranked=False, counts=(10_000.0, 10_000.0), joined=(10.0,))
    assert rarer.rows_matching(100_000.0) == pytest.approx(10_000.0 * 0.1**0.5)  # the parts also apart


def test_a_long_search_s_hyphenated_words_are_only_of_its_searched_words() -> None:
    text = " ".join(f"word{chr(97 + n % 26)}{n}" for n in range(30)) + " rolling-stock-market"
    words = sqlite_lookup.query_words(text)
    assert "market" not in words  # past the 32 words a search takes
    assert pg_lookup.hyphenated(text, words) == {}


async def test_a_hyphenated_word_is_counted_whole_with_its_parts_in_one_statement(
    pg_store: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await save_quotes(pg_store, [(f"The rolling-stock order number {n}.", "Ida Venn") for n in range(6)])
    await pg_store._all("ANALYZE quotes")
    sent = sent_statements(pg_store, monkeypatch)
    search = await pg_store._search("quotes", "rolling-stock")
    assert search is not None and search.counts == (6.0, 6.0) and search.joined == (6.0,)
    assert sum("to_tsvector" in sql for sql, _ in sent) == 1  # its parts' and its own lexemes looked up together
