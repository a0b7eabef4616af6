"""``unresolved_references_near``: the references still waiting for the post a newly stored essay may be."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.essays.model import Analysis, Block, Essay, Reference, Section
from bot.store import Store

BODY = (Block("paragraph", "A short note on the ferry timetable and the winter crossings."),)


async def save(store: Store, key: str, day: str, references: list[Reference], *, url: str | None = None) -> int:
    essay = Essay(key, f"Essay {key}", BODY, url=url, published=datetime.fromisoformat(day).replace(tzinfo=UTC))
    analysis = Analysis(sections=[Section(1, "One", BODY, 0, 1)], references=references)
    return (await store.save_essay(essay, analysis)).essay_id


async def test_waiting_references_are_found_by_url_or_by_date_near_the_new_post(backend_store: Store) -> None:
    store = backend_store
    await save(
        store,
        "referrer",
        "2024-03-01",
        [
            Reference("as I wrote here", 1, url="https://blog.example/crossings"),
            Reference("my post of 20 February", 1, date=date(2024, 2, 20)),
            Reference("the piece of last summer", 1, date=date(2023, 7, 1)),
            Reference("a post already found", 1, date=date(2024, 2, 21), resolved_key="elsewhere"),
        ],
    )
    # The essay's own references never wait for itself.
    target = await save(
        store,
        "target",
        "2024-02-22",
        [Reference("my own note of 21 February", 1, date=date(2024, 2, 21))],
        url="https://blog.example/crossings",
    )

    waiting = await store.unresolved_references_near(target)

    assert list(waiting) == ["referrer"]
    # The URL matches exactly; the date lies inside the ten days around the target's; a resolved one is done.
    assert sorted(ref.text for _, ref in waiting["referrer"]) == ["as I wrote here", "my post of 20 February"]


async def test_a_reference_matching_by_url_and_by_date_is_listed_once(backend_store: Store) -> None:
    store = backend_store
    await save(
        store,
        "referrer",
        "2024-03-01",
        [Reference("my post of 20 February", 1, date=date(2024, 2, 20), url="https://blog.example/crossings")],
    )
    target = await save(store, "target", "2024-02-22", [], url="https://blog.example/crossings")

    waiting = await store.unresolved_references_near(target)

    assert [ref.text for _, ref in waiting["referrer"]] == ["my post of 20 February"]


async def test_a_post_without_url_or_date_answers_no_waiting_reference(backend_store: Store) -> None:
    store = backend_store
    await save(store, "referrer", "2024-03-01", [Reference("that earlier post", 1), Reference("my note", 1)])
    undated = Essay("undated", "An undated note", BODY)
    target = (await store.save_essay(undated, Analysis(sections=[Section(1, "One", BODY, 0, 1)]))).essay_id

    assert await store.unresolved_references_near(target) == {}
