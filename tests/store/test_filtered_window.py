"""Common words and a filter the index cannot apply: one answer, whether the newest-matches window is full or not."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.essays.model import Analysis, Block, Essay, Figure, FigureKind, Quote, Section
from bot.store import Store, lookup, open_store

GUILD = 101
SPEAKERS = ("Ida Venn", "Tom Reyes", "Ana Ruiz")
KINDS: tuple[FigureKind, ...] = ("count", "money", "percent")


@pytest.fixture
async def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Store]:
    """Eighteen essays, two in three in the server's feed, each quoting someone about the ferry or the toll."""
    monkeypatch.setattr(lookup, "MATCH_WINDOW", 1)  # every word is common: newest first, never bm25
    async with await open_store(tmp_path / "db.sqlite3") as store:
        feed = await store.add_feed("https://one.example/feed", guild_id=GUILD)
        for number in range(18):
            topic = "ferry" if number % 2 else "toll"
            sentence = f"The {topic} carried {number + 3} passengers across the harbour that winter."
            block = Block("paragraph", sentence)
            essay = Essay(
                f"e{number}", f"Essay {number}", (block,), published=datetime(2025, 1, number + 1, tzinfo=UTC)
            )
            own = "passengers" if number % 3 else topic  # what the figure counts: the query's word, or not
            figure = Figure(f"{number + 3} {own}", KINDS[number % 3], 1, sentence, subject=own, value=number + 3)
            quote = Quote(sentence, "direct", 1, SPEAKERS[number % 3], 1.0)
            analysis = Analysis(sections=[Section(1, "One", (block,), 0, 1)], quotes=[quote], figures=[figure])
            outcome = await store.save_essay(essay, analysis)
            if number % 3 != 2:
                await store.mark_seen(feed.id, essay.key, outcome.essay_id)
        yield store


@pytest.mark.parametrize(
    ("lookup_name", "search", "option", "guild_id"),
    [
        ("quotes", "ferry harbour", "Ida Venn", GUILD),
        ("quotes", "ferry harbour", "Tom Reyes", None),
        ("quotes", "winter", "Reyes", GUILD),
        ("quotes", "zeppelin", "Ida Venn", GUILD),
        ("figures", "ferry", "count", GUILD),
        ("figures", "passengers", "money", None),
        ("figures", "toll winter", "percent", None),
        ("figures", "toll", "count", GUILD),
        ("figures", "zeppelin", "count", None),
    ],
)
async def test_every_match_read_by_id_answers_as_walking_the_index(
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    lookup_name: str,
    search: str,
    option: str,
    guild_id: int | None,
) -> None:
    """Fewer matches than the window: read by id, the page is the one the index walk gives."""

    async def ask() -> list[tuple[str, str | None]]:
        if lookup_name == "quotes":
            quotes = await store.search_quotes(search, guild_id=guild_id, speaker=option, limit=4)
            return [(ref.key, quote.speaker) for quote, ref in quotes]
        kind: FigureKind = option  # type: ignore[assignment]
        figures = await store.search_figures(search, guild_id=guild_id, kind=kind, limit=4)
        return [(ref.key, figure.text) for figure, ref in figures]

    read_by_id = await ask()

    async def unbounded_walk(*args: object) -> tuple[bool, list[int]]:
        return True, [0]  # "a full window whose last id is 0": the walk as before, over every match

    monkeypatch.setattr(store, "_newest_matches", unbounded_walk)
    assert read_by_id == await ask()
    assert bool(read_by_id) == ("zeppelin" not in search)
