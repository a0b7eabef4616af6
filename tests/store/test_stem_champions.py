"""Champion lists: each stem's heaviest essays, written with an essay's neighbour list, read by free-text /related."""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime

import asyncpg
import pytest

from bot import related
from bot.essays.model import Block, Essay
from bot.essays.text import stem
from bot.intake import store_essay
from bot.store import Store
from bot.store import floors as sqlite_floors
from bot.store.postgres import PostgresStore
from bot.store.postgres import floors as postgres_floors
from bot.store.store import SQLiteStore

GUILD = 7
BLOG = "https://lighthouse-notes.example/"


@pytest.fixture
def store(backend_store: Store) -> Store:
    return backend_store


def essay(slug: str, day: int, *paragraphs: str) -> Essay:
    return Essay(
        key=f"{BLOG}{slug}",
        title=slug.replace("-", " ").title(),
        blocks=tuple(Block("paragraph", p) for p in paragraphs),
        published=datetime(2024, 2, day, tzinfo=UTC),
    )


# How often each essay uses "lamp": the champion list of its stem is ordered by that use over the essay's length.
POSTS = (
    essay("keepers-log", 1, "The keeper wrote the lamp hours in the log each night.", "Gulls on the gallery rail."),
    essay("lamp-room", 2, "Lamp, lamp, lamp: the lamp room is all lamp and brass.", "The lamp turns."),
    essay("fog-signal", 3, "The fog signal sounded over the reef while the lamp burned.", "Then silence."),
    essay("other-coast", 4, "A lamp lamp lamp on another coast, kept by another server's keeper."),
    essay("newest-arrival", 5, "The new lamp arrived by boat, and the old lamp went to a museum."),
)


async def stored(store: Store) -> dict[str, int]:
    ours = await store.add_feed(f"{BLOG}feed", guild_id=GUILD)
    theirs = await store.add_feed("https://elsewhere.example/feed", guild_id=GUILD + 1)
    ids: dict[str, int] = {}
    for post in POSTS:
        feed = theirs if "other" in post.key else ours
        outcome = await store_essay(store, post, feed_id=feed.id)
        await store.mark_seen(feed.id, post.key, outcome.essay_id)
        ids[post.key.removeprefix(BLOG)] = outcome.essay_id
    return ids


async def stem_id(store: Store, word: str) -> int:
    return (await store.term_statistics([stem(word)]))[stem(word)].id


async def test_a_stem_s_list_holds_its_heaviest_essays_first_within_the_scope_and_the_date(store: Store) -> None:
    ids = await stored(store)
    lamp = await stem_id(store, "lamp")

    every = (await store.stem_champions([lamp], guild_id=None, before=None, limit=10))[lamp]
    weights = [weight for _, weight in every]
    assert weights == sorted(weights, reverse=True) and all(weight > 0 for weight in weights)
    # The two posts made mostly of the word come before those that mention it in passing.
    assert {essay_id for essay_id, _ in every[:2]} == {ids["lamp-room"], ids["other-coast"]}

    ours = await store.stem_champions([lamp], guild_id=GUILD, before=None, limit=10)
    assert ids["other-coast"] not in {essay_id for essay_id, _ in ours[lamp]}
    before = datetime(2024, 2, 5, tzinfo=UTC)
    dated = await store.stem_champions([lamp], guild_id=GUILD, before=before, limit=2)
    older = [essay_id for essay_id, _ in ours[lamp] if essay_id != ids["newest-arrival"]]
    assert [essay_id for essay_id, _ in dated[lamp]] == older[:2] and older[0] == ids["lamp-room"]
    assert await store.stem_champions([], guild_id=None, before=None, limit=5) == {}


async def test_a_revision_replaces_the_essay_s_places_and_nothing_is_placed_without_a_list(store: Store) -> None:
    ids = await stored(store)
    lamp, gull = await stem_id(store, "lamp"), await stem_id(store, "gull")
    revised = replace(
        POSTS[1], title="The Gallery", blocks=(Block("paragraph", "Gulls, gulls and more gulls on the gallery."),)
    )
    await store_essay(store, revised)
    lists = await store.stem_champions([lamp, gull], guild_id=None, before=None, limit=10)
    assert ids["lamp-room"] not in {essay_id for essay_id, _ in lists[lamp]}
    assert lists[gull][0][0] == ids["lamp-room"]

    # An essay whose list is deleted (by hand, or a list made again from scratch) leaves no place behind either.
    async with store.transaction() as db:
        await db.execute(f"DELETE FROM related_lists WHERE essay_id = {ids['fog-signal']}")
    lists = await store.stem_champions([lamp], guild_id=None, before=None, limit=10)
    assert ids["fog-signal"] not in {essay_id for essay_id, _ in lists[lamp]}
    # An essay deleted (never by the bot; by hand) leaves no place behind.
    async with store.transaction() as db:
        await db.execute(f"DELETE FROM essays WHERE id = {ids['keepers-log']}")
    lists = await store.stem_champions([lamp, gull], guild_id=None, before=None, limit=10)
    assert ids["keepers-log"] not in {essay_id for rows in lists.values() for essay_id, _ in rows}

    # An essay without a neighbour list (none stored, or its list gone with a revision) is placed nowhere.
    await store.save_champions({10_000: [(lamp, 999)]})
    assert 10_000 not in {
        e for e, _ in (await store.stem_champions([lamp], guild_id=None, before=None, limit=10))[lamp]
    }


async def test_places_computed_from_a_vector_since_revised_are_not_written(store: Store) -> None:
    """A list remade or a backfill that read the essay before a revision committed: the revision placed it anew."""
    ids = await stored(store)
    essay_id = ids["lamp-room"]
    lamp, gull = await stem_id(store, "lamp"), await stem_id(store, "gull")
    before = (await store.term_vectors([essay_id]))[essay_id]
    held = await store.stem_document_counts(before.ids.tolist())
    stale = related._champions(before, held, len(POSTS))
    assert lamp in {stem for stem, _ in stale}
    revised = replace(POSTS[1], title="The Gallery", blocks=(Block("paragraph", "Gulls, gulls and more gulls."),))
    await store_essay(store, revised)

    await store.save_champions({essay_id: stale})  # written late, from the vector before the revision
    lists = await store.stem_champions([lamp, gull], guild_id=None, before=None, limit=10)
    assert essay_id not in {e for e, _ in lists[lamp]} and essay_id in {e for e, _ in lists[gull]}
    # Once the essay goes, nothing of it is left in any list.
    async with store.transaction() as db:
        await db.execute(f"DELETE FROM essays WHERE id = {essay_id}")
    lists = await store.stem_champions([lamp, gull], guild_id=None, before=None, limit=10)
    assert essay_id not in {e for rows in lists.values() for e, _ in rows}


async def test_essays_stored_before_the_lists_were_kept_are_placed_on_first_use(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await stored(store)
    lamp = await stem_id(store, "lamp")
    before = await store.stem_champions([lamp], guild_id=None, before=None, limit=10)
    # As a database from before the migration: lists, no places.
    async with store.transaction() as db:
        await db.execute("DELETE FROM stem_champions")
        if isinstance(store, SQLiteStore):
            await db.execute("UPDATE related_lists SET placed = 0")
    assert await store.essays_without_champions(after=0, limit=10) == sorted(ids.values())
    assert await store.essays_without_champions(after=sorted(ids.values())[2], limit=1) == [sorted(ids.values())[3]]

    monkeypatch.setattr(related, "_complete", type(related._complete)())
    await related.related_to_text(store, "the lamp", guild_id=GUILD)
    assert await store.essays_without_champions(after=0, limit=10) == []
    assert await store.stem_champions([lamp], guild_id=None, before=None, limit=10) == before


async def test_a_free_text_floor_is_the_lists_read_when_they_hold_as_many_posts_as_asked(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bench.commands' floor of a free-text /related is the query the lookup runs (bot/store/floors.py)."""
    ids = await stored(store)
    lamp = await stem_id(store, "lamp")
    lists = await store.stem_champions([lamp], guild_id=None, before=None, limit=9)
    listed = {essay_id for essay_id, _ in lists[lamp]}
    assert listed == set(ids.values())
    if isinstance(store, PostgresStore):
        connection = await asyncpg.connect(store.url)
        try:
            monkeypatch.setattr(postgres_floors, "RELATED_CANDIDATES", 3)
            found = await postgres_floors.champion_floor(connection, "lamps")
            assert found is not None and "stem_champions" in found[0]
            assert {row["essay_id"] for row in await connection.fetch(found[0], *found[1])} <= listed
            monkeypatch.setattr(postgres_floors, "RELATED_CANDIDATES", 6)  # more than the lists hold
            assert await postgres_floors.champion_floor(connection, "lamps") is None
        finally:
            await connection.close()
        return
    assert isinstance(store, SQLiteStore)
    with contextlib.closing(sqlite3.connect(store.path)) as connection:
        monkeypatch.setattr(sqlite_floors, "RELATED_CANDIDATES", 3)
        found = sqlite_floors.champion_floor(connection, "lamps")
        assert found is not None and "stem_champions" in found[0]
        assert {row[1] for row in connection.execute(found[0], found[1])} <= listed
        monkeypatch.setattr(sqlite_floors, "RELATED_CANDIDATES", 6)
        assert sqlite_floors.champion_floor(connection, "lamps") is None
