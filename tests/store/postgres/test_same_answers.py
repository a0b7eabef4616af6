"""Both backends give the same records for the same writes; shared test bodies run on both."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import tests.test_lookup as lookup_tests
from bot.essays.analysis import analyse
from bot.essays.model import Analysis, Block, Essay
from bot.store import SQLiteStore
from bot.store.postgres import PostgresStore
from bot.store.publishing import PlannedStep


@pytest.fixture
async def both(pg_url: str, tmp_path: Path) -> AsyncIterator[tuple[SQLiteStore, PostgresStore]]:
    """The two backends, each filled with the labelled essays as a followed feed's entries."""
    async with await SQLiteStore.open(tmp_path / "same.sqlite3") as sqlite, await PostgresStore.open(pg_url) as pg:
        for s in (sqlite, pg):
            await lookup_tests.fill(s)  # type: ignore[arg-type]
            await lookup_tests.add_threads(s, lookup_tests.COUNCIL, lookup_tests.THREADS)  # type: ignore[arg-type]
        yield sqlite, pg


async def test_essays_analyses_and_feeds_read_back_the_same(both: tuple[SQLiteStore, PostgresStore]) -> None:
    sqlite, pg = both
    ids = await sqlite.all_essay_ids()
    assert ids == await pg.all_essay_ids()
    assert ids
    for essay_id in ids:
        assert await sqlite.get_essay_by_id(essay_id) == await pg.get_essay_by_id(essay_id)
        assert await sqlite.load_analysis(essay_id) == await pg.load_analysis(essay_id)
        assert await sqlite.stored_terms(essay_id) == await pg.stored_terms(essay_id)
        assert await sqlite.neighbours(essay_id) == await pg.neighbours(essay_id)
    strip = ("added_at", "last_polled_at")
    sqlite_feeds = [{k: v for k, v in vars_of(f).items() if k not in strip} for f in await sqlite.list_feeds()]
    pg_feeds = [{k: v for k, v in vars_of(f).items() if k not in strip} for f in await pg.list_feeds()]
    assert sqlite_feeds == pg_feeds
    assert await sqlite.archive_span() == await pg.archive_span()
    assert await sqlite.scope_rows() == await pg.scope_rows()
    assert await sqlite.section_threads_of(ids) == await pg.section_threads_of(ids)
    assert await sqlite.essay_choices("", guild_id=lookup_tests.GUILD) == await pg.essay_choices(
        "", guild_id=lookup_tests.GUILD
    )


def vars_of(record: Any) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__slots__}


@pytest.mark.parametrize(
    ("change", "status", "revision"),
    [("nothing", "unchanged", 1), ("body", "revised", 2), ("title only", "revised", 2)],
)
async def test_saving_again_is_unchanged_or_a_new_revision(
    any_store: Any, change: str, status: str, revision: int
) -> None:
    first = Essay("k1", "A title", (Block("paragraph", "The harbour “never closes,” said Ada Lovelace."),))
    outcome = await any_store.save_essay(first, analyse(first))
    assert (outcome.status, outcome.revision) == ("new", 1)
    again = first
    if change == "body":
        again = Essay("k1", "A title", (Block("paragraph", "The harbour closed at 9 pm, 40% of nights."),))
    elif change == "title only":
        again = Essay("k1", "Another title", first.blocks)
    outcome = await any_store.save_essay(again, analyse(again))
    assert (outcome.status, outcome.revision) == (status, revision)
    stored = await any_store.get_essay("k1")
    assert stored.essay == again
    assert await any_store.load_analysis(stored.id) == analyse(again).__class__(
        sections=analyse(again).sections,
        quotes=analyse(again).quotes,
        figures=analyse(again).figures,
        references=analyse(again).references,
    )
    # The search finds the new text only.
    found = await any_store.search_figures("nights", guild_id=None)
    assert bool(found) is (change == "body")


async def test_a_publication_runs_its_steps_once_on_either_backend(any_store: Any) -> None:
    essay = Essay("k1", "A title", (Block("paragraph", "Some text."),), published=datetime(2025, 5, 1, tzinfo=UTC))
    saved = await any_store.save_essay(essay, Analysis())
    destination = await any_store.set_destination(guild_id=5, channel_id=6, kind="forum", forum_tags=[11, 12])
    assert destination.forum_tags == (11, 12)
    publication = await any_store.queue_publication(saved.essay_id, destination.id, 1)
    assert publication is not None
    assert await any_store.queue_publication(saved.essay_id, destination.id, 1) is None
    steps = [PlannedStep(1, "forum_post", 1, None, "n1"), PlannedStep(2, "forum_links", None, None, "n2")]
    first = await any_store.ensure_steps(publication, steps)
    again = await any_store.ensure_steps(publication, [PlannedStep(1, "forum_post", 1, None, "other")])
    assert [s.nonce for s in again] == [s.nonce for s in first] == ["n1", "n2"]
    await any_store.mark_step_attempted(publication, 1)
    [attempted, _] = await any_store.get_steps(publication)
    assert attempted.state == "attempted" and attempted.attempted_at is not None
    assert attempted.attempted_at > datetime.now(UTC) - timedelta(minutes=1)
    await any_store.mark_step_done(publication, 1, channel_id=6, message_id=None, thread_id=77)
    assert [(p.id, d.id) for p, d in await any_store.publishable()] == [(publication, destination.id)]
    await any_store.finish_publication(publication, snapshot='{"sections": []}')
    assert await any_store.publishable() == []
    assert await any_store.publication_snapshot(publication) == '{"sections": []}'
    assert await any_store.publication_counts(guild_id=5) == {"pending": 0, "done": 1, "stopped": 0}
    thread = await any_store.thread_section(77)
    assert (thread.essay_id, thread.section, thread.guild_id) == (saved.essay_id, 1, 5)


@pytest.mark.parametrize(
    ("feed_paused", "follows", "paused"),
    [
        (False, [False], False),
        (True, [False], True),
        (False, [True], True),
        (False, [True, False], False),
        (False, [], False),
    ],
)
async def test_a_feed_is_paused_for_everyone_only_when_every_follow_is(
    any_store: Any, feed_paused: bool, follows: list[bool], paused: bool
) -> None:
    feed = await any_store.add_feed("https://blog.example/feed")
    for guild, follow_paused in enumerate(follows, start=1):
        await any_store.add_feed(feed.url, guild_id=guild)
        await any_store.set_feed_paused(feed.id, follow_paused, guild_id=guild)
    await any_store.set_feed_paused(feed.id, feed_paused)
    stored = await any_store.get_feed(feed.id)
    assert stored.paused is paused
