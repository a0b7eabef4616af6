"""Migration 0007 on a database of the previous version: the server scope's table filled from its rule."""

from __future__ import annotations

import pytest

from bot.essays.model import Analysis, Block, Essay
from bot.store.postgres import PostgresStore
from bot.store.postgres.migrate import bundled_migrations
from tests.store.postgres.versions import open_before


def essay(key: str) -> Essay:
    return Essay(key, f"Essay {key}", (Block("paragraph", f"The text of essay {key} about harbours."),))


async def test_a_database_of_the_previous_version_gets_its_scope_table(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        open_before(patch, "_server_scope_table.sql")
        async with await PostgresStore.open(pg_url, worker="t") as old:
            followed = await old.add_feed("https://one.example/feed", guild_id=11)
            other = await old.add_feed("https://two.example/feed", guild_id=12)
            ids = {}
            for n, feed_id in enumerate([followed.id, followed.id, other.id, None]):
                ids[n] = (await old.save_essay(essay(f"e{n}"), Analysis(), feed_id=feed_id)).essay_id
            await old.mark_seen(other.id, "entry-1", ids[0])  # e0 is also an entry of the other feed
            destination = await old.set_destination(guild_id=13, channel_id=1, kind="text")
            await old.queue_publication(ids[3], destination.id, 1)
            assert await old._value("SELECT to_regclass('guild_essays') IS NULL")

    async with await PostgresStore.open(pg_url, worker="t") as store:
        assert await store._value("SELECT max(version) FROM schema_migrations") == bundled_migrations()[-1].version
        kept = await store.scope_rows()
        assert kept == await store.scope_rows(derived=True)
        assert kept == {(11, ids[0]), (11, ids[1]), (12, ids[0]), (12, ids[2]), (13, ids[3])}
        # And kept so afterwards: an unfollow takes away what only that feed gave.
        await store.remove_feed(other.id, guild_id=12)
        assert (
            await store.scope_rows()
            == await store.scope_rows(derived=True)
            == {
                (11, ids[0]),
                (11, ids[1]),
                (13, ids[3]),
            }
        )


async def test_a_server_following_a_feed_with_essays_has_its_scope_analyzed(pg_store: PostgresStore) -> None:
    """The planner counts a server's essays from the scope table's statistics: a follow updates them at once."""
    feed = await pg_store.add_feed("https://one.example/feed")
    for n in range(30):
        await pg_store.save_essay(essay(f"e{n}"), Analysis(), feed_id=feed.id)
    analyzed = "SELECT coalesce(last_analyze, last_autoanalyze) FROM pg_stat_user_tables WHERE relname = 'guild_essays'"
    before = await pg_store._value(analyzed)
    await pg_store.add_feed("https://one.example/feed", guild_id=21)
    assert await pg_store._value(analyzed) != before
    assert await pg_store._value("SELECT reltuples FROM pg_class WHERE relname = 'guild_essays'") == 30
    # Following again, or a feed with no essays yet, changes no row: nothing to analyze.
    again = await pg_store._value(analyzed)
    await pg_store.add_feed("https://one.example/feed", guild_id=21)
    await pg_store.add_feed("https://empty.example/feed", guild_id=21)
    assert await pg_store._value(analyzed) == again
