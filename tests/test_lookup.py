"""The member commands' core (bot.lookup) over a real store filled from the labelled essays."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import UserError
from bot.essays.model import Block, Entry, Figure, Quote
from bot.intake import entry_to_essay, load_source, store_essay
from bot.lookup import (
    CHOICE_MAX,
    CHOICES_MAX,
    DESCRIPTION_MAX,
    EMBED_TOTAL_MAX,
    FIELD_NAME_MAX,
    FIELD_VALUE_MAX,
    FIELDS_MAX,
    FOOTER_MAX,
    TITLE_MAX,
    Answer,
    Field,
    Links,
    Page,
    Pages,
    Scope,
    clip,
    command_scope,
    dlen,
    essay_choices,
    figure_answer,
    figure_pages,
    fit_page,
    gather_links,
    paged,
    pick_quote,
    quote_answer,
    quote_quality,
    related_answer,
    resolve_essay,
    search_figures,
    speaker_choices,
)
from bot.publishing.render import escape_markdown
from bot.store import EssayRef, IngestOutcome, PlannedStep, Store

LABELLED = Path(__file__).parent / "fixtures" / "labelled"
BLOG = "https://example-essays.blog/2025"
COUNCIL = f"{BLOG}/07/council-borrowing.html"
RAINY = f"{BLOG}/03/rainy-day-fund.html"
GUILD = 4242
CHANNEL = 5151
# Section threads of the council essay in GUILD: section -> thread id.
THREADS = {2: 9002, 3: 9003, 4: 9004}


FEED = "https://example-essays.blog/feed"


async def store_followed(store: Store, entry: Entry) -> IngestOutcome:
    """Store an essay as an entry of the feed GUILD follows."""
    feed = await store.add_feed(FEED, guild_id=GUILD)
    essay = entry_to_essay(entry)
    outcome = await store_essay(store, essay, feed_id=feed.id)
    await store.mark_seen(feed.id, essay.key, outcome.essay_id)
    return outcome


async def fill(store: Store) -> None:
    """The labelled essays, as the entries of a feed that GUILD follows."""
    loaded = await load_source(str(LABELLED), None)
    assert not loaded.problems
    for entry in sorted(loaded.entries, key=lambda e: e.published or datetime.min.replace(tzinfo=UTC)):
        await store_followed(store, entry)


async def add_threads(store: Store, key: str, threads: dict[int, int]) -> None:
    """Record section threads as the publisher would, without posting anything."""
    row = await store.get_essay(key)
    assert row is not None
    destination = await store.set_destination(guild_id=GUILD, channel_id=CHANNEL, kind="text")
    publication = await store.queue_publication(row.id, destination.id, row.revision)
    assert publication is not None
    steps = [PlannedStep(seq=s, action="thread", section=s, chunk=None, nonce=f"n{s}") for s in threads]
    await store.ensure_steps(publication, steps)
    for section, thread_id in threads.items():
        await store.mark_step_done(publication, section, channel_id=CHANNEL, message_id=None, thread_id=thread_id)


@pytest.fixture
async def store(backend_store: Store) -> Store:
    """The lookups' archive, on SQLite and on PostgreSQL (``backend_store``, tests/conftest.py)."""
    await fill(backend_store)
    await add_threads(backend_store, COUNCIL, THREADS)
    return backend_store


async def every_page(answer: Answer) -> list[Page]:
    """All of an answer's pages, each made ready as the pager does when it is turned to."""
    for index in range(len(answer.pages)):
        await answer.pages.ready(index)
    return list(answer.pages)


def within_limits(page: Page) -> bool:
    return (
        0 < dlen(page.title) <= TITLE_MAX
        and dlen(page.description) <= DESCRIPTION_MAX
        and len(page.fields) <= FIELDS_MAX
        and all(0 < dlen(f.name) <= FIELD_NAME_MAX and 0 < dlen(f.value) <= FIELD_VALUE_MAX for f in page.fields)
        and dlen(page.footer) <= FOOTER_MAX
        and page.size <= EMBED_TOTAL_MAX
    )


# ------------------------------------------------------------------ text


def test_clip_counts_utf16_and_marks_the_cut() -> None:
    assert clip("short", 10) == "short"
    clipped = clip("🎉" * 10, 7)
    assert dlen(clipped) <= 7 and clipped.endswith("…")
    assert clip("abcdef", 1) == "…"


def test_lookup_text_is_escaped_by_the_one_escaping_function() -> None:
    assert escape_markdown("a *b* _c_ <@123> [x](y)") == "a \\*b\\* \\_c\\_ <\u200b@\u200b123> \\[x\\](y)"


@settings(max_examples=40, deadline=None)
@given(
    title=st.text(max_size=400),
    description=st.text(max_size=5000),
    fields=st.lists(st.tuples(st.text(max_size=300), st.text(max_size=1500)), max_size=30),
    footer=st.text(max_size=2100),
)
def test_fit_page_always_within_discord_limits(
    title: str, description: str, fields: list[tuple[str, str]], footer: str
) -> None:
    page = fit_page(Page(title, description, "javascript:alert(1)", tuple(Field(n, v) for n, v in fields), footer))
    assert within_limits(page)
    assert page.url is None  # only http(s) links survive


def test_fit_page_keeps_a_page_that_already_fits() -> None:
    page = Page("T", "d", "https://example.org/x", (Field("n", "v"),), "f")
    assert fit_page(page) == page


@pytest.mark.parametrize(
    ("items", "footers"),
    [
        (0, []),
        (1, ["1 thing"]),
        (3, ["3 things"]),
        (7, ["Page 1/3 · 7 things", "Page 2/3 · 7 things", "Page 3/3 · 7 things"]),
    ],
)
def test_pages_are_made_when_first_read_and_numbered(items: int, footers: list[str]) -> None:
    made: list[tuple[int, ...]] = []

    def page(shown: tuple[int, ...] | list[int]) -> Page:
        made.append(tuple(shown))
        return Page("T", fields=tuple(Field(str(n), "x" * 2000) for n in shown))

    pages = paged(list(range(items)), 3, "thing", page)
    assert len(pages) == len(footers) and made == []  # nothing formatted until read
    if not footers:
        assert not pages and list(pages) == []
        return
    assert pages[-1].footer == footers[-1] and made == [tuple(range(3 * (len(footers) - 1), items))]
    assert [p.footer for p in pages] == footers
    assert [[f.name for f in p.fields] for p in pages] == [
        [str(n) for n in range(i, min(i + 3, items))] for i in range(0, items, 3)
    ]
    assert all(within_limits(p) for p in pages)  # fitted: three 2,000-character fields exceed 6,000
    assert len(made) == len(footers)  # each page made once, however often it is read
    with pytest.raises(IndexError):
        pages[len(footers)]


async def test_pages_that_read_the_store_are_read_once_and_only_when_made_ready() -> None:
    asked: list[list[int]] = []

    async def prepare(shown: Sequence[int]) -> None:
        asked.append(list(shown))

    pages = paged(
        list(range(7)), 3, "thing", lambda shown: Page("T", fields=tuple(Field(str(n), "x") for n in shown)), prepare
    )
    assert asked == []
    with pytest.raises(LookupError):
        pages[1]  # not made ready: a page without what it shows is refused, not sent
    await pages.ready(1)
    await pages.ready(-2)  # the same page
    assert asked == [[3, 4, 5]] and [f.name for f in pages[1].fields] == ["3", "4", "5"]
    with pytest.raises(IndexError):
        await pages.ready(3)
    ready_made = Pages.of([Page("T")])
    await ready_made.ready(0)  # pages that need nothing from the store are always ready
    assert ready_made[0].title == "T"


# ----------------------------------------------------------------- scope


async def test_resolve_essay_by_key_url_title_and_alias(store: Store) -> None:
    row = await store.get_essay(COUNCIL)
    assert row is not None
    assert (await resolve_essay(store, COUNCIL, guild_id=GUILD)).id == row.id
    assert (await resolve_essay(store, f"id:{row.id}", guild_id=GUILD)).id == row.id
    assert (await resolve_essay(store, "the councils that bet on cheap money", guild_id=GUILD)).id == row.id
    assert (await resolve_essay(store, "Cheap Money", guild_id=GUILD)).id == row.id  # a part matching one title only
    assert (
        await resolve_essay(store, COUNCIL.replace("https://EXAMPLE", "https://example") + "#top", guild_id=GUILD)
    ).id == row.id


@pytest.mark.parametrize("value", ["no such essay", "id:99999", "id:999999999999999999999999", "the", '"]*(', "🙂"])
async def test_resolve_essay_refuses_what_matches_nothing_or_many(store: Store, value: str) -> None:
    with pytest.raises(UserError, match="pick one from the list"):
        await resolve_essay(store, value, guild_id=GUILD)


async def test_scope_in_a_section_thread_is_its_essay_and_section(store: Store) -> None:
    scope = await command_scope(store, essay=None, channel_id=THREADS[3], guild_id=GUILD)
    assert scope.essay is not None and scope.essay.essay.key == COUNCIL
    assert scope.section == 3 and scope.from_thread
    elsewhere = await command_scope(store, essay=RAINY, channel_id=THREADS[3], guild_id=GUILD)
    assert elsewhere.essay is not None and elsewhere.essay.essay.key == RAINY and elsewhere.section is None
    channel = await command_scope(store, essay=None, channel_id=CHANNEL, guild_id=GUILD)
    assert channel.essay is None and not channel.from_thread


# ------------------------------------------------------------ autocomplete


async def test_essay_choices_prefix_then_substring_case_insensitive(store: Store) -> None:
    prefix = await essay_choices(store, "the c", guild_id=GUILD)
    assert prefix[0].name.startswith("The Councils That Bet on Cheap Money")
    assert prefix[0].value == COUNCIL
    inner = await essay_choices(store, "ORCHESTRA", guild_id=GUILD)
    assert [c.value for c in inner] == [f"{BLOG}/05/orchestra-strike.html"]
    assert len(await essay_choices(store, "", guild_id=GUILD)) == 6
    assert await essay_choices(store, "%", guild_id=GUILD) == []  # LIKE wildcards are taken literally
    assert await essay_choices(store, "x" * 6000, guild_id=GUILD) == []


async def test_essay_choices_in_a_thread_put_its_essay_first(store: Store) -> None:
    choices = await essay_choices(store, "", guild_id=GUILD, channel_id=THREADS[2])
    assert choices[0].value == COUNCIL


async def test_long_keys_get_a_short_alias_that_resolves(store: Store) -> None:
    key = "urn:example-essays:" + "very-long-entry-identifier-" * 8
    blocks = (Block("paragraph", "A short essay about lighthouses and the keepers who stayed on after automation."),)
    entry = Entry(source="test", title="Keepers of the Light", entry_id=key, blocks=blocks)
    outcome = await store_followed(store, entry)
    [choice] = await essay_choices(store, "keepers", guild_id=GUILD)
    assert choice.value == f"id:{outcome.essay_id}" and len(choice.value) <= CHOICE_MAX
    assert (await resolve_essay(store, choice.value, guild_id=GUILD)).essay.key == key


async def test_essay_choices_respect_discord_limits(store: Store) -> None:
    for i in range(30):
        title = f"Harbour note {i:02d} " + "with a title far longer than any choice may show " * 3
        blocks = (Block("paragraph", f"Notes on the harbour, number {i}, about tides and cranes."),)
        await store_followed(store, Entry(source="t", title=title, entry_id=f"h{i}", blocks=blocks))
    choices = await essay_choices(store, "harbour", guild_id=GUILD)
    assert len(choices) == CHOICES_MAX
    assert all(0 < dlen(c.name) <= CHOICE_MAX and 0 < dlen(c.value) <= CHOICE_MAX for c in choices)


async def test_speaker_choices_prefix_and_substring(store: Store) -> None:
    assert (await speaker_choices(store, "dana", guild_id=GUILD))[0].value == "Dana Whitfield"
    names = [c.value for c in await speaker_choices(store, "vos", guild_id=GUILD)]
    assert names == ["Marit Vos"]
    assert await speaker_choices(store, "_", guild_id=GUILD) == []
    in_thread = {c.value for c in await speaker_choices(store, "", guild_id=GUILD, channel_id=THREADS[2])}
    assert {"Quayle", "Finch", "Marit Vos"} <= in_thread


# ------------------------------------------------------------------ quotes


def test_quote_quality_prefers_named_quotations_and_rejects_scare_quotes() -> None:
    named = Quote("We were told we were building the city's future income", "direct", 1, "Marit Vos")
    described = Quote("We were told we were building the city's future income", "direct", 1, "an aide")
    scare = Quote("checks and balances", "scare", 1)
    short = Quote("crisis", "direct", 1, "Patrick Lenahan")
    assert quote_quality(named) > quote_quality(described) > quote_quality(short) > 0
    assert quote_quality(scare) == 0


def test_pick_quote_is_random_among_the_best() -> None:
    ref = EssayRef("k", "T", None, 1)
    good = [(Quote(f"A full sentence worth quoting number {i} here", "direct", 1, "Ann Lee"), ref) for i in range(3)]
    junk = [(Quote("crisis", "direct", 1, "Ann Lee"), ref), (Quote("a scare phrase", "scare", 1), ref)]
    picks = [pick_quote(good + junk, random.Random(seed), top=3) for seed in range(30)]
    assert {hit[0].text for hit in picks if hit} == {quote.text for quote, _ in good}
    assert pick_quote([junk[1]], random.Random(1)) is None


async def test_random_quote_in_a_thread_comes_from_its_section(store: Store) -> None:
    scope = await command_scope(store, essay=None, channel_id=THREADS[3], guild_id=GUILD)
    for seed in range(5):
        answer = await quote_answer(store, scope, search=None, speaker=None, rng=random.Random(seed))
        [page] = answer.pages
        assert page.title == "The Councils That Bet on Cheap Money"
        assert "Marit Vos" in page.description
        [where] = page.fields
        assert f"https://discord.com/channels/{GUILD}/{THREADS[3]}" in where.value
        assert "§3 The Dutch version" in where.value
        assert within_limits(page)


async def test_random_quote_anywhere_is_never_junk(store: Store) -> None:
    scope = Scope(guild_id=None)
    for seed in range(10):
        [page] = (await quote_answer(store, scope, search=None, speaker=None, rng=random.Random(seed))).pages
        assert page.footer in {"Quotation", "Epigraph", "Notable sentence"}
        assert page.description.startswith("> ") and "discord.com" not in page.fields[0].value


async def test_random_quote_in_a_server_prefers_named_speakers_of_essays_posted_there(store: Store) -> None:
    """Only the council essay is posted in GUILD: its attributed quotations, linking to their threads, come first."""
    for seed in range(12):
        [page] = (await quote_answer(store, Scope(GUILD), search=None, speaker=None, rng=random.Random(seed))).pages
        assert page.title == "The Councils That Bet on Cheap Money"
        assert page.footer in {"Quotation", "Epigraph"} and "unattributed" not in page.description


async def test_quote_search_puts_the_threads_section_first(store: Store) -> None:
    scope = await command_scope(store, essay=None, channel_id=THREADS[4], guild_id=GUILD)
    answer = await quote_answer(store, scope, search="the", speaker=None, rng=random.Random(1))
    sections = [f.value.split(" · ")[1][:2] for p in answer.pages for f in p.fields]
    assert sections[0] == "§4" and "§3" in sections
    assert sections == sorted(sections, key=lambda s: s != "§4")
    assert all("Cheap Money" in f.name for p in answer.pages for f in p.fields)


async def test_quote_search_in_a_thread_widens_when_the_essay_has_nothing(store: Store) -> None:
    scope = await command_scope(store, essay=None, channel_id=THREADS[2], guild_id=GUILD)
    answer = await quote_answer(store, scope, search="pension fund", speaker=None, rng=random.Random(1))
    assert "other essays" in answer.pages[0].description
    assert "Lise Amundsen" in answer.pages[0].fields[0].name


async def test_quote_by_speaker_and_nothing_found(store: Store) -> None:
    answer = await quote_answer(store, Scope(GUILD), search=None, speaker="whitfield", rng=random.Random(2))
    assert "Dana Whitfield" in answer.pages[0].description
    empty = await quote_answer(store, Scope(GUILD), search="zeppelin", speaker=None, rng=random.Random(2))
    assert not empty.pages and "No quotes found matching “zeppelin”" in empty.message
    symbols = await quote_answer(store, Scope(GUILD), search='"*)( ] ~^', speaker=None, rng=random.Random(2))
    assert not symbols.pages and "no words to search for" in symbols.message


# ----------------------------------------------------------------- figures


async def test_figures_of_an_essay_page_in_reading_order(store: Store) -> None:
    scope = await command_scope(store, essay=COUNCIL, channel_id=CHANNEL, guild_id=GUILD)
    answer = await figure_answer(store, scope, search=None, kind=None)
    assert len(answer.pages) > 1
    assert all(len(p.fields) <= 5 and within_limits(p) for p in await every_page(answer))
    assert answer.pages[0].footer.startswith(f"Page 1/{len(answer.pages)}")
    assert answer.pages[0].title == "Figures in “The Councils That Bet on Cheap Money”"
    # The sentence with the figure in bold, and where it is.
    first = answer.pages[0].fields[0]
    assert "**" in first.value and "§1" in first.value


async def test_figure_sentences_are_read_for_the_page_shown(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    key = (await resolve_essay(store, COUNCIL, guild_id=GUILD)).essay.key
    whole = await search_figures(store, None, guild_id=GUILD, essay_key=key)
    bare = await search_figures(store, None, guild_id=GUILD, essay_key=key, sentences=False)
    assert all(f.context for f, _ in whole) and not any(f.context for f, _ in bare)
    ids = [f.id for f, _ in bare if f.id is not None]
    assert len(ids) == len(bare) and await store.figure_sentences(ids) == {f.id: (f.text, f.context) for f, _ in whole}
    assert await store.figure_sentences([-1]) == {}  # a figure no longer stored

    asked: list[set[int]] = []
    read = store.figure_sentences

    async def recorded(wanted: Iterable[int]) -> dict[int, tuple[str, str]]:
        asked.append(set(wanted))
        return await read(asked[-1])

    monkeypatch.setattr(store, "figure_sentences", recorded)
    scope = await command_scope(store, essay=COUNCIL, channel_id=CHANNEL, guild_id=GUILD)
    answer = await figure_answer(store, scope, search=None, kind=None)
    assert len(answer.pages) > 1 and len(asked) == 1 and len(asked[0]) <= 5  # the first page's only
    links = await gather_links(store, GUILD, [ref.id for _, ref in whole])
    expected = figure_pages(whole, links, title=answer.pages[0].title)
    assert [p.fields for p in await every_page(answer)] == [p.fields for p in expected]
    assert len(asked) == len(answer.pages)  # each later page's when it was turned to


async def test_a_figure_whose_row_now_holds_another_figure_is_shown_without_a_sentence() -> None:
    # Read when its page is first shown, up to ten minutes after the search: the essay may have been revised.
    shown = [Figure("£40m", "money", 1, "", id=1), Figure("12%", "percent", 1, "", id=2), Figure("7", "count", 2, "")]
    ref = EssayRef("k", "Title", None, id=9)

    async def stored_now(figure_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
        assert set(figure_ids) == {1, 2}  # a figure with no row is not asked for
        return {1: ("£40m", "The council borrowed £40m."), 2: ("£3m", "A new figure took its row: £3m.")}

    pages = figure_pages([(f, ref) for f in shown], Links(None), title="T", sentences=stored_now)
    await pages.ready(0)
    assert [f.context for f in shown] == ["The council borrowed £40m.", "", ""]
    assert "**£40m**" in pages[0].fields[0].value


async def test_figures_in_a_thread_start_with_its_section(store: Store) -> None:
    scope = await command_scope(store, essay=None, channel_id=THREADS[3], guild_id=GUILD)
    answer = await figure_answer(store, scope, search=None, kind="money")
    values = [f.value for p in await every_page(answer) for f in p.fields]
    assert "§3" in values[0] and f"{GUILD}/{THREADS[3]}" in values[0]
    assert all("*money*" in v for v in values)


async def test_figure_search_and_kind(store: Store) -> None:
    answer = await figure_answer(store, Scope(GUILD), search="drivers", kind=None)
    assert any("drivers" in f.name for p in await every_page(answer) for f in p.fields)
    none = await figure_answer(store, Scope(GUILD), search="drivers", kind="ratio")
    assert not none.pages and "ratio figures" in none.message


# ----------------------------------------------------------------- related


async def test_related_to_the_threads_essay_links_blog_and_threads(store: Store) -> None:
    await add_threads(store, RAINY, {1: 9101})
    scope = await command_scope(store, essay=None, channel_id=THREADS[2], guild_id=GUILD)
    answer = await related_answer(store, scope, search=None)
    assert answer.pages[0].title == "Earlier posts related to “The Councils That Bet on Cheap Money”"
    fields = [f for p in answer.pages for f in p.fields]
    rainy = next(f for f in fields if f.name.startswith("The Rainy-Day Fund"))
    assert "(2025-03-21)" in rainy.name
    assert f"[read on the blog]({RAINY})" in rainy.value
    assert f"[§1](https://discord.com/channels/{GUILD}/9101)" in rainy.value
    assert rainy.value.startswith("• ")


async def test_related_without_options_uses_the_newest_essay_and_search_a_topic(store: Store) -> None:
    newest = await related_answer(store, Scope(GUILD), search=None)
    assert "Everything Is an Emergency Now" in newest.pages[0].title
    topic = await related_answer(store, Scope(GUILD), search="council borrowing debt")
    assert any("Cheap Money" in f.name for f in topic.pages[0].fields)
    nothing = await related_answer(store, Scope(GUILD), search="🙂 ‏مرحبا")
    assert not nothing.pages and nothing.message
