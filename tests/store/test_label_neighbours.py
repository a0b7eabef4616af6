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
