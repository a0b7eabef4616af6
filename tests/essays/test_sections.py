"""Tests for splitting essays into sections."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.essays.model import Block, Section
from bot.essays.section_titles import name_sections
from bot.essays.section_words import RARITY_CEILING, RARITY_FLOOR, block_words, rarity
from bot.essays.sections import MAX_TITLE_CHARS, find_sections, trim_title
from bot.essays.text import stem

# Three hand-written topics for a headingless essay: city transit money, a court ruling on
# election maps, and public library hours.
TRANSIT = [
    (
        "The city council spent most of Tuesday night arguing about the transit budget, and the "
        "argument was not really about buses. Riders on the east side have watched their routes "
        "shrink for three years while fares crept upward. The transit authority says it needs another "
        "forty million dollars to keep the current schedule running through next spring, and the "
        "council says it cannot find the money without raising the sales tax. Both claims are true, "
        "and both leave out the rainy-day fund, which has quietly grown to a size nobody on the "
        "council likes to mention in public."
    ),
    (
        "That rainy-day fund now holds about three hundred million dollars. It was created after the "
        "last recession to protect essential services when tax revenue collapses, and transit is "
        "about as essential as a service gets for the people who cannot afford a car. Drawing twenty "
        "percent of the fund for two years would cover the transit shortfall without a fare increase. "
        "The council's finance committee objects that the fund exists for emergencies, not for "
        "routine budget gaps, but a bus network losing riders every month is an emergency that simply "
        "moves slowly."
    ),
    (
        "The finance committee also worries about the bond rating. Rating agencies do like large "
        "reserves, and a downgrade would make every future bridge and school more expensive to borrow "
        "for. Yet the agencies also look at whether a city maintains its infrastructure, and a "
        "transit system that cuts service to balance its books is a warning sign of its own. The "
        "honest tradeoff is between a small risk to the rating and a certain decline in bus "
        "ridership, and the council has not even tried to estimate the first."
    ),
    (
        "A compromise is available. The council could draw on the rainy-day fund for the transit "
        "shortfall this year, pair the withdrawal with a rule that the fund is refilled from any "
        "budget surplus, and ask the transit authority to publish monthly ridership figures so the "
        "public can judge whether the money is working. None of that requires a new tax. It requires "
        "the council to admit that the reserve was built for moments like this one."
    ),
]
COURT = [
    (
        "Meanwhile, the state supreme court handed down its decision on the legislative maps, and the "
        "opinion deserves more attention than the headlines gave it. The justices held that the "
        "redistricting commission violated the state constitution when it split county lines to "
        "protect incumbents. The majority opinion, written by the chief justice, leans heavily on the "
        "text of the constitution's compactness clause, which requires districts to follow county "
        "boundaries wherever possible. The dissent argued that the clause is advisory, a preference "
        "rather than a command, and that courts should defer to the commission."
    ),
    (
        "The dissent's argument is not frivolous. For decades the court treated the compactness "
        "clause as a goal the commission should weigh, not a rule a judge could enforce. Lawyers for "
        "the commission pointed to a long line of precedent in which the justices declined to redraw "
        "maps themselves. What changed, according to the majority, is that the commission's own "
        "records showed it had drawn districts with incumbents' home addresses in hand. Once the map "
        "was proven to serve the incumbents, deference to the commission made little constitutional "
        "sense."
    ),
    (
        "The remedy is where the ruling gets interesting. Rather than drawing new maps itself, the "
        "court sent them back to the commission with a deadline and appointed a special master to "
        "review the revised districts. If the commission misses the deadline, the special master's "
        "maps will be used for the next election. That structure keeps judges out of the business of "
        "choosing district lines while making clear that the constitution's county boundary rule has "
        "teeth, and it gives voters a real chance at competitive legislative races."
    ),
    (
        "The ruling will also change how the commission works in public. Its members must now explain "
        "every split county line in writing before a map is adopted, and the court said those "
        "explanations will be the first thing a judge reads when a map is challenged. Commissioners "
        "who once negotiated districts over private dinners will have to defend them at open "
        "hearings, with the county boundaries on a screen behind them. That alone may do more to "
        "restrain incumbents than any remedy the justices could order."
    ),
    (
        "Critics say the decision invites endless litigation, since every future map can now be "
        "challenged on compactness grounds. Perhaps. But litigation over legislative maps was already "
        "constant, and the new standard is narrower than critics claim: plaintiffs must show that a "
        "split county line served no purpose beyond protecting incumbents. That is a demanding "
        "burden. Most maps will survive it, and the ones that fail will deserve to, which is how a "
        "constitutional rule is supposed to work in court."
    ),
]
LIBRARY = [
    (
        "On a happier note, the public library announced that its branches will open on Sunday "
        "afternoons again starting next month. The Sunday hours were cut during the pandemic and "
        "never restored, and librarians say families noticed. Sunday is the one day many working "
        "parents can bring children to story time, browse the shelves for an hour, or use the "
        "computers to file paperwork. The library board found the money by consolidating two "
        "reference desks and shifting volunteers to the weekend, which is a modest change with a "
        "large effect on who can actually use a branch."
    ),
    (
        "Circulation numbers tell part of the story. Children's books made up nearly half of all "
        "library checkouts last year, and the branches with the longest evening hours lent the most "
        "picture books per resident. Librarians also report a steady rise in borrowing of audiobooks "
        "and e-books, which some assume will make physical branches obsolete. The opposite seems to "
        "be happening: readers who borrow digital books still come in for the reading clubs, the "
        "homework help, the quiet tables and the librarians who know which novel a reluctant teenager "
        "might finish."
    ),
    (
        "There is also the question of what a library is for. A branch is one of the few indoor "
        "public places where nobody expects you to buy anything. Teenagers study there after school, "
        "retirees read newspapers there in the morning, and job seekers print resumes at the "
        "computers in the back. Weekend hours matter most for exactly the readers who have the fewest "
        "alternatives. When the library closes on Sunday, those readers do not go to a bookstore; "
        "they go without, and the shelves sit dark."
    ),
    (
        "The librarians themselves deserve a word. Many of them spent the pandemic years running "
        "curbside pickup, reading picture books to children over video calls, and helping older "
        "patrons renew library cards by phone. They asked the board for the Sunday hours long before "
        "the budget allowed it, and they volunteered to rotate weekend shifts so that no branch would "
        "be left without a children's librarian. The new schedule is their idea as much as the "
        "board's, and patrons who see them at the desk this Sunday might say so."
    ),
    (
        "The board should treat the Sunday experiment as a beginning. It ought to publish visitor "
        "counts for each branch, ask patrons which hours they would use, and extend weekend openings "
        "to the smaller neighborhood branches if the numbers hold up. Libraries earn their budgets by "
        "being open when people can come. A library card is only worth as much as the hours printed "
        "on the branch door, and for many families those Sunday hours are the only ones that fit."
    ),
]

QUOTE_INTRO = "Writing for the Harbor Ledger, the planner Ana Ruiz explains why the two fights are really one:"
QUOTED_PASSAGE = [
    (
        "“Every transit budget is a statement about who the city expects to stay home. When the "
        "council trims a bus route, it rarely hears from the riders who lose it, because those riders "
        "are at work, on a later bus, or caring for a child. The fare increase and the shortened "
        "schedule land on the same households, and the rainy-day fund stays untouched."
    ),
    (
        "“I asked the transit authority how many riders the east side routes lost after the last "
        "cuts. The answer was that nobody had counted. The council approved the cuts, the buses ran "
        "less often, and the ridership decline that followed was treated as proof that the routes "
        "were never needed."
    ),
    (
        "“The same pattern shows up at the public library. Branch hours were cut on Sunday, visitor "
        "counts fell on Sunday, and the falling counts were cited as evidence that families had "
        "stopped reading. But the children's librarians kept a list of families who asked when the "
        "branch would open again, and the list ran to several pages."
    ),
    (
        "“A city that measures demand only by the service it already offers will always find that "
        "nobody wants more. The library and the bus have the same problem, and the same solution: "
        "open the door first, then count who walks through it.”"
    ),
]


def paragraphs(texts: list[str]) -> list[Block]:
    return [Block("paragraph", text) for text in texts]


def starts(sections: list[Section]) -> list[int]:
    return [section.start for section in sections]


def assert_partition(sections: list[Section], blocks: list[Block]) -> None:
    """The sections cover every block exactly once, in order, with consistent indexes."""
    assert [section.index for section in sections] == list(range(1, len(sections) + 1))
    assert [block for section in sections for block in section.blocks] == list(blocks)
    position = 0
    for section in sections:
        assert section.start == position
        assert section.end > section.start
        assert list(section.blocks) == list(blocks[section.start : section.end])
        position = section.end
    assert position == len(blocks)


def assert_good_titles(sections: list[Section]) -> None:
    titles = [section.title for section in sections]
    assert len({title.lower() for title in titles}) == len(titles)
    for title in titles:
        assert title.strip()
        assert len(title) <= MAX_TITLE_CHARS
        assert not title.lower().startswith(("part ", "section "))


# --- headingless essays ---------------------------------------------------------------------


def test_three_topic_essay_splits_at_the_topic_shifts() -> None:
    blocks = paragraphs(TRANSIT + COURT + LIBRARY)
    assert 1150 <= sum(len(b.text.split()) for b in blocks) <= 1300

    sections = find_sections(blocks)

    assert_partition(sections, blocks)
    assert starts(sections) == [0, len(TRANSIT), len(TRANSIT) + len(COURT)]
    assert not any(section.from_heading for section in sections)
    assert_good_titles(sections)


def test_topic_order_does_not_matter() -> None:
    blocks = paragraphs(LIBRARY + TRANSIT + COURT)
    sections = find_sections(blocks)
    assert starts(sections) == [0, len(LIBRARY), len(LIBRARY) + len(TRANSIT)]


def test_titles_are_made_from_each_sections_own_key_words() -> None:
    sections = find_sections(paragraphs(TRANSIT + COURT + LIBRARY))
    transit, court, library = (section.title.lower() for section in sections)
    assert any(word in transit for word in ("transit", "rainy-day", "fund", "council"))
    assert any(word in court for word in ("county", "commission", "maps", "court", "compactness"))
    assert any(word in library for word in ("library", "sunday", "branch", "hours", "librarians"))
    for section in sections:
        # Sentence case, 2 to 6 words, never two nouns glued by "and".
        assert section.title[0].isupper()
        assert 2 <= len(section.title.split()) <= 6
        assert " and " not in section.title


def test_multi_paragraph_quotation_is_never_cut() -> None:
    texts = [*TRANSIT[:3], QUOTE_INTRO, *QUOTED_PASSAGE, *LIBRARY[2:]]
    blocks = paragraphs(texts)
    intro = 3
    last_quoted = intro + len(QUOTED_PASSAGE)

    sections = find_sections(blocks)

    assert_partition(sections, blocks)
    assert len(sections) >= 2
    # No section may start inside the passage, nor between its introduction and the passage.
    assert not [start for start in starts(sections) if intro < start <= last_quoted]


def test_the_quotation_guard_is_what_keeps_the_passage_whole() -> None:
    # The same passage without the quotation marks reads as two topics and does get cut:
    # this shows the test above exercises the guard rather than passing by luck.
    unquoted = [text.strip("“”") for text in QUOTED_PASSAGE]
    blocks = paragraphs([*TRANSIT[:3], QUOTE_INTRO.rstrip(":") + ".", *unquoted, *LIBRARY[2:]])
    sections = find_sections(blocks)
    assert [start for start in starts(sections) if 3 < start <= 3 + len(unquoted)]


def test_straight_quote_passage_and_blockquotes_stay_whole() -> None:
    straight = [text.replace("“", '"').replace("”", '"') for text in QUOTED_PASSAGE]
    blocks = paragraphs([*TRANSIT[:3], QUOTE_INTRO, *straight, *LIBRARY[2:]])
    assert not [start for start in starts(find_sections(blocks)) if 3 < start <= 3 + len(straight)]

    quote_blocks = [Block("quote", text.strip("“”")) for text in QUOTED_PASSAGE]
    blocks = [
        *paragraphs(TRANSIT[:3]),
        Block("paragraph", QUOTE_INTRO),
        *quote_blocks,
        *paragraphs(LIBRARY[2:]),
    ]
    sections = find_sections(blocks)
    assert_partition(sections, blocks)
    assert not [start for start in starts(sections) if 3 < start <= 3 + len(quote_blocks)]


def test_list_items_stay_together() -> None:
    items = [Block("item", text) for text in (COURT[0], COURT[1], LIBRARY[0], LIBRARY[1])]
    blocks = [*paragraphs(TRANSIT), *items, *paragraphs(LIBRARY[2:])]
    sections = find_sections(blocks)
    assert_partition(sections, blocks)
    first_item, last_item = len(TRANSIT), len(TRANSIT) + len(items) - 1
    assert not [start for start in starts(sections) if first_item < start <= last_item]


def test_short_essays_are_one_section() -> None:
    one = find_sections([Block("paragraph", "A single short paragraph about the transit fund.")])
    assert len(one) == 1
    assert one[0].title and one[0].start == 0 and one[0].end == 1

    three = paragraphs([TRANSIT[0], COURT[0], LIBRARY[0]])  # about 280 words on three topics
    sections = find_sections(three)
    assert len(sections) == 1
    assert_partition(sections, three)

    assert find_sections([]) == []


def test_section_count_follows_the_topics_not_the_length() -> None:
    # A section is one discussion, usually 200 to 600 words: two topics make two sections, not
    # four of 200 words, and six make six, each starting where its subject does.
    two_topics = paragraphs(TRANSIT + COURT)  # about 790 words
    sections = find_sections(two_topics)
    assert starts(sections) == [0, len(TRANSIT)]
    long_essay = paragraphs(TRANSIT + COURT + LIBRARY + TRANSIT + COURT + LIBRARY)  # about 2,500 words
    sections = find_sections(long_essay)
    assert_partition(sections, long_essay)
    assert starts(sections) == [0, 4, 9, 14, 18, 23]
    assert all(200 <= section.word_count <= 600 for section in sections)


def test_max_sections_is_respected() -> None:
    blocks = paragraphs(TRANSIT + COURT + LIBRARY)
    for limit in (1, 2):
        sections = find_sections(blocks, max_sections=limit)
        assert len(sections) == limit
        assert_partition(sections, blocks)


def test_tiny_paragraphs_join_a_neighbour() -> None:
    blocks = paragraphs([*TRANSIT, "So much for the buses.", *COURT, "Now, the books.", *LIBRARY])
    sections = find_sections(blocks)
    assert_partition(sections, blocks)
    assert len(sections) == 3
    for section in sections:
        assert section.word_count > 300


# --- essays with headings --------------------------------------------------------------------


def test_headings_win() -> None:
    blocks = [
        Block("paragraph", TRANSIT[0]),
        Block("heading", "Where the money is"),
        *paragraphs(TRANSIT[1:3]),
        Block("heading", "What the court said about the maps"),
        *paragraphs(COURT[:2]),
        Block("heading", "Sunday at the library"),
        Block("paragraph", LIBRARY[0]),
    ]
    sections = find_sections(blocks)

    assert_partition(sections, blocks)
    assert starts(sections) == [0, 1, 4, 7]
    assert [s.from_heading for s in sections] == [False, True, True, True]
    assert [s.title for s in sections[1:]] == [
        "Where the money is",
        "What the court said about the maps",
        "Sunday at the library",
    ]
    assert_good_titles(sections)


def test_short_intro_merges_into_the_first_heading_section() -> None:
    blocks = [
        Block("paragraph", "A note before we start."),
        Block("heading", "The transit money"),
        *paragraphs(TRANSIT),
        Block("heading", "The maps"),
        *paragraphs(COURT),
    ]
    sections = find_sections(blocks)
    assert_partition(sections, blocks)
    assert [(s.start, s.title) for s in sections] == [(0, "The transit money"), (6, "The maps")]


def test_bold_pseudo_headings_empty_headings_and_a_trailing_heading() -> None:
    # Word-processor essays: bold lines become heading blocks, one of them with nothing under it.
    blocks = [
        Block("heading", "Part One"),
        Block("heading", "The rainy-day fund"),
        *paragraphs(TRANSIT[:2]),
        Block("heading", "The maps, again"),
        Block("paragraph", COURT[0]),
        Block("heading", "Thanks for reading"),
    ]
    sections = find_sections(blocks)
    assert_partition(sections, blocks)
    assert [(s.start, s.end) for s in sections] == [(0, 4), (4, 7)]
    assert [s.title for s in sections] == ["Part One: The rainy-day fund", "The maps, again"]
    assert all(s.from_heading for s in sections)


def test_headings_beyond_max_sections_are_merged() -> None:
    texts = TRANSIT + COURT + LIBRARY
    blocks: list[Block] = []
    for number, text in enumerate(texts, start=1):
        blocks += [Block("heading", f"Point {number}"), Block("paragraph", text)]
    sections = find_sections(blocks, max_sections=4)
    assert len(sections) == 4
    assert_partition(sections, blocks)
    assert all(s.from_heading for s in sections)
    # Grouped parts are cut only at headings, and the name lists the grouped headings in order.
    assert all(blocks[s.start].kind == "heading" for s in sections)
    for section in sections:
        inside = [b.text for b in section.blocks if b.kind == "heading"]
        assert section.title.split(" · ")[0] == inside[0]
    # Merging the smallest neighbours keeps the sections roughly even.
    sizes = [s.word_count for s in sections]
    assert max(sizes) < 2.5 * min(sizes)


def test_long_headings_are_trimmed_at_a_word_boundary() -> None:
    heading = "Why the council keeps " + "refusing to look at the reserve " * 6 + "it built"
    blocks = [Block("heading", heading), Block("paragraph", TRANSIT[0])]
    (section,) = find_sections(blocks)
    assert len(section.title) <= MAX_TITLE_CHARS
    assert section.title.endswith("…")
    assert heading.startswith(section.title[:-1])
    assert trim_title("short title") == "short title"


# --- properties ------------------------------------------------------------------------------

WORDS = (
    "transit fund council court maps library Sunday branch reading the and of a budget “quoted” "
    'said: "straight" county rule. Mr. Smith, U.S. 1.5 — – rainy-day don’t'
).split()
block_strategy = st.builds(
    Block,
    kind=st.sampled_from(["paragraph", "paragraph", "paragraph", "heading", "quote", "item"]),
    text=st.lists(st.sampled_from(WORDS), min_size=0, max_size=90).map(" ".join),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(block_strategy, min_size=1, max_size=40), st.integers(min_value=1, max_value=8))
def test_sections_always_partition_the_blocks(blocks: list[Block], limit: int) -> None:
    sections = find_sections(blocks, max_sections=limit)
    assert 1 <= len(sections) <= limit
    assert_partition(sections, blocks)
    for section in sections:
        assert section.title.strip()
        assert len(section.title) <= MAX_TITLE_CHARS
    # Made-up titles differ from every other title (an author may repeat a heading).
    for section in sections:
        if not section.from_heading:
            others = [s.title.lower() for s in sections if s is not section]
            assert section.title.lower() not in others


@settings(max_examples=150, deadline=None)
@given(st.lists(block_strategy.filter(lambda b: b.kind != "heading"), min_size=1, max_size=40))
def test_headingless_partition_never_cuts_a_blockquote_run(blocks: list[Block]) -> None:
    sections = find_sections(blocks)
    assert_partition(sections, blocks)
    for section in sections[1:]:
        previous, current = blocks[section.start - 1], blocks[section.start]
        assert not (previous.kind == current.kind and current.kind in ("quote", "item"))
        assert not previous.text.rstrip().endswith(":")


def test_urls_and_addresses_do_not_make_titles() -> None:
    links = " See https://www.cityfacts.example.com/transit, cityfacts.com and data@cityfacts.org for more."
    blocks = paragraphs([text + links for text in TRANSIT])
    (section,) = find_sections(blocks, max_sections=1)
    title = section.title.lower()
    assert not any(fragment in title for fragment in ("com", "http", "www", "cityfacts", "org"))


def test_ten_headed_parts_make_ten_threads_by_default() -> None:
    texts = TRANSIT + COURT + LIBRARY[:1]
    blocks: list[Block] = []
    for number, text in enumerate(texts, start=1):
        blocks += [Block("heading", f"Part {number} of the argument"), Block("paragraph", text)]
    sections = find_sections(blocks)
    assert len(sections) == 10
    assert [s.start for s in sections] == list(range(0, 20, 2))
    assert [s.title for s in sections] == [f"Part {n} of the argument" for n in range(1, 11)]


@pytest.mark.parametrize(
    ("shape", "quoted"),
    [
        ("curly, each paragraph opens and only the last closes", [f"“{t}" for t in LIBRARY[:3]]),
        ("straight marks", [f'"{t}' for t in LIBRARY[:3]]),
        ("blockquote blocks", LIBRARY[:3]),
    ],
)
def test_a_long_quotation_and_its_introduction_are_never_cut(shape: str, quoted: list[str]) -> None:
    kind = "quote" if shape == "blockquote blocks" else "paragraph"
    passage = [Block(kind, text) for text in quoted]
    if kind == "paragraph":
        passage[-1] = Block(kind, passage[-1].text + ("”" if "“" in passage[0].text else '"'))
    blocks = [*paragraphs(TRANSIT), Block("paragraph", QUOTE_INTRO), *passage, *paragraphs(COURT)]
    sections = find_sections(blocks)
    assert_partition(sections, blocks)
    intro = len(TRANSIT)
    assert not [start for start in starts(sections) if intro < start <= intro + len(passage)], shape


def test_made_up_names_are_distinct_phrases_of_the_sections_own_words() -> None:
    blocks = paragraphs(TRANSIT + COURT + LIBRARY)
    spans = [(0, 4), (4, 9), (9, 14)]
    names = name_sections(blocks, spans)
    assert len({name.lower() for name in names}) == 3
    for name, (start, end) in zip(names, spans, strict=True):
        text = " ".join(block.text for block in blocks[start:end]).lower()
        assert all(word.lower().strip("'’") in text for word in name.split()), name
        assert " and " not in name
    # The author's heading is kept as given; made-up names never repeat it.
    fixed = name_sections(blocks, spans, fixed=[None, "The maps", None])
    assert fixed[1] == "The maps"


def test_block_words_are_read_once_for_segmenting_and_naming() -> None:
    words = block_words("The council voted on Tuesday. The city’s rainy-day funds, and the fund's reserve, grew.")
    # Runs of words between punctuation, each with its sentence number.
    assert [([word.surface for word in run], sentence) for run, sentence in words.runs] == [
        (["The", "council", "voted", "on", "Tuesday"], 0),
        (["The", "city's", "rainy-day", "funds"], 1),
        (["and", "the", "fund's", "reserve"], 1),
        (["grew"], 1),
    ]
    # Content stems in order: inflections and possessives meet; stopwords are left out.
    content = ("council", "voted", "tuesday", "city", "rainy-day", "funds", "fund", "reserve", "grew")
    assert words.stems == tuple(stem(word) for word in content)
    assert stem("voted") in words.verbs  # "council voted": a verb, so never the end of a name
    assert {stem("tuesday"), stem("fund"), stem("reserve")} <= set(words.heads)
    # "Tuesday" is a name mid-sentence; "The" opening a sentence is not.
    assert [word.proper for word in words.runs[0][0]] == [False, False, False, False, True]


@pytest.mark.parametrize(
    ("common", "rare"), [("people", "redistricting"), ("time", "ridership"), ("make", "compactness")]
)
def test_rarity_weighs_everyday_words_below_topic_words(common: str, rare: str) -> None:
    assert RARITY_FLOOR <= rarity(common) < rarity(rare) <= RARITY_CEILING
    # A word no list knows (a coined name) weighs the most.
    assert rarity("zzyzxqat") == RARITY_CEILING


def test_paragraphs_longer_than_any_section_still_split_at_the_topic_change() -> None:
    # Two 900-word paragraphs on two subjects with a one-line aside between them: no section can
    # stay under the usual length bound, so the bound gives way rather than the partition.
    transit, library = " ".join(TRANSIT * 3), " ".join(LIBRARY * 2)
    blocks = paragraphs([transit, "So much for that.", library])
    sections = find_sections(blocks)
    assert_partition(sections, blocks)
    assert len(sections) == 2
    assert sections[0].blocks[0].text == transit and sections[-1].blocks[-1].text == library


# A section that keeps returning to its subject (the ferry timetable) in sentence after sentence,
# with an aside that repeats a rarer name several times in one sentence.
FERRY = [
    (
        "The harbour ferry timetable changed again this month. The new timetable drops the early "
        "sailing, and commuters who relied on it now wait forty minutes on the pier. Nobody at the "
        "port office explained why the timetable changed."
    ),
    (
        "A deckhand called Oskarsson, Oskarsson of the night crew, Oskarsson who has worked the "
        "route for years, told me the engines are tired. The timetable, he said, follows the "
        "engines now, not the passengers. A timetable built around breakdowns is no timetable."
    ),
    (
        "Quickly replacing the engines would cost money the port does not have, so the timetable "
        "will probably keep shrinking. Riders deserve a published timetable they can plan a week "
        "around, and a date for the new engines."
    ),
]


def test_names_follow_the_word_a_section_keeps_returning_to_and_never_open_with_an_adverb() -> None:
    blocks = paragraphs(FERRY)
    (name,) = name_sections(blocks, [(0, len(blocks))])
    assert "timetable" in name.lower(), name
    assert "oskarsson" not in name.lower(), name
    first, last = name.split()[0].lower(), name.split()[-1].lower()
    assert not first.endswith("ly") and not last.endswith("ly"), name
