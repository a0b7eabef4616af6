"""Tests for finding and resolving references to earlier posts."""

from __future__ import annotations

from datetime import date

import pytest

from bot.essays.model import Block, Reference, Section
from bot.essays.references import ReferenceCandidate, find_references, normalise_url, resolve_references

PUBLISHED = date(2025, 1, 15)
BLOG = "https://www.harborledger-notes.example/2025/01/the-reserve-again.html"


def make_sections(*texts: str) -> list[Section]:
    """One section per text, each text one paragraph."""
    return [
        Section(index=i, title=f"Topic {i}", blocks=(Block("paragraph", text),), start=i - 1, end=i)
        for i, text in enumerate(texts, start=1)
    ]


def only(refs: list[Reference]) -> Reference:
    assert len(refs) == 1, refs
    return refs[0]


# --- dated and titled mentions ---------------------------------------------------------------


def test_dated_mention_without_year_takes_the_year_from_the_essay() -> None:
    text = "The council ignored this before; see also my March 9th Transit Fund Follies blog for the details."
    ref = only(find_references(make_sections(text), published=PUBLISHED))
    # March 9th is after January 15th, so the most recent March 9th is the previous year's.
    assert ref.date == date(2024, 3, 9)
    assert ref.title == "Transit Fund Follies"
    assert ref.section == 1
    assert ref.text == text


def test_dated_mention_earlier_in_the_same_year() -> None:
    ref = only(
        find_references(make_sections("Readers of my January 2nd post will remember the numbers."), published=PUBLISHED)
    )
    assert ref.date == date(2025, 1, 2)
    assert ref.title is None


def test_full_date_and_quoted_title() -> None:
    text = "I made the case in my March 9, 2023 post, “Why the Reserve Exists,” and nothing has changed it."
    ref = only(find_references(make_sections(text), published=PUBLISHED))
    assert ref.date == date(2023, 3, 9)
    assert ref.title == "Why the Reserve Exists"


def test_earlier_post_on_a_capitalised_or_plain_topic() -> None:
    sections = make_sections(
        "The fund is large (see my earlier post on Rainy-Day Funds and Their Limits).",
        "It is also misunderstood (see my earlier post on the rainy-day fund).",
    )
    first, second = find_references(sections, published=PUBLISHED)
    assert (first.section, first.title, first.date) == (1, "Rainy-Day Funds and Their Limits", None)
    assert (second.section, second.title, second.date) == (2, None, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("As I wrote last week, the council has no plan.", date(2025, 1, 8)),
        ("As I argued last month, the maps were drawn for incumbents.", date(2024, 12, 16)),
        ("As I noted in November, the library lost its Sunday hours.", date(2024, 11, 15)),
        ("As I said yesterday, the vote is close.", date(2025, 1, 14)),
        ("I explained the mechanics in a previous post.", None),
        ("I wrote about this in 2019, when the fund was half its size.", None),
        ("As I have argued before, the council dithers.", None),
        ("I pointed out two weeks ago that the bus numbers were missing.", date(2025, 1, 1)),
    ],
)
def test_relative_phrases(text: str, expected: date | None) -> None:
    ref = only(find_references(make_sections(text), published=PUBLISHED))
    assert ref.date == expected
    assert ref.title is None
    assert ref.url is None


def test_relative_phrase_without_publication_date_has_no_date() -> None:
    ref = only(find_references(make_sections("As I wrote last week, the council has no plan.")))
    assert ref.date is None


@pytest.mark.parametrize(
    "text",
    [
        "I wrote to the mayor last week about the buses.",
        "You can subscribe to my blog for updates.",
        "My neighbour said the buses were late again in March.",
        "The court wrote in its opinion last week that the maps fail.",
    ],
)
def test_ordinary_sentences_are_not_references(text: str) -> None:
    assert find_references(make_sections(text), published=PUBLISHED) == []


def test_two_dated_posts_in_one_sentence() -> None:
    text = "Compare my March 9th Transit Fund Follies post with my April 2nd Bond Rating Blues post."
    refs = find_references(make_sections(text), published=PUBLISHED)
    assert {(r.date, r.title) for r in refs} == {
        (date(2024, 3, 9), "Transit Fund Follies"),
        (date(2024, 4, 2), "Bond Rating Blues"),
    }


# --- links ------------------------------------------------------------------------------------


def test_links_to_the_blogs_own_posts_become_references() -> None:
    sections = make_sections(
        "The transit fight is old news here.",
        "The commission drew the county maps for incumbents, as the ruling found.",
    )
    links = [
        "https://harborledger-notes.example/2024/03/transit-fund-follies.html",
        "https://www.harborledger-notes.example/2023/11/09/county-maps-commission-incumbents/",
        "https://harborledger-notes.example/2024/03/transit-fund-follies.html?m=1#comments",  # same post
        BLOG,  # the essay itself
        "https://harborledger-notes.example/",  # the home page
        "https://harborledger-notes.example/search/label/transit",  # a label page
        "https://other-paper.example/2024/05/some-story.html",  # someone else's site
    ]
    refs = find_references(sections, published=PUBLISHED, blog_url=BLOG, links=links)
    assert [(r.url, r.date, r.section) for r in refs] == [
        (links[0], date(2024, 3, 1), 1),
        (links[1], date(2023, 11, 9), 2),
    ]
    assert all(r.title is None for r in refs)


def test_a_link_and_a_dated_mention_of_the_same_post_are_one_reference() -> None:
    text = "See my March 9th Transit Fund Follies post."
    link = "https://harborledger-notes.example/2024/03/09/transit-fund-follies/"
    ref = only(find_references(make_sections(text), published=PUBLISHED, blog_url=BLOG, links=[link]))
    assert (ref.date, ref.title, ref.url) == (date(2024, 3, 9), "Transit Fund Follies", link)


def test_links_need_a_blog_url() -> None:
    link = "https://harborledger-notes.example/2024/03/transit-fund-follies.html"
    assert find_references(make_sections("Nothing here."), links=[link]) == []


def test_normalise_url() -> None:
    assert normalise_url("https://www.Example.com/2024/03/post.html?m=1&utm_source=x#top") == (
        "example.com/2024/03/post.html"
    )
    assert normalise_url("http://example.com/p/slug/") == normalise_url("https://example.com/p/slug")
    assert normalise_url("https://example.com/?p=12") == "example.com?p=12"


# --- resolution -------------------------------------------------------------------------------

ARCHIVE = [
    ReferenceCandidate("k-follies", "https://harborledger-notes.example/2024/03/transit-fund-follies.html",
                       "Transit Fund Follies", date(2024, 3, 9)),
    ReferenceCandidate("k-bonds", "https://harborledger-notes.example/2024/03/bond-rating.html",
                       "What the Bond Raters Want", date(2024, 3, 9)),
    ReferenceCandidate("k-reserve", "https://harborledger-notes.example/2023/03/reserve.html",
                       "Why the Reserve Exists", date(2023, 3, 9)),
    ReferenceCandidate("k-maps", "https://harborledger-notes.example/2025/01/maps.html",
                       "The County Maps Case", date(2025, 1, 7)),
    ReferenceCandidate("k-library", "https://harborledger-notes.example/2024/11/library.html",
                       "Sunday Hours at the Library", date(2024, 11, 12)),
    ReferenceCandidate("k-buses", "https://harborledger-notes.example/2025/01/buses.html",
                       "Counting Bus Riders", date(2025, 1, 9)),
    ReferenceCandidate("k-old", None, "Rainy-Day Funds and Their Limits", date(2019, 6, 2)),
]  # fmt: skip


def resolve_text(text: str) -> Reference:
    refs = find_references(make_sections(text), published=PUBLISHED)
    return only(resolve_references(refs, ARCHIVE))


def test_resolution_by_url_ignores_www_scheme_and_tracking() -> None:
    ref = Reference("link", 1, url="http://www.harborledger-notes.example/2024/03/transit-fund-follies.html?m=1")
    (resolved,) = resolve_references([ref], ARCHIVE)
    assert resolved.resolved_key == "k-follies"
    assert ref.resolved_key is None  # a copy, the input is untouched


def test_resolution_by_date_and_title() -> None:
    # Two posts on March 9th: the title decides.
    assert resolve_text("See also my March 9th Transit Fund Follies blog.").resolved_key == "k-follies"
    assert resolve_text("See my March 9th What the Bond Raters Want post.").resolved_key == "k-bonds"
    ref = resolve_text("I made the case in my March 9, 2023 post, “Why the Reserve Exists,” and still do.")
    assert ref.resolved_key == "k-reserve"


def test_same_day_without_title_is_ambiguous_when_two_posts_share_it() -> None:
    assert resolve_text("Readers of my March 9th post will remember.").resolved_key is None


def test_relative_phrase_resolves_within_its_window_by_topic() -> None:
    # "last week" from January 15th: the maps post (Jan 7) and the bus post (Jan 9) both fit;
    # the sentence's words pick the maps one.
    ref = resolve_text("As I wrote last week, the county maps case is not over.")
    assert ref.resolved_key == "k-maps"
    assert resolve_text("As I wrote last week, nothing is settled.").resolved_key is None


def test_month_phrase_with_one_post_in_the_window() -> None:
    assert resolve_text("As I noted in November, the branches close too early.").resolved_key == "k-library"


def test_year_and_title_resolution() -> None:
    ref = resolve_text("I wrote about this in 2019 (see my earlier post on Rainy-Day Funds and Their Limits).")
    assert ref.resolved_key == "k-old"


def test_unrelated_references_stay_unresolved() -> None:
    assert resolve_text("I explained the mechanics in a previous post.").resolved_key is None
    ref = resolve_text("See my earlier post on Parking Meters and Permits.")
    assert ref.resolved_key is None
    assert resolve_references([], ARCHIVE) == []


# --- long titles, two posts in one sentence, and links carried by a phrase ---------------------


def test_a_long_title_between_the_date_and_the_noun() -> None:
    text = "(See also my January 6th Why Every Small Town Needs a Second Bus Route blog for the history.)"
    ref = only(find_references(make_sections(text), published=PUBLISHED))
    assert ref.date == date(2025, 1, 6)
    assert ref.title == "Why Every Small Town Needs a Second Bus Route"


def test_a_differently_dated_phrase_in_the_same_sentence_is_a_second_post() -> None:
    text = "Read my January 3rd post on ferry fares, and, as I argued last year, the subsidy is the problem."
    refs = find_references(make_sections(text), published=PUBLISHED)
    assert len(refs) == 2
    assert refs[0].date == date(2025, 1, 3)
    assert refs[1].date is not None and refs[1].date.year == 2024


def test_a_phrase_and_the_link_it_carries_are_one_reference() -> None:
    text = "As I wrote in my piece on the ferry timetable, nobody reads the small print."
    link = "https://www.harborledger-notes.example/2024/11/ferry-timetable.html"
    refs = find_references(make_sections(text), published=PUBLISHED, blog_url=BLOG, links=[link])
    ref = only(refs)
    assert ref.text == text
    assert ref.url == link
