"""The essay autocomplete's "title contains": the same titles however it is looked up, on both backends."""

from __future__ import annotations

import pytest

from bot.essays.model import Analysis, Block, Essay
from bot.store import Store

GUILD = 303
TITLES = [
    "The Harbour Wall",
    "Regional Rail Again",
    "A 100% Tax on Nothing",
    "under_score and more",
    'He said "no" twice',
    "Café Regulars",
    "Progress Report",
    "Tourist Season",
    "The Regatta",
]


@pytest.fixture
async def store(backend_store: Store) -> Store:
    feed = await backend_store.add_feed("https://titles.example/feed", guild_id=GUILD)
    for number, title in enumerate(TITLES):
        key = f"essay-{number}"
        essay = Essay(key, title, (Block("paragraph", f"The text of {title}."),))
        essay_id = (await backend_store.save_essay(essay, Analysis(), feed_id=feed.id)).essay_id
        await backend_store.mark_seen(feed.id, key, essay_id)
    return backend_store


@pytest.mark.parametrize(
    "typed",
    ["reg", "REG", "our", "100%", "_sc", '"no"', "ist sea", "re", "e", "xyz", "é R", "the r", "reg\x00"],
)
async def test_titles_containing_what_was_typed(store: Store, typed: str) -> None:
    found = {choice.title for choice in await store.essay_choices(typed, guild_id=GUILD, limit=25)}
    if len(typed) < 3:  # a letter or two: titles starting with them
        assert found == {title for title in TITLES if title.lower().startswith(typed.lower())}
    else:
        assert found == {title for title in TITLES if typed.lower() in title.lower()}


async def test_a_retitled_or_deleted_essay_is_found_by_its_new_title_only(store: Store) -> None:
    feed = await store.add_feed("https://titles.example/other", guild_id=GUILD)
    essay = Essay("moving", "Lighthouse Keepers", (Block("paragraph", "The keepers left in May."),))
    essay_id = (await store.save_essay(essay, Analysis(), feed_id=feed.id)).essay_id
    await store.mark_seen(feed.id, "moving", essay_id)
    assert [c.title for c in await store.essay_choices("house", guild_id=GUILD)] == ["Lighthouse Keepers"]
    retitled = Essay("moving", "Ferry Keepers", (Block("paragraph", "The keepers left in June."),))
    await store.save_essay(retitled, Analysis(), feed_id=feed.id)
    assert await store.essay_choices("house", guild_id=GUILD) == []
    assert [c.title for c in await store.essay_choices("rry kee", guild_id=GUILD)] == ["Ferry Keepers"]
