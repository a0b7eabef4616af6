"""A related-post text query ranked within a window: only the newest matches the server may see are ranked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.essays.model import Analysis, Block, Essay
from bot.store import Store

GUILD = 7


@pytest.fixture
def store(backend_store: Store) -> Store:
    return backend_store


async def save(store: Store, key: str, text: str, day: int, *, feed_id: int | None) -> int:
    essay = Essay(key, key.title(), (Block("paragraph", text),), published=datetime(2024, 1, day, tzinfo=UTC))
    outcome = await store.save_essay(essay, Analysis(), feed_id=feed_id)
    if feed_id is not None:
        await store.mark_seen(feed_id, key, outcome.essay_id)
    return outcome.essay_id


async def test_only_the_newest_matches_in_scope_and_before_the_date_are_ranked(store: Store) -> None:
    ours = await store.add_feed("https://ours.example/feed", guild_id=GUILD)
    theirs = await store.add_feed("https://theirs.example/feed", guild_id=GUILD + 1)
    # The oldest says "harbour" most often: the best match of an unbounded ranking.
    oldest = await save(store, "oldest", "Harbour, harbour, harbour: the harbour again.", 1, feed_id=ours.id)
    middle = await save(store, "middle", "The harbour wall was mended.", 2, feed_id=ours.id)
    newer = await save(store, "newer", "A note on the harbour.", 3, feed_id=ours.id)
    await save(store, "elsewhere", "Harbour harbour harbour harbour.", 4, feed_id=theirs.id)
    await save(store, "newest", "The harbour at night.", 5, feed_id=ours.id)

    def ids(found: list[tuple[int, float]]) -> set[int]:
        return {essay_id for essay_id, _ in found}

    everything, _ = await store.text_neighbours(["harbour"], guild_id=GUILD, before=None, limit=10)
    assert everything[0][0] == oldest
    before = datetime(2024, 1, 5, tzinfo=UTC)
    # The newest two this server sees before the 5th: not the other server's, not the one of the 5th.
    found, _ = await store.text_neighbours(["harbour"], guild_id=GUILD, before=before, limit=10, window=2)
    assert ids(found) == {middle, newer}
    found, _ = await store.text_neighbours(["harbour"], guild_id=GUILD, before=before, limit=1, window=3)
    assert [essay_id for essay_id, _ in found] == [oldest]


async def test_every_server_s_query_ranks_every_match_and_reports_the_target_s_own_score(store: Store) -> None:
    """The command line's and the neighbour lists' query (no server, no date) reads the index alone."""
    first = await store.add_feed("https://first.example/feed", guild_id=GUILD)
    second = await store.add_feed("https://second.example/feed", guild_id=GUILD + 1)
    target = await save(store, "target", "Harbour lights over the harbour.", 1, feed_id=first.id)
    other = await save(store, "other", "Harbour harbour harbour harbour.", 2, feed_id=second.id)
    unfed = await save(store, "unfed", "A harbour with no feed.", 3, feed_id=None)
    found, own = await store.text_neighbours(["harbour"], guild_id=None, before=None, limit=5, target_id=target)
    assert [essay_id for essay_id, _ in found] == [other, unfed]
    assert own is not None and found[0][1] > own > found[1][1] > 0


@pytest.mark.parametrize("pool", [2, 200])
async def test_the_best_matches_the_server_sees_are_found_whatever_the_index_ranks_first(
    store: Store, monkeypatch: pytest.MonkeyPatch, pool: int
) -> None:
    # SQLite ranks a pool of the index's best matches before reading their essays rows: a pool the
    # other server's posts fill must not hide this server's.
    monkeypatch.setattr("bot.store.store.rank_window", lambda limit: pool)
    ours = await store.add_feed("https://ours.example/feed", guild_id=GUILD)
    theirs = await store.add_feed("https://theirs.example/feed", guild_id=GUILD + 1)
    for day in (1, 2, 3):
        await save(store, f"theirs{day}", "Harbour harbour harbour harbour harbour.", day, feed_id=theirs.id)
    weaker = await save(store, "weaker", "The harbour, once.", 4, feed_id=ours.id)
    stronger = await save(store, "stronger", "The harbour and the harbour wall.", 5, feed_id=ours.id)
    found, _ = await store.text_neighbours(["harbour"], guild_id=GUILD, before=None, limit=2)
    assert [essay_id for essay_id, _ in found] == [stronger, weaker]
    found, own = await store.text_neighbours(["harbour"], guild_id=GUILD, before=None, limit=1, target_id=weaker)
    assert [essay_id for essay_id, _ in found] == [stronger] and own is not None


async def test_a_window_without_a_date_keeps_the_server_s_scope_and_the_target(store: Store) -> None:
    """Without a date the query filters on the match's rowid alone (no essays row read): the same answers."""
    ours = await store.add_feed("https://ours.example/feed", guild_id=GUILD)
    theirs = await store.add_feed("https://theirs.example/feed", guild_id=GUILD + 1)
    first = await save(store, "first", "The harbour wall.", 1, feed_id=ours.id)
    await save(store, "elsewhere", "Harbour harbour harbour harbour.", 2, feed_id=theirs.id)
    second = await save(store, "second", "A harbour at dawn.", 3, feed_id=ours.id)
    target = await save(store, "target", "Harbour lights over the harbour.", 4, feed_id=theirs.id)
    found, own = await store.text_neighbours(
        ["harbour"], guild_id=GUILD, before=None, limit=10, target_id=target, window=3
    )
    # The newest three that pass: the target (always), then this server's two; not the other server's post.
    assert {essay_id for essay_id, _ in found} == {first, second}
    assert own is not None
    found, own = await store.text_neighbours(["harbour"], guild_id=GUILD, before=None, limit=10, window=2)
    assert {essay_id for essay_id, _ in found} == {first, second} and own is None


@pytest.mark.parametrize("pool", [1, 200])
@pytest.mark.parametrize("day", [2, 4, 6, 8, 10])
async def test_a_date_anywhere_in_the_archive_gives_the_full_ranking_s_answer(
    store: Store, monkeypatch: pytest.MonkeyPatch, pool: int, day: int
) -> None:
    # SQLite filters before ranking when the date keeps the older half of the archive's span, and otherwise
    # ranks a pool of the best matches first (a pool of 1 nearly always ranks again): the same answer every way.
    monkeypatch.setattr("bot.store.store.rank_window", lambda limit: pool)
    ours = await store.add_feed("https://ours.example/feed", guild_id=GUILD)
    theirs = await store.add_feed("https://theirs.example/feed", guild_id=GUILD + 1)
    published: dict[int, int] = {}
    for number in range(1, 11):
        text = " ".join(["The harbour"] * (1 + number * 7 % 5)) + f" and the pier {number}."
        feed = theirs if number % 4 == 0 else ours
        published[await save(store, f"post{number}", text, number, feed_id=feed.id)] = number
    everything, _ = await store.text_neighbours(["harbour"], guild_id=GUILD, before=None, limit=20)
    expected = [(essay_id, score) for essay_id, score in everything if published[essay_id] < day][:3]
    found, _ = await store.text_neighbours(
        ["harbour"], guild_id=GUILD, before=datetime(2024, 1, day, tzinfo=UTC), limit=3
    )
    assert [essay_id for essay_id, _ in found] == [essay_id for essay_id, _ in expected]
    assert [score for _, score in found] == pytest.approx([score for _, score in expected])
