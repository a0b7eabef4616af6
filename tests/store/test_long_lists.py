"""Reads given hundreds of ids or awkward text at once, on both backends (SQLite binds each list as one value)."""

from __future__ import annotations

import pytest

from bot.essays.model import Analysis, Block, Essay, Quote, Section
from bot.store import Store

GUILD = 7
MANY = 520  # past the 500 a statement's list was once cut into


@pytest.fixture
def store(backend_store: Store) -> Store:
    return backend_store


async def test_every_one_of_many_ids_is_read_in_one_go(store: Store) -> None:
    feed = await store.add_feed("https://many.example/feed", guild_id=GUILD)
    ids: list[int] = []
    for n in range(MANY):
        blocks = (Block("paragraph", f"Note {n} on the harbour."),)
        essay = Essay(f"note-{n}", f"Note {n}", blocks, labels=("harbour",))
        outcome = await store.save_essay(essay, Analysis(sections=[Section(1, "One", blocks, 0, 1)]), feed_id=feed.id)
        await store.mark_seen(feed.id, essay.key, outcome.essay_id)
        ids.append(outcome.essay_id)
    wanted = [*ids, 10**9]  # one id no essay has
    assert set(await store.briefs(wanted, guild_id=GUILD)) == set(ids)
    assert set(await store.briefs(wanted, guild_id=GUILD + 1)) == set()
    assert set(await store.term_vectors(wanted)) == set(ids)
    assert {essay_id for essay_id, _ in await store.section_titles(wanted)} == set(ids)
    assert await store.visible_ids(wanted, guild_id=GUILD, before=None) == set(ids)
    assert set(await store.shared_labels(wanted, ["Harbour"])) == set(ids)


async def test_names_with_quotes_accents_and_symbols_are_matched_exactly(store: Store) -> None:
    names = ["O'Brien", 'Ana "the Elder" Ruiz', "Zoë Ångström", "李 白", "🦉 Owl, Esq."]
    blocks = (Block("paragraph", "Words they said."),)
    quotes = [Quote(f"Said by {name}, in so many words", "direct", 1, name) for name in names]
    keys = ["it's-a-key", 'a "quoted" key', "ключ"]
    saved = []
    for key in keys:
        analysis = Analysis(sections=[Section(1, "One", blocks, 0, 1)], quotes=quotes)
        saved.append((await store.save_essay(Essay(key, key.title(), blocks, labels=("Ünïcode",)), analysis)).essay_id)
    shared = await store.shared_speakers(saved, [*names, "O`Brien", "Zoe Angstrom"])
    assert {essay_id: sorted(found) for essay_id, found in shared.items()} == {e: sorted(names) for e in saved}
    assert set(await store.briefs_by_key([*keys, "it''s-a-key"], guild_id=None)) == set(keys)
    assert await store.label_counts(["ünïcode", "unicode"]) == {"ünïcode": 3}
    found = await store.label_neighbours({"ünïcode": 1.0}, guild_id=None, before=None, exclude_id=saved[0], limit=5)
    assert sorted(found) == sorted(saved[1:])
