"""The posts /related finds by labels alone, on both backends: heaviest shared weight first, then newest."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.essays.model import Analysis, Block, Essay
from bot.store import Store

GUILD = 7


@pytest.fixture
def store(backend_store: Store) -> Store:
    return backend_store


async def save(store: Store, key: str, labels: tuple[str, ...], day: int, feed_id: int) -> int:
    published = datetime(2024, 3, day, tzinfo=UTC)
    essay = Essay(key, key.title(), (Block("paragraph", f"The text of {key}."),), published=published, labels=labels)
    essay_id = (await store.save_essay(essay, Analysis(), feed_id=feed_id)).essay_id
    await store.mark_seen(feed_id, key, essay_id)
    return essay_id


async def test_weight_then_date_orders_the_posts_the_server_sees(store: Store) -> None:
    ours = await store.add_feed("https://ours.example/feed", guild_id=GUILD)
    theirs = await store.add_feed("https://theirs.example/feed", guild_id=GUILD + 1)
    both_old = await save(store, "both-old", ("ferries", "tides"), 1, ours.id)
    ferries_old = await save(store, "ferries-old", ("ferries",), 2, ours.id)
    tides_new = await save(store, "tides-new", ("tides",), 3, ours.id)
    await save(store, "theirs", ("ferries", "tides"), 4, theirs.id)
    ferries_new = await save(store, "ferries-new", ("ferries",), 5, ours.id)
    target = await save(store, "target", ("ferries", "tides"), 6, ours.id)
    weights = {"ferries": 0.5, "tides": 0.3}

    found = await store.label_neighbours(weights, guild_id=GUILD, before=None, exclude_id=target, limit=10)
    # Both labels (0.8), then ferries (0.5) newest first, then tides (0.3); never the other server's post.
    assert found == [both_old, ferries_new, ferries_old, tides_new]
    before = datetime(2024, 3, 5, tzinfo=UTC)
    found = await store.label_neighbours(weights, guild_id=GUILD, before=before, exclude_id=target, limit=2)
    assert found == [both_old, ferries_old]
    assert await store.label_neighbours({}, guild_id=GUILD, before=None, exclude_id=None, limit=5) == []


async def test_one_label_reads_its_newest_posts_before_the_date(store: Store) -> None:
    """One rare label (the common case): the posts the server sees, newest first, ties by the later stored,
    undated last."""
    ours = await store.add_feed("https://ours.example/feed", guild_id=GUILD)
    theirs = await store.add_feed("https://theirs.example/feed", guild_id=GUILD + 1)
    first = await save(store, "first", ("ferries",), 1, ours.id)
    same_day_a = await save(store, "same-day-a", ("ferries", "tides"), 3, ours.id)
    same_day_b = await save(store, "same-day-b", ("ferries",), 3, ours.id)
    await save(store, "theirs", ("ferries",), 4, theirs.id)
    await save(store, "other-label", ("tides",), 4, ours.id)
    undated = Essay("undated", "Undated", (Block("paragraph", "No date."),), labels=("ferries",))
    undated_id = (await store.save_essay(undated, Analysis(), feed_id=ours.id)).essay_id
    await store.mark_seen(ours.id, "undated", undated_id)
    target = await save(store, "target", ("ferries",), 9, ours.id)

    found = await store.label_neighbours({"ferries": 0.4}, guild_id=GUILD, before=None, exclude_id=target, limit=10)
    assert found == [same_day_b, same_day_a, first, undated_id]
    before = datetime(2024, 3, 3, tzinfo=UTC)
    assert await store.label_neighbours(
        {"ferries": 0.4}, guild_id=GUILD, before=before, exclude_id=target, limit=10
    ) == [first]
    assert await store.label_neighbours({"ferries": 0.4}, guild_id=GUILD, before=None, exclude_id=None, limit=2) == [
        target,
        same_day_b,
    ]


async def test_a_revised_date_moves_the_post_among_its_labels(store: Store) -> None:
    ours = await store.add_feed("https://ours.example/feed", guild_id=GUILD)
    early = await save(store, "early", ("ferries",), 1, ours.id)
    late = await save(store, "late", ("ferries",), 5, ours.id)
    assert await store.label_neighbours({"ferries": 0.4}, guild_id=GUILD, before=None, exclude_id=None, limit=5) == [
        late,
        early,
    ]
    # A revision of the early post comes with a later date: it is now the newest.
    blocks = (Block("paragraph", "The text of early, revised."),)
    moved = Essay("early", "Early", blocks, labels=("ferries",), published=datetime(2024, 3, 8, tzinfo=UTC))
    await store.save_essay(moved, Analysis(), feed_id=ours.id)
    assert await store.label_neighbours({"ferries": 0.4}, guild_id=GUILD, before=None, exclude_id=None, limit=5) == [
        early,
        late,
    ]
    before = datetime(2024, 3, 6, tzinfo=UTC)
    assert await store.label_neighbours({"ferries": 0.4}, guild_id=GUILD, before=before, exclude_id=None, limit=5) == [
        late
    ]


async def test_the_posts_before_a_date_are_listed_only_when_few(store: Store) -> None:
    """``earlier_ids``: every post the server sees before the date, oldest first, when the archive holds at most
    ``limit`` before it; None when it holds more (the other server's posts count: they are read to know)."""
    ours = await store.add_feed("https://ours.example/feed", guild_id=GUILD)
    theirs = await store.add_feed("https://theirs.example/feed", guild_id=GUILD + 1)
    second = await save(store, "second", (), 2, ours.id)
    first = await save(store, "first", (), 1, ours.id)
    await save(store, "theirs", (), 3, theirs.id)
    await save(store, "later", (), 8, ours.id)
    undated = Essay("undated", "Undated", (Block("paragraph", "No date."),))
    await store.mark_seen(ours.id, "undated", (await store.save_essay(undated, Analysis(), feed_id=ours.id)).essay_id)
    before = datetime(2024, 3, 5, tzinfo=UTC)
    # An undated post is before no date: neither listed nor counted.
    assert await store.earlier_ids(before, guild_id=GUILD, limit=3) == [first, second]
    assert await store.earlier_ids(before, guild_id=GUILD, limit=2) is None
    assert await store.earlier_ids(datetime(2024, 3, 1, tzinfo=UTC), guild_id=GUILD, limit=3) == []
