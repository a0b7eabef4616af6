"""Server scope in the store: which essays a server sees, and that member-facing code asks only scoped queries."""

from __future__ import annotations

import ast
import random
from pathlib import Path

import pytest

from bot.essays.model import Analysis, Block, Essay, Quote, Section
from bot.store import Store


@pytest.fixture
def store(backend_store: Store) -> Store:
    """These tests ask only the Store protocol: each runs on SQLite and on PostgreSQL (tests/conftest.py)."""
    return backend_store


ONE, TWO = 101, 202
ROOT = Path(__file__).resolve().parents[2]
# The store's unscoped accessors, for the poller, the publisher and intake (they work for every server).
UNSCOPED = {"find_essay", "get_essay", "get_essay_by_id", "list_essays", "all_essay_ids"}
# Code that answers members and moderators: it may reach essays only through scoped queries.
MEMBER_FACING = [
    "bot/lookup.py",
    "bot/operations/feeds.py",
    "bot/operations/destinations.py",
    "bot/operations/posting.py",
    "bot/operations/preview.py",
    "bot/operations/status.py",
    "bot/activity.py",
    "bot/digest.py",
    "cogs/lookup.py",
    "cogs/moderation.py",
    "cogs/activity.py",
]


def essay(key: str) -> Essay:
    return Essay(key, f"Essay {key}", (Block("paragraph", f"The text of essay {key} about harbours."),))


async def save(store: Store, key: str, *, feed_id: int | None = None) -> int:
    outcome = await store.save_essay(essay(key), Analysis(), feed_id=feed_id)
    return outcome.essay_id


async def visible(store: Store, guild_id: int) -> set[str]:
    return {c.key for c in await store.essay_choices("", guild_id=guild_id, limit=100)}


async def test_a_server_sees_the_essays_of_the_feeds_it_follows_and_those_posted_in_it(store: Store) -> None:
    first = await store.add_feed("https://one.example/feed", guild_id=ONE)
    second = await store.add_feed("https://two.example/feed", guild_id=TWO)
    a = await save(store, "a", feed_id=first.id)
    await store.mark_seen(first.id, "a", a)
    b = await save(store, "b", feed_id=second.id)
    await store.mark_seen(second.id, "b", b)
    # "c" was stored from server two's feed and is also an entry of server one's feed (a category feed, say).
    c = await save(store, "c", feed_id=second.id)
    await store.mark_seen(first.id, "c", c)
    hand = await save(store, "hand")  # a page a moderator of server one posted by its address
    destination = await store.set_destination(guild_id=ONE, channel_id=11, kind="text")
    await store.queue_publication(hand, destination.id, 1)
    await save(store, "stray")  # stored, posted nowhere, in no followed feed

    assert await visible(store, ONE) == {"a", "c", "hand"}
    assert await visible(store, TWO) == {"b", "c"}
    assert {c.key for c in await store.essay_choices("", guild_id=None, limit=100)} == {"a", "b", "c", "hand", "stray"}
    assert await store.get_visible_essay(b, guild_id=ONE) is None
    assert await store.find_visible_essay("b", guild_id=TWO) is not None
    # Unfollowing takes the feed's essays out of view; what was posted in the server stays.
    await store.remove_feed(first.id, guild_id=ONE)
    assert await visible(store, ONE) == {"hand"}


@pytest.mark.parametrize("path", MEMBER_FACING)
def test_member_facing_code_never_asks_for_essays_unscoped(path: str) -> None:
    tree = ast.parse((ROOT / path).read_text())
    called = {
        node.func.attr for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    assert called & UNSCOPED == set()


async def test_the_scope_table_always_equals_its_definition(store: Store) -> None:
    """A seeded random run of follows, unfollows, stored entries, posts and removed channels."""
    import random

    rng = random.Random(20261206)
    feeds = [(await store.add_feed(f"https://blog{n}.example/feed")).id for n in range(3)]
    essays: list[int] = []
    guilds = [ONE, TWO, 303]
    for step in range(300):
        action = rng.choice(["follow", "unfollow", "essay", "entry", "post", "channel", "unchannel", "delete_feed"])
        guild = rng.choice(guilds)
        if action == "follow" and feeds:
            await store.add_feed(f"https://blog{rng.randrange(3)}.example/feed", guild_id=guild)
            feeds = [f.id for f in await store.list_feeds()]
        elif action == "unfollow" and feeds:
            await store.remove_feed(rng.choice(feeds), guild_id=guild)
            feeds = [f.id for f in await store.list_feeds()]
        elif action == "essay":
            feed_id = rng.choice([*feeds, None]) if feeds else None
            essays.append(await save(store, f"e{step}", feed_id=feed_id))
        elif action == "entry" and feeds and essays:
            await store.mark_seen(rng.choice(feeds), f"id{rng.randrange(20)}", rng.choice([*essays, None]))
        elif action == "post" and essays:
            destination = await store.set_destination(guild_id=guild, channel_id=rng.randrange(1, 5), kind="text")
            await store.queue_publication(rng.choice(essays), destination.id, 1)
        elif action == "unchannel":
            await store.remove_destination(guild, rng.randrange(1, 5))
        elif action == "delete_feed" and feeds and rng.random() < 0.2:
            await store.remove_feed(rng.choice(feeds))
            feeds = [f.id for f in await store.list_feeds()]
        kept = await store.scope_rows()
        derived = await store.scope_rows(derived=True)
        assert kept == derived, (step, action)


async def test_a_servers_random_quotes_come_from_across_its_essays_a_few_at_a_time(store: Store) -> None:
    feeds = {ONE: await store.add_feed("https://one.example/feed", guild_id=ONE)}
    feeds[TWO] = await store.add_feed("https://two.example/feed", guild_id=TWO)
    for number in range(60):  # the two servers' essays interleaved in the id range
        guild = (ONE, TWO)[number % 2]
        key, text = f"{guild}-{number}", f"Essay {number} said the harbour wall would hold another winter."
        item = Essay(key, f"Essay {key}", (Block("paragraph", text),))
        analysis = Analysis(sections=[Section(1, "One", item.blocks, 0, 1)], quotes=[Quote(text, "notable", 1)])
        await store.mark_seen(feeds[guild].id, key, (await store.save_essay(item, analysis)).essay_id)
    seen: set[str] = set()
    for seed in range(60):
        keys = {ref.key for _, ref in await store.quote_pool(guild_id=ONE, limit=60, rng=random.Random(seed))}
        assert keys and all(key.startswith(f"{ONE}-") for key in keys)
        assert len(keys) <= 12  # a few essays each time (POOL_ESSAYS), not the server's every essay
        seen |= keys
    assert len(seen) == 30  # yet every one of the server's essays comes up


@pytest.mark.parametrize("posted_only", [False, True])
@pytest.mark.parametrize("speaker", [None, "Ida Venn"])
async def test_a_random_quote_comes_only_from_essays_the_server_sees(
    store: Store, posted_only: bool, speaker: str | None
) -> None:
    first = await store.add_feed("https://one.example/feed", guild_id=ONE)
    second = await store.add_feed("https://two.example/feed", guild_id=TWO)
    destination = await store.set_destination(guild_id=ONE, channel_id=11, kind="text")
    for key, feed in (("mine", first), ("theirs", second)):
        text = f"In {key} Ida Venn said the harbour wall would hold another winter."
        item = Essay(key, f"Essay {key}", (Block("paragraph", text),))
        analysis = Analysis(
            sections=[Section(1, "One", item.blocks, 0, 1)], quotes=[Quote(text, "direct", 1, "Ida Venn", 1.0)]
        )
        essay_id = (await store.save_essay(item, analysis, feed_id=feed.id)).essay_id
        await store.mark_seen(feed.id, key, essay_id)
        if key == "mine":
            await store.queue_publication(essay_id, destination.id, 1)
    for seed in range(10):
        pool = await store.quote_pool(guild_id=ONE, speaker=speaker, posted_only=posted_only, rng=random.Random(seed))
        assert {ref.key for _, ref in pool} == {"mine"}
