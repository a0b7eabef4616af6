"""A random quote of one speaker: read whole when small, probed in the index when large; the same quotes either way."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.essays.model import Analysis, Block, Essay, Quote, QuoteKind, Section
from bot.store import Store, lookup, open_store

GUILD = 101
# Ida Venn's quotes per essay: two kinds a random quote offers, one it never does.
KINDS: tuple[QuoteKind, ...] = ("direct", "notable", "scare")


def quote_text(key: str, number: int) -> str:
    return f"In essay {key} Ida Venn said thing number {number} about the harbour wall."


async def save(store: Store, key: str, feed_id: int | None) -> int:
    who = "IDA VENN" if key == "seen5" else "Ida Venn"  # one essay spells her name otherwise
    quotes = [Quote(quote_text(key, n), kind, 1, who, 1.0) for n, kind in enumerate(KINDS)]
    quotes.append(Quote(f"In essay {key} Tom Reyes spoke of the tide and the quay.", "direct", 1, "Tom Reyes", 1.0))
    essay = Essay(key, f"Essay {key}", (Block("paragraph", " ".join(q.text for q in quotes)),), source="s")
    outcome = await store.save_essay(essay, Analysis(sections=[Section(1, "One", essay.blocks, 0, 1)], quotes=quotes))
    if feed_id is not None:
        await store.mark_seen(feed_id, key, outcome.essay_id)
    return outcome.essay_id


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """Twelve essays in the server's feed, one posted there by hand, and essays it never sees between them."""
    async with await open_store(tmp_path / "db.sqlite3") as store:
        feed = await store.add_feed("https://one.example/feed", guild_id=GUILD)
        destination = await store.set_destination(guild_id=GUILD, channel_id=11, kind="text")
        for number in range(12):
            await save(store, f"seen{number}", feed.id)
            await save(store, f"stray{number}", None)  # stored, in no feed the server follows
            if number in (3, 8):
                await store.queue_publication(await save(store, f"posted{number}", None), destination.id, 1)
        yield store


def offered(keys: set[str]) -> set[str]:
    """The texts a random quote of Ida Venn may offer from these essays."""
    return {quote_text(key, n) for key in keys for n, kind in enumerate(KINDS) if kind != "scare"}


SEEN = {f"seen{n}" for n in range(12)} | {"posted3", "posted8"}
EVERY = SEEN | {f"stray{n}" for n in range(12)}


@pytest.mark.parametrize(
    ("read_max", "posted_max", "walk", "guild_id", "posted_only", "keys"),
    [
        (1000, 50, 32, GUILD, False, SEEN),  # a few quotes: every id read
        (0, 50, 32, GUILD, False, SEEN),  # probes, each walking past the essays the server does not see
        (0, 50, 32, None, False, EVERY),  # probes over the whole archive
        (0, 50, 1, GUILD, False, SEEN),  # walks too short for this scope: some probes find nothing
        (0, 50, 32, GUILD, True, {"posted3", "posted8"}),  # the quotes of the few posted essays, read whole
        (0, 0, 32, GUILD, True, {"posted3", "posted8"}),  # many posted essays: probes in the posted scope
        (0, 0, 1, GUILD, True, {"posted3", "posted8"}),  # probes that find nothing: every id read instead
    ],
)
async def test_every_quote_of_the_speaker_in_scope_can_come_up_and_no_other(
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    read_max: int,
    posted_max: int,
    walk: int,
    guild_id: int | None,
    posted_only: bool,
    keys: set[str],
) -> None:
    monkeypatch.setattr(lookup, "SPEAKER_READ_MAX", read_max)
    monkeypatch.setattr(lookup, "POSTED_READ_MAX", posted_max)
    monkeypatch.setattr(lookup, "PROBE_WALK", walk)
    seen: set[str] = set()
    for seed in range(200):
        pool = await store.quote_pool(
            guild_id=guild_id, speaker="venn", posted_only=posted_only, limit=4, rng=random.Random(seed)
        )
        assert pool, seed
        assert len(pool) <= 4
        assert {ref.key for _, ref in pool} <= keys
        assert all(quote.speaker in ("Ida Venn", "IDA VENN") and quote.kind != "scare" for quote, _ in pool)
        seen |= {quote.text for quote, _ in pool}
    assert seen == offered(keys)


async def test_a_speaker_the_server_never_quotes_has_no_pool(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lookup, "SPEAKER_READ_MAX", 0)
    assert await store.quote_pool(guild_id=GUILD, speaker="nobody", rng=random.Random(1)) == []
    assert await store.quote_pool(guild_id=999, speaker="venn", rng=random.Random(1)) == []
