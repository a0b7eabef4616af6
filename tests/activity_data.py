"""Posted essays with section threads, written straight into a store, for the activity and digest tests.

The text is original, written for these tests. Thread and message ids are made up; the store only
keeps them, so no Discord is needed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.essays.model import Analysis, Block, Essay, Section
from bot.store import PlannedStep, SQLiteStore, Store

_ids = itertools.count(900_000_000_000_000_000)


def next_id() -> int:
    return next(_ids)


@dataclass(frozen=True)
class Posted:
    essay_id: int
    key: str
    card_id: int
    threads: dict[int, int]  # section -> thread id


def essay_with_sections(
    key: str, title: str, section_titles: list[str], *, published: datetime
) -> tuple[Essay, Analysis]:
    blocks: list[Block] = []
    sections: list[Section] = []
    for index, heading in enumerate(section_titles, start=1):
        start = len(blocks)
        blocks.append(Block("heading", heading))
        blocks.append(Block("paragraph", f"The argument of part {index} of {title}, in a few plain words."))
        sections.append(Section(index, heading, tuple(blocks[start:]), start, len(blocks), from_heading=True))
    essay = Essay(key, title, tuple(blocks), url=f"https://blog.example/{key}", published=published)
    return essay, Analysis(sections=sections)


async def post_essay(
    store: Store,
    key: str,
    title: str,
    section_titles: list[str],
    *,
    guild_id: int,
    channel_id: int,
    feed_id: int | None = None,
    published: datetime | None = None,
) -> Posted:
    """Store an essay and record it as posted in a text channel: a card, then a thread per section."""
    essay, analysis = essay_with_sections(
        key, title, section_titles, published=published or datetime(2025, 3, 1, 9, tzinfo=UTC)
    )
    outcome = await store.save_essay(essay, analysis, feed_id=feed_id)
    destination = await store.get_destination_for_channel(guild_id, channel_id) or await store.set_destination(
        guild_id=guild_id, channel_id=channel_id, kind="text"
    )
    publication = await store.queue_publication(outcome.essay_id, destination.id, outcome.revision)
    assert publication is not None
    steps = [PlannedStep(0, "card", None, None, f"card-{key}")]
    steps += [PlannedStep(i, "thread", i, None, f"t-{key}-{i}") for i in range(1, len(section_titles) + 1)]
    await store.ensure_steps(publication, steps)
    card = next_id()
    await store.mark_step_done(publication, 0, channel_id=channel_id, message_id=card)
    threads: dict[int, int] = {}
    for index in range(1, len(section_titles) + 1):
        threads[index] = next_id()
        await store.mark_step_done(
            publication, index, channel_id=channel_id, message_id=threads[index], thread_id=threads[index]
        )
    await store.finish_publication(publication)
    return Posted(outcome.essay_id, key, card, threads)


async def write(store: Store, thread_id: int, author_id: int, at: datetime | None = None) -> int:
    """A member's message in a thread, as the publisher's listener records it; its id."""
    message_id = next_id()
    await store.record_thread_message(message_id, thread_id, author_id, at or datetime.now(UTC))
    return message_id


async def queue_backfill(store: Store, thread_id: int) -> None:
    """Queue a thread's history to be read, as the migration that began per-message counting did.

    Only that migration writes these rows, so the Store protocol has no method for it: the test writes
    the row itself, in the backend's own SQL.
    """
    if isinstance(store, SQLiteStore):
        await store.connection.execute("INSERT INTO thread_backfill(thread_id) VALUES (?)", (thread_id,))
        return
    from bot.store.postgres import PostgresStore

    assert isinstance(store, PostgresStore)
    async with store.transaction() as db:
        await db.execute("INSERT INTO thread_backfill(thread_id) VALUES ($1)", thread_id)
