"""Related-post ranking on a small archive of original essays, stored through the intake."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot import related
from bot.essays.model import Block, Essay
from bot.essays.terms import HEADING_WEIGHT, TITLE_WEIGHT, essay_terms, tf_weight
from bot.essays.text import stem
from bot.intake import store_essay
from bot.related import RelatedPost, related_to_essay, related_to_text
from bot.store import EssayRow, RelatedVector, Store, open_store
from bot.store.budget import rarest_within
from bot.store.vectors import PLACE_SCALE

BLOG = "https://harbour-notes.example/"
ONE, TWO = 101, 202  # two Discord servers


def essay(slug: str, title: str, day: str, labels: tuple[str, ...], *paragraphs: str) -> Essay:
    return Essay(
        key=f"{BLOG}{slug}.html",
        title=title,
        blocks=tuple(Block("paragraph", p) for p in paragraphs),
        url=f"{BLOG}{slug}.html",
        author="Nell Ashdown",
        published=datetime.fromisoformat(day).replace(tzinfo=UTC),
        labels=labels,
    )


FERRY = essay(
    "ferry-timetable",
    "The Ferry Timetable",
    "2024-03-09",
    ("ferries", "island life"),
    "The winter ferry timetable arrived with two sailings fewer, and nobody on the island was asked. "
    "The crossing to the mainland now leaves at dawn and returns after dark, which suits the operator "
    "and nobody else.",
    "A ferry is not a luxury for islanders; it is the road to the hospital, the school and the shop. "
    "Cutting a sailing is closing a road, and the operator should be made to say so plainly.",
)
PIER = essay(
    "pier-repairs",
    "Who Pays for the Pier",
    "2024-04-02",
    ("ferries", "public money", "island life"),
    "The pier where the ferry ties up needs repairs the council has postponed three winters running. "
    "Every postponement makes the ferry crossing a little less certain in a storm.",
    "The ferry operator says the pier is the council's problem; the council says the crossing is the "
    "operator's. Islanders waiting on the pier in the rain do not care whose ledger it sits in.",
)
SOURDOUGH = essay(
    "sourdough",
    "A Season of Sourdough",
    "2024-04-20",
    ("island life",),
    "My starter survived the winter in a jar beside the stove, fed on rye flour and neglect. "
    "The loaves it makes are sour, dense and better than anything the shop sells.",
    "Baking is slow on purpose: the dough rises overnight, the oven heats for an hour, and the crust "
    "cracks as it cools on the rack by the window.",
)
HARBOUR_DUES = essay(
    "harbour-dues",
    "Harbour Dues and Fishing Boats",
    "2024-05-14",
    ("harbour", "public money", "island life"),
    "The harbour board raised mooring dues for the fishing boats again this spring, by a fifth. "
    "Skippers say the boats now earn less than the dues, the fuel and the nets cost together.",
    "I made a related point in my March 9th The Ferry Timetable blog: decisions about the island's "
    "lifelines are taken on the mainland by boards that never wait on a wet quay.",
)
LATER_FERRY = essay(
    "ferry-again",
    "The Ferry Timetable, Again",
    "2024-09-30",
    ("ferries", "island life"),
    "The summer ferry timetable restored one sailing and the operator called it generosity. "
    "The dawn crossing to the mainland still leaves before the first bus, and the evening ferry "
    "still returns after dark.",
    "A ferry timetable written for the operator's convenience is still a closed road for islanders, "
    "however many sailings it adds back in August.",
)

# Posts on other things, so that BM25 sees the ferry words as the rare words they are.
FILLER = (
    essay(
        "logbook",
        "The Lighthouse Keeper's Logbook",
        "2024-01-15",
        ("history",),
        "The last keeper of the north light wrote in his logbook every evening for thirty-one years: "
        "the lamp lit, the wick trimmed, the glass cleaned of salt.",
        "Storm entries are the longest. He describes the tower shaking and the lamp holding, and then, "
        "the next morning, a single line about breakfast.",
    ),
    essay(
        "seabirds",
        "Counting Seabirds on the Cliffs",
        "2024-02-02",
        ("nature", "island life"),
        "Each June volunteers count the puffins, razorbills and kittiwakes nesting on the western cliffs. "
        "The survey takes a week of crouching in heather with binoculars and a tally counter.",
        "Kittiwake numbers have halved in a decade; the puffin burrows are holding steady, for now.",
    ),
    essay(
        "school-bus",
        "The School Bus That Waits",
        "2024-02-20",
        ("schools",),
        "The school bus driver waits at the crossroads for the children from the far farms, whatever "
        "the timetable on the depot wall says.",
        "Pupils arrive at lessons muddy and on time, which the inspectors count as a minor miracle.",
    ),
    essay(
        "phone-box-library",
        "A Library in a Phone Box",
        "2024-06-01",
        ("books", "island life"),
        "The red phone box by the chapel has shelves now instead of a telephone. People leave paperbacks "
        "and borrow others, and nobody keeps a ledger of loans.",
        "Crime novels go fastest; poetry lingers for months on the bottom shelf.",
    ),
    essay(
        "turbines",
        "Wind Turbines on the Hill",
        "2024-07-11",
        ("energy",),
        "The community turbines on the hill turn most days of the year, and the electricity they sell to the "
        "grid pays for the village hall's heating.",
        "The blades were argued over for three years; now children draw them in every picture of home.",
    ),
    essay(
        "rain-gauge",
        "Rain Gauges and Long Memories",
        "2024-08-08",
        ("nature", "island life"),
        "My neighbour has emptied the same brass rain gauge at nine every morning since 1979, and her "
        "notebooks of rainfall are better than the official weather records.",
        "She says the wet years come in threes; the notebooks mostly agree with her.",
    ),
)

FERRIES = {FERRY.key, PIER.key, LATER_FERRY.key}
ARCHIVE = tuple(sorted((FERRY, PIER, SOURDOUGH, HARBOUR_DUES, LATER_FERRY, *FILLER), key=lambda e: e.published or 0))


@pytest.fixture
async def store(backend_store: Store) -> Store:
    """The related posts' archive, on SQLite and on PostgreSQL (``backend_store``, tests/conftest.py)."""
    # In date order, as a blog is ingested, so references resolve to earlier posts.
    for item in ARCHIVE:
        await store_essay(backend_store, item)
    return backend_store


async def row(store: Store, item: Essay) -> EssayRow:
    found = await store.get_essay(item.key)
    assert found is not None
    return found


def keys(results: list[RelatedPost]) -> list[str]:
    return [r.key for r in results]


def record_text_queries(monkeypatch: pytest.MonkeyPatch, store: Store) -> list[tuple[list[str], int | None]]:
    """The (words, window) of each text query the store is asked from now on."""
    asked: list[tuple[list[str], int | None]] = []
    text_neighbours = store.text_neighbours

    async def recorded(words: list[str], **options: Any) -> Any:
        asked.append((words, options.get("window")))
        return await text_neighbours(words, **options)

    monkeypatch.setattr(store, "text_neighbours", recorded)
    return asked


async def test_an_explicit_reference_ranks_first(store: Store) -> None:
    results = await related_to_essay(store, await row(store, HARBOUR_DUES), guild_id=None)

    assert results[0].key == FERRY.key
    assert results[0].referenced
    assert results[0].reasons[0].startswith("referenced in §1: “I made a related point in my March 9th")


async def test_shared_labels_are_given_as_a_reason(store: Store) -> None:
    results = await related_to_essay(store, await row(store, PIER), guild_id=None)

    assert keys(results) == [FERRY.key]
    assert "shares labels: ferries, island life" in results[0].reasons
    assert not results[0].referenced


async def test_similar_wording_names_words_both_posts_use(store: Store) -> None:
    results = await related_to_essay(store, await row(store, LATER_FERRY), guild_id=None)

    assert keys(results)[0] == FERRY.key
    wording = next(r for r in results[0].reasons if r.startswith("both discuss "))
    named = wording.removeprefix("both discuss ").replace(" and ", ", ").split(", ")
    assert "ferry" in named and "timetable" in named
    # Every word named is really in both posts.
    assert all(word in FERRY.body_text.lower() and word in LATER_FERRY.body_text.lower() for word in named)


async def test_a_label_on_most_posts_is_no_reason_alone(store: Store) -> None:
    # "island life" is on 7 of the 11 posts, and the sourdough essay shares nothing else.
    results = await related_to_essay(store, await row(store, SOURDOUGH), guild_id=None, any_time=True)
    assert results == []


async def test_weakly_related_posts_stay_below_the_threshold(store: Store) -> None:
    # The sourdough essay shares only "island life", a label on most posts, and a word or two.
    results = await related_to_essay(store, await row(store, PIER), guild_id=None, any_time=True)
    assert SOURDOUGH.key not in keys(results)
    # The threshold is not simply keeping everything out: both ferry posts stand out.
    assert {FERRY.key, LATER_FERRY.key} <= set(keys(results))


async def test_later_posts_are_left_out_unless_any_time(store: Store) -> None:
    target = await row(store, FERRY)

    assert await related_to_essay(store, target, guild_id=None) == []
    any_time = await related_to_essay(store, target, guild_id=None, any_time=True)
    assert keys(any_time)[0] == LATER_FERRY.key
    assert PIER.key in keys(any_time)
    assert FERRY.key not in keys(any_time)


async def test_limit_caps_the_results(store: Store) -> None:
    results = await related_to_essay(store, await row(store, LATER_FERRY), guild_id=None, limit=1)
    assert keys(results) == [FERRY.key]


async def test_free_text_finds_the_essay_about_it(store: Store) -> None:
    results = await related_to_text(store, "mooring dues for fishing boats", guild_id=None)

    assert keys(results)[0] == HARBOUR_DUES.key
    assert any(r.startswith("both discuss ") and "dues" in r for r in results[0].reasons)


async def test_a_query_whose_every_word_is_over_the_budget_asks_its_rarest_word(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As in a large archive, where each word of a short query is on thousands of posts.
    monkeypatch.setattr(related, "POSTING_BUDGET", 0)
    asked = record_text_queries(monkeypatch, store)
    results = await related_to_text(store, "mooring dues for fishing boats", guild_id=None)
    # One word, the rarest (several are on one post only), ranked among its newest matches only.
    assert [(len(words), window) for words, window in asked] == [(1, related.CANDIDATES)]
    assert keys(results)[0] == HARBOUR_DUES.key


async def test_free_text_reads_the_champion_lists_and_ranks_postings_only_for_words_they_hold_too_few_of(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = record_text_queries(monkeypatch, store)
    # As in a large archive, where each word's list holds as many posts as a query scores.
    monkeypatch.setattr(related, "CANDIDATES", 2)
    results = await related_to_text(store, "the ferry crossing", guild_id=None, limit=2)
    assert asked == [] and keys(results)[0] in FERRIES
    # Words of one post only: their lists hold one post, fewer than asked, so their postings are ranked.
    results = await related_to_text(store, "rye starter", guild_id=None, limit=2)
    assert asked and keys(results)[0] == SOURDOUGH.key

    # Lists shorter than a query scores: the postings are ranked when they can be ranked whole...
    monkeypatch.setattr(related, "CANDIDATES", 40)
    asked.clear()
    await related_to_text(store, "ferry", guild_id=None, limit=1)
    assert [words for words, _ in asked] == [["ferry"]]
    # ...not when the word is over the posting budget (a word on most posts), if the lists hold the answer's size.
    monkeypatch.setattr(related, "POSTING_BUDGET", 0)
    asked.clear()
    results = await related_to_text(store, "ferry", guild_id=None, limit=1)
    assert asked == [] and keys(results)[0] in FERRIES


async def test_free_text_matches_a_multi_word_label(store: Store) -> None:
    results = await related_to_text(store, "anything about public money?", guild_id=None)

    assert sorted(keys(results)) == sorted([PIER.key, HARBOUR_DUES.key])
    assert all("shares labels: public money" in r.reasons for r in results)


async def test_free_text_respects_before(store: Store) -> None:
    before = datetime(2024, 4, 1, tzinfo=UTC)
    results = await related_to_text(store, "ferry timetable sailings", guild_id=None, before=before)
    # The school bus post only mentions a timetable: found, but after the ferry post.
    assert keys(results)[0] == FERRY.key
    assert all(r.published is not None and r.published < before.date() for r in results)


@pytest.mark.parametrize(
    "query",
    [
        'ferry NEAR(timetable pier) OR "unclosed AND -* ^col:',
        '"""',
        "ferry) OR (",
        "{title}: ferry*",
        "ferry " * 1500,  # 9,000 characters
        "x" * 6000,
        "🙂 — “” ‘’ …",
        "",
    ],
)
async def test_free_text_with_fts_syntax_or_great_length_does_not_crash(store: Store, query: str) -> None:
    results = await related_to_text(store, query, guild_id=None)
    assert isinstance(results, list)
    if query.startswith("ferry"):
        # The posts about ferries come first; others that only mention one may follow.
        assert keys(results)[: len(FERRIES)] and set(keys(results)[:2]) <= FERRIES


async def test_an_empty_archive_gives_nothing(tmp_path: Path) -> None:
    async with await open_store(tmp_path / "empty.sqlite3") as empty:
        assert await related_to_text(empty, "ferry timetable", guild_id=None) == []


def test_essay_terms_weigh_title_and_headings_group_inflections_and_skip_urls() -> None:
    blocks = (
        Block("heading", "Rents"),
        Block("paragraph", "Tenants and the tenant union met. Rent rose. See https://www.example.com/rent-rises.html."),
    )
    terms = essay_terms("Zoning", blocks)

    assert terms.counts[stem("zoning")] == TITLE_WEIGHT
    assert terms.counts[stem("rent")] == HEADING_WEIGHT + 1
    assert terms.counts[stem("tenant")] == 2
    assert terms.forms[stem("tenant")] == "tenant"
    assert not {"https", "www", "example", "com", "html"} & set(terms.forms.values())


async def test_terms_and_document_counts_are_kept_at_ingest_and_on_revision(store: Store) -> None:
    ferry_stem = stem("ferry")
    before = (await store.term_statistics([ferry_stem]))[ferry_stem].essays
    assert before == 4  # the three ferry posts, and the harbour dues post that names one

    await store_essay(store, replace(SOURDOUGH, blocks=(*SOURDOUGH.blocks, Block("paragraph", "I took the ferry."))))
    assert (await store.term_statistics([ferry_stem]))[ferry_stem].essays == before + 1
    await store_essay(store, SOURDOUGH)
    assert (await store.term_statistics([ferry_stem]))[ferry_stem].essays == before


async def test_essays_stored_before_terms_were_kept_get_them_on_first_use(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    async with await open_store(path) as old:
        for item in ARCHIVE:
            await store_essay(old, item)
        # As a database from before migration 0008 looks once migrated: no terms for its essays.
        await old.connection.execute("DELETE FROM related_terms")
    async with await open_store(path) as reopened:
        assert await reopened.term_statistics([stem("ferry")]) == {}
        results = await related_to_essay(reopened, await row(reopened, LATER_FERRY), guild_id=None)
        assert keys(results)[0] == FERRY.key
        assert await reopened.essays_without_terms(limit=10) == []


# An archive where every post has five others on its subject: six posts on each of five subjects,
# each post using a few of its subject's words among words every post uses.
SUBJECTS = {
    "orchards": "apple pear orchard grafting blossom pruning cider rootstock",
    "choirs": "choir soprano rehearsal anthem conductor harmony alto hymn",
    "bridges": "bridge girder span rivet truss abutment suspension cable",
    "kites": "kite string tail gust spool flying ridge breeze",
    "bakeries": "flour oven loaf yeast crust dough bakery rye",
}
COMMON = "week people morning town year place talk time plan news"


def record_champion_reads(monkeypatch: pytest.MonkeyPatch, store: Store) -> list[list[int]]:
    """The stem ids of each champion-list read the store is asked from now on."""
    listed: list[list[int]] = []
    stem_champions = store.stem_champions

    async def recorded(stem_ids: list[int], **options: Any) -> Any:
        listed.append(stem_ids)
        return await stem_champions(stem_ids, **options)

    monkeypatch.setattr(store, "stem_champions", recorded)
    return listed


async def no_lists(*args: Any, **options: Any) -> int:
    """A stand-in for ``_add_champion_candidates`` whose lists hold fewer posts than asked: none."""
    return 0


def subject_archive() -> list[Essay]:
    posts: list[Essay] = []
    for number, (subject, vocabulary) in enumerate(SUBJECTS.items()):
        subject_words = vocabulary.split()
        for i in range(6):
            chosen = [subject_words[(i + j) % len(subject_words)] for j in range(5)]
            text = f"This {COMMON.split()[i]} I wrote about the {chosen[0]} and the {chosen[1]}. " + " ".join(
                f"The {word} mattered, as the {COMMON.split()[(i + k) % 10]} showed." for k, word in enumerate(chosen)
            )
            day = f"2023-{number + 1:02d}-{i + 1:02d}"
            posts.append(essay(f"{subject}-{i}", f"Notes on {subject}, part {i + 1}", day, (), text))
    return posts


async def test_every_post_of_an_archive_with_related_posts_gets_five(tmp_path: Path) -> None:
    posts = subject_archive()
    async with await open_store(tmp_path / "subjects.sqlite3") as subjects:
        for item in posts:
            await store_essay(subjects, item)
        for item in posts:
            results = await related_to_essay(subjects, await row(subjects, item), guild_id=None, any_time=True)
            subject = item.key.removeprefix(BLOG).split("-")[0]
            assert [r.key.removeprefix(BLOG).split("-")[0] for r in results] == [subject] * 5, item.title
            assert all(r.reasons and r.reasons[-1].startswith("both discuss ") for r in results)


# Neighbourhoods need an archive many times the length of a list; the subject archive has 30 posts, so
# these tests keep lists of four (each subject has five other posts), at most a fifth of the archive.
@pytest.fixture
def short_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(related, "NEIGHBOURS", 4)
    monkeypatch.setattr(related, "NEIGHBOUR_SHARE", 0.2)


def subject_of(key: str) -> str:
    return key.removeprefix(BLOG).split("-")[0]


async def stored_subjects(store: Store) -> dict[int, str]:
    return {
        essay_id: subject_of(brief.key)
        for essay_id, brief in (await store.briefs(await store.all_essay_ids(), guild_id=None)).items()
    }


@pytest.mark.usefixtures("short_lists")
async def test_each_post_keeps_its_nearest_posts_and_later_posts_join_earlier_lists(tmp_path: Path) -> None:
    posts = subject_archive()
    async with await open_store(tmp_path / "subjects.sqlite3") as subjects:
        for item in posts:  # in date order: each subject's first post is stored before the rest of it
            await store_essay(subjects, item)
        of = await stored_subjects(subjects)
        for essay_id, subject in of.items():
            neighbours = await subjects.neighbours(essay_id)
            assert len(neighbours) == 4
            assert {of[n] for n in neighbours} == {subject}
        # The first post of a subject was stored before any other post of it: its list came from later posts.
        first = (await row(subjects, posts[0])).id
        assert all(n > first for n in await subjects.neighbours(first))
        # Lists made on the first few posts were made again as the archive doubled.
        assert await subjects.stale_neighbour_lists(archive=len(posts), below=20, limit=100) == []


@pytest.mark.usefixtures("short_lists")
async def test_posts_near_the_same_posts_name_them_as_a_reason(tmp_path: Path) -> None:
    posts = subject_archive()
    async with await open_store(tmp_path / "subjects.sqlite3") as subjects:
        for item in posts:
            await store_essay(subjects, item)
        titles = {item.title: subject_of(item.key) for item in posts}
        for item in posts:
            results = await related_to_essay(subjects, await row(subjects, item), guild_id=None, any_time=True)
            near = [reason for result in results for reason in result.reasons if reason.startswith("both close to ")]
            assert near, item.title
            for reason in near:
                named = re.findall(r"“([^”]*)”", reason)
                assert named and {titles[name] for name in named} == {subject_of(item.key)}
                assert item.title not in reason


@pytest.mark.usefixtures("short_lists")
async def test_a_server_is_never_shown_a_neighbour_it_cannot_see(tmp_path: Path) -> None:
    posts = subject_archive()
    async with await open_store(tmp_path / "subjects.sqlite3") as subjects:
        mine = await subjects.add_feed("https://mine.example/feed", guild_id=ONE)
        theirs = await subjects.add_feed("https://theirs.example/feed", guild_id=TWO)
        for number, item in enumerate(posts):
            feed = mine if number % 2 else theirs
            outcome = await store_essay(subjects, item, feed_id=feed.id)
            await subjects.mark_seen(feed.id, item.key, outcome.essay_id)
        seen = {item.key for number, item in enumerate(posts) if number % 2}
        titles = {item.title for item in posts if item.key in seen}
        named: set[str] = set()
        for item in posts:
            if item.key not in seen:
                continue
            results = await related_to_essay(subjects, await row(subjects, item), guild_id=ONE, any_time=True)
            assert {r.key for r in results} <= seen - {item.key}
            near = [reason for r in results for reason in r.reasons if reason.startswith("both close to ")]
            named.update(name for reason in near for name in re.findall(r"“([^”]*)”", reason))
        # Shared neighbours are named, and only those the server sees (the other server's posts are near too).
        assert named and named <= titles


@pytest.mark.usefixtures("short_lists")
@pytest.mark.parametrize(("limit", "topped_up"), [(4, False), (5, False), (6, True)])
async def test_the_stored_neighbourhood_answers_unless_it_holds_fewer_posts_than_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int, topped_up: bool
) -> None:
    posts = subject_archive()
    async with await open_store(tmp_path / "subjects.sqlite3") as subjects:
        for item in posts:
            await store_essay(subjects, item)
        asked = record_text_queries(monkeypatch, subjects)
        listed = record_champion_reads(monkeypatch, subjects)
        target = posts[7]
        results = await related_to_essay(
            subjects, await row(subjects, target), guild_id=None, limit=limit, any_time=True
        )
        # Topped up from the champion lists of the essay's stems, which hold enough: no text query.
        assert bool(listed) is topped_up and asked == []
        assert all(r.key != target.key for r in results)
        # Lists of four, and the fifth post of the subject lists the same posts: five from the neighbourhood.
        subjects_found = [subject_of(r.key) for r in results]
        assert subjects_found[:5] == [subject_of(target.key)] * min(limit, 5)


@pytest.mark.usefixtures("short_lists")
async def test_an_early_essay_scores_every_post_before_it_instead_of_reading_the_lists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    posts = subject_archive()
    async with await open_store(tmp_path / "subjects.sqlite3") as subjects:
        for item in posts:
            await store_essay(subjects, item)
        asked = record_text_queries(monkeypatch, subjects)
        listed = record_champion_reads(monkeypatch, subjects)
        target = posts[8]  # the third post of the second subject: eight posts before it
        assert target.published is not None
        results = await related_to_essay(subjects, await row(subjects, target), guild_id=None, limit=6)
        # Its neighbourhood holds too few earlier posts; every earlier post was scored, no list or text query read.
        assert listed == [] and asked == []
        assert [subject_of(r.key) for r in results][:2] == [subject_of(target.key)] * 2
        assert all(r.published is not None and r.published < target.published.date() for r in results)
        # With more posts before it than the bound, the champion lists are read as before; when they hold too few,
        # the essay's own text query runs, before its date.
        monkeypatch.setattr(related, "EARLIER_ALL", 7)
        again = await related_to_essay(subjects, await row(subjects, target), guild_id=None, limit=6)
        assert listed and [subject_of(r.key) for r in again][:2] == [subject_of(target.key)] * 2
        monkeypatch.setattr(related, "_add_champion_candidates", no_lists)
        from_text = await related_to_essay(subjects, await row(subjects, target), guild_id=None, limit=6)
        assert asked and [subject_of(r.key) for r in from_text][:2] == [subject_of(target.key)] * 2
        assert all(r.published is not None and r.published < target.published.date() for r in from_text)


@pytest.mark.usefixtures("short_lists")
async def test_an_essays_own_text_query_keeps_within_the_lists_postings_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The query that tops up a neighbourhood is the list's own query in the scope and date: the list's budget.
    posts = subject_archive()
    async with await open_store(tmp_path / "subjects.sqlite3") as subjects:
        for item in posts:
            await store_essay(subjects, item)
        monkeypatch.setattr(related, "LIST_POSTING_BUDGET", 0)
        monkeypatch.setattr(related, "_add_champion_candidates", no_lists)
        asked: list[tuple[int, int | None]] = []
        text_neighbours = subjects.text_neighbours

        async def recorded(words: list[str], **options: Any) -> Any:
            asked.append((len(words), options.get("window")))
            return await text_neighbours(words, **options)

        monkeypatch.setattr(subjects, "text_neighbours", recorded)
        await related_to_essay(subjects, await row(subjects, posts[7]), guild_id=None, limit=6, any_time=True)
        # Every word is over a budget of 0: its rarest word alone, ranked among its newest matches.
        assert asked == [(1, max(related.NEIGHBOURS, 2 * 6))]
        asked.clear()
        await related_to_text(subjects, "grafting and pruning the orchard", guild_id=None)
        assert asked and all(window is None for _, window in asked)  # free text keeps its own, wider budget


async def test_essays_stored_before_neighbourhoods_were_kept_get_them_on_first_use(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    posts = subject_archive()
    async with await open_store(path) as old:
        for item in posts:
            await store_essay(old, item)
        # As a database from before migration 0012 looks once migrated: no lists.
        await old.connection.execute("DELETE FROM related_lists")
        assert await old.essays_without_neighbours(limit=100)
    async with await open_store(path) as reopened:
        results = await related_to_essay(reopened, await row(reopened, posts[0]), guild_id=None, any_time=True)
        assert results and all(subject_of(r.key) == subject_of(posts[0].key) for r in results)
        assert await reopened.essays_without_neighbours(limit=100) == []


@pytest.mark.usefixtures("short_lists")
async def test_a_revised_essay_gets_a_new_list(tmp_path: Path) -> None:
    posts = subject_archive()
    async with await open_store(tmp_path / "subjects.sqlite3") as subjects:
        for item in posts:
            await store_essay(subjects, item)
        of = await stored_subjects(subjects)
        kite = next(item for item in posts if subject_of(item.key) == "kites")
        # Rewritten wholly about bread: its list now holds bakery posts.
        bread = replace(
            kite, blocks=(Block("paragraph", "The flour, the oven, the loaf, the yeast and the rye dough."),)
        )
        await store_essay(subjects, bread)
        revised = await row(subjects, bread)
        assert {of[n] for n in await subjects.neighbours(revised.id)} == {"bakeries"}


async def test_a_word_used_hundreds_of_times_is_weighed_like_any_frequent_word(tmp_path: Path) -> None:
    # Stored counts are not capped (300 uses are stored as 300); their weight is, as for any word past 255.
    chorus = essay("chorus", "The Ferry Chorus", "2024-10-01", (), "Ferry timetable, " * 300)
    async with await open_store(tmp_path / "chorus.sqlite3") as chorus_store:
        for item in (*ARCHIVE, chorus):
            await store_essay(chorus_store, item)
        results = await related_to_essay(chorus_store, await row(chorus_store, chorus), guild_id=None)
        assert set(keys(results)[:2]) <= FERRIES
        # And as a candidate of another essay's query.
        results = await related_to_essay(chorus_store, await row(chorus_store, FERRY), guild_id=None, any_time=True)
        assert chorus.key in keys(results)


@pytest.mark.parametrize(
    ("counts", "budget", "expected"),
    [
        ({1: 5, 2: 1, 3: 3}, 4, [2, 3]),
        ({1: 5, 2: 1, 3: 3}, 9, [2, 3, 1]),
        ({1: 5, 2: 1, 3: 3}, 0, []),
        ({7: 2, 4: 2}, 3, [4]),  # ties by key
        ({1: 9000, 2: 10}, 3000, [2]),  # a hub alone is over the budget
    ],
)
def test_rarest_within_keeps_the_least_held_first(counts: dict[int, int], budget: int, expected: list[int]) -> None:
    assert rarest_within(counts, budget) == expected


@pytest.mark.usefixtures("short_lists")
async def test_co_listed_posts_hold_several_of_the_neighbours_most_first(backend_store: Store) -> None:
    posts = subject_archive()
    for item in posts:
        await store_essay(backend_store, item)
    target = await row(backend_store, posts[8])
    neighbours = await backend_store.neighbours(target.id)
    found = await backend_store.co_listed(
        neighbours, exclude_id=target.id, least=2, limit=10, guild_id=None, before=None
    )
    assert found and target.id not in found
    held = [len(set(await backend_store.neighbours(i)) & set(neighbours)) for i in found]
    assert all(n >= 2 for n in held) and held == sorted(held, reverse=True)
    assert (
        len(
            await backend_store.co_listed(
                neighbours, exclude_id=target.id, least=2, limit=1, guild_id=None, before=None
            )
        )
        == 1
    )
    # Within a budget of list rows, the neighbours held by fewest lists are the ones asked about.
    held_by = {n: 0 for n in neighbours}
    for essay_id in await backend_store.all_essay_ids():
        for n in set(await backend_store.neighbours(essay_id)) & set(neighbours):
            held_by[n] += 1
    for budget in (0, sum(held_by.values()) // 2, sum(held_by.values())):
        kept = rarest_within(held_by, budget)
        assert await backend_store.co_listed(
            neighbours, exclude_id=target.id, least=2, limit=10, guild_id=None, before=None, budget=budget
        ) == await backend_store.co_listed(kept, exclude_id=target.id, least=2, limit=10, guild_id=None, before=None)
    # Earlier posts only, and a server sees only what it follows (this one follows nothing).
    earlier = await backend_store.co_listed(
        neighbours, exclude_id=target.id, least=2, limit=10, guild_id=None, before=target.essay.published
    )
    assert earlier == [i for i in found if i < target.id]
    assert (
        await backend_store.co_listed(neighbours, exclude_id=target.id, least=2, limit=10, guild_id=ONE, before=None)
        == []
    )


async def test_a_kept_answer_is_served_until_a_commit_changes_what_it_ranks_by(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = await row(store, LATER_FERRY)
    first = await related.kept_related_to_essay(store, target, guild_id=None, limit=3)
    assert first == await related_to_essay(store, target, guild_id=None, limit=3)

    computed: list[int] = []
    compute = related.related_to_essay

    async def counted(*args: Any, **kwargs: Any) -> list[RelatedPost]:
        computed.append(1)
        return await compute(*args, **kwargs)

    monkeypatch.setattr(related, "related_to_essay", counted)
    again = await related.kept_related_to_essay(store, target, guild_id=None, limit=3)
    kept = await store.ranking_version() is not None  # SQLite can tell; PostgreSQL computes every time
    assert again == first and computed == ([] if kept else [1])
    # Members discussing it, a feed's poll: nothing the ranking reads.
    await store.record_thread_message(1, 2, 3, datetime(2024, 7, 1, tzinfo=UTC))
    await store.set_state("poll", "done")
    assert await related.kept_related_to_essay(store, target, guild_id=None, limit=3) == first
    assert computed == ([] if kept else [1, 1])
    again[0].reasons.append("changed by a caller")  # a caller's copy: the kept answer stays as it was
    assert await related.kept_related_to_essay(store, target, guild_id=None, limit=3) == first

    # A new post on the same subject, published before the target: the next answer is computed anew.
    newer = essay(
        "ferry-fares",
        "Ferry Fares and the Island Timetable",
        "2024-06-01",
        ("ferries",),
        "The ferry fares rose with the new timetable, and the winter ferry crossing costs a fifth more.",
    )
    await store_essay(store, newer)
    computed.clear()
    after = await related.kept_related_to_essay(store, target, guild_id=None, limit=3)
    assert computed == [1]
    assert after == await compute(store, target, guild_id=None, limit=3)


async def test_the_ranking_version_moves_with_what_the_ranking_reads_from_any_connection(tmp_path: Path) -> None:
    path = tmp_path / "version.sqlite3"
    async with await open_store(path) as store:
        start = await store.ranking_version()
        assert start is not None
        await store.set_state("cursor", "one")  # a poll's bookkeeping and a member's message: not the ranking's
        await store.record_thread_message(1, 2, 3, datetime(2024, 7, 1, tzinfo=UTC))
        assert await store.ranking_version() == start
        feed = await store.add_feed("https://harbour-notes.example/feed")
        stored = await store_essay(store, FERRY, feed_id=feed.id)
        after_essay = await store.ranking_version()
        assert after_essay is not None and after_essay != start
        await store.add_feed(feed.url, guild_id=7)  # a server follows the feed: what it may see changed
        after_scope = await store.ranking_version()
        assert after_scope is not None and after_scope != after_essay
        other = sqlite3.connect(path)  # another process's commits, as the command line's ingest makes
        with other:
            other.execute("INSERT INTO bot_state(key, value) VALUES ('other', 'x')")
        assert await store.ranking_version() == after_scope
        with other:
            other.execute("UPDATE essays SET title = 'Ferries, Revised' WHERE id = ?", (stored.essay_id,))
        other.close()
        assert await store.ranking_version() not in (start, after_essay, after_scope)
        async with store.transaction():
            assert await store.ranking_version() is None  # its reads would see what may yet roll back


async def test_an_answer_computed_while_what_it_ranks_by_changed_is_not_kept(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = await row(store, LATER_FERRY)
    computed: list[int] = []
    compute = related.related_to_essay

    async def committing(*args: Any, **kwargs: Any) -> list[RelatedPost]:
        computed.append(1)
        found = await compute(*args, **kwargs)
        # An essay stored while the answer was read (a feed's poll): the answer may not have seen it.
        late = essay(f"late-{len(computed)}", "A Late Ferry", "2024-05-01", (), "The ferry crossing ran late again.")
        await store_essay(store, late)
        return found

    monkeypatch.setattr(related, "related_to_essay", committing)
    await related.kept_related_to_essay(store, target, guild_id=None)
    await related.kept_related_to_essay(store, target, guild_id=None)
    assert computed == [1, 1]


def test_an_essay_is_placed_in_the_lists_of_its_most_distinctive_and_its_most_used_stems(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(related, "CHAMPION_STEMS", 2)
    monkeypatch.setattr(related, "CHAMPION_USED", 1)
    counts = [1, 1, 5, 2]
    vector = RelatedVector(np.array([1, 2, 3, 4]), np.array(counts, dtype=np.uint8), 2.0, None)
    # Ten essays: stem 1 is this one's alone, 4 is on two, 3 (used five times here) and 2 on nearly all.
    places = related._champions(vector, {1: 1, 2: 9, 3: 10, 4: 2}, 10)
    # tf-idf: 4 then 1 are the most distinctive; 3 is the most used though every post has it; 2 is neither.
    assert [stem for stem, _ in places] == [1, 3, 4]
    expected = [round(PLACE_SCALE * tf_weight(counts[stem - 1]) / 2.0) for stem in (1, 3, 4)]
    assert [weight for _, weight in places] == expected
    assert related._champions(replace(vector, norm=0.0), {}, 10) == []
