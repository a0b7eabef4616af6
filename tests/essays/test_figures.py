"""Tests for finding cited figures in essay prose. All sentences are written for these tests."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.essays.figures import find_figures
from bot.essays.model import Block, BlockKind, Figure, Section

PUBLISHED = date(2025, 1, 15)


def _section(*texts: str, index: int = 1, kind: BlockKind = "paragraph") -> Section:
    blocks = tuple(Block(kind, text) for text in texts)
    return Section(index=index, title="t", blocks=blocks, start=0, end=len(blocks))


def figures(text: str, published: date | None = PUBLISHED) -> list[Figure]:
    return find_figures([_section(text)], published=published)


def by_text(text: str, figure_text: str) -> Figure:
    found = figures(text)
    matches = [figure for figure in found if figure.text == figure_text]
    assert matches, f"no figure {figure_text!r} in {[f.text for f in found]}"
    return matches[0]


# (sentence, figure text, expected fields). Only the fields listed are checked.
POSITIVE: list[tuple[str, str, dict[str, Any]]] = [
    # money
    (
        "The governor now wants a $41 billion rainy-day fund before the next recession.",
        "$41 billion",
        {"kind": "money", "value": 41e9, "unit": "USD", "subject": "rainy-day fund"},
    ),
    (
        "Congress has already set aside $76 billion for the bridge program.",
        "$76 billion",
        {"kind": "money", "value": 76e9, "unit": "USD", "subject": "bridge program"},
    ),
    (
        "Brussels quietly found €3.2m for the pilot scheme.",
        "€3.2m",
        {"kind": "money", "value": 3.2e6, "unit": "EUR", "subject": "pilot scheme"},
    ),
    (
        "The Treasury pledged £40bn to the new housing agency.",
        "£40bn",
        {"kind": "money", "value": 40e9, "unit": "GBP"},
    ),
    (
        "A debt of $1.2 trillion does not vanish because we stop talking about it.",
        "$1.2 trillion",
        {"kind": "money", "value": 1.2e12, "unit": "USD", "subject": "debt"},
    ),
    (
        "The package provides $88.4 billion over four years in new spending.",
        "$88.4 billion",
        {"kind": "money", "value": 88.4e9, "unit": "USD", "subject": "new spending"},
    ),
    (
        "The council voted to spend more than $76 billion on roads it cannot maintain.",
        "more than $76 billion",
        {"kind": "money", "value": 76e9, "qualifier": "more than", "subject": "roads"},
    ),
    (
        "The museum's budget was $2–3 billion, depending on who did the counting.",
        "$2–3 billion",
        {"kind": "money", "value": 2e9, "value_high": 3e9, "unit": "USD", "subject": "museum's budget"},
    ),
    (
        "The settlement was worth 5 million dollars to the town.",
        "5 million dollars",
        {"kind": "money", "value": 5e6, "unit": "USD"},
    ),
    (
        "Each stamp now costs 73 cents, up from 68.",
        "73 cents",
        {"kind": "money", "value": 0.73, "unit": "USD"},
    ),
    # per unit and ratios
    (
        "Hartfield spends $3,912 more per resident than any of its neighbours.",
        "$3,912 more per resident",
        {"kind": "per_unit", "value": 3912.0, "unit": "USD per resident", "subject": "Hartfield"},
    ),
    (
        "Health care there costs $11,400 per capita, the highest in the region.",
        "$11,400 per capita",
        {"kind": "per_unit", "value": 11400.0, "unit": "USD per capita"},
    ),
    (
        "Warehouse jobs now pay $19 an hour, which is still not enough to rent alone.",
        "$19 an hour",
        {"kind": "per_unit", "value": 19.0, "unit": "USD per hour"},
    ),
    (
        "By the auditor's reckoning the program returns $1.31 for every dollar spent.",
        "$1.31 for every dollar spent",
        {"kind": "ratio", "value": 1.31, "unit": "USD per USD", "subject": "program"},
    ),
    (
        "Investors got back $4 for every $1 they put into the bonds.",
        "$4 for every $1",
        {"kind": "ratio", "value": 4.0, "unit": "USD per USD"},
    ),
    (
        "Registered Democrats outnumber Republicans 3 to 1 in the county.",
        "3 to 1",
        {"kind": "ratio", "value": 3.0},
    ),
    (
        "Readers preferred the shorter version by a three-to-one margin.",
        "three-to-one",
        {"kind": "ratio", "value": 3.0, "subject": "margin"},
    ),
    (
        "The court's 6-3 ruling surprised nobody who had read the oral argument.",
        "6-3",
        {"kind": "ratio", "value": 2.0, "subject": "ruling"},
    ),
    (
        "Roughly one in five renters spends half of their income on housing.",
        "Roughly one in five",
        {"kind": "ratio", "value": 0.2, "subject": "renters", "qualifier": "roughly"},
    ),
    (
        # A unanimous tally has no finite quotient: a figure without a value, never a crash.
        "The Supreme Court ruled 9-0 that the tariff was lawful.",
        "9-0",
        {"kind": "ratio", "value": None},
    ),
    (
        "The bill cleared the House 218-212 after a long night.",
        "218-212",
        {"kind": "ratio", "value": 218 / 212},
    ),
    (
        "Overdose deaths reached 32 per 100,000 residents last year.",
        "32 per 100,000 residents",
        {"kind": "per_unit", "value": 32.0, "unit": "per 100,000 residents", "subject": "Overdose deaths"},
    ),
    (
        "The ministry booked ¥500 billion for the games.",
        "¥500 billion",
        {"kind": "money", "value": 500e9, "unit": "JPY"},
    ),
    (
        "Exporters were promised US$5 billion in credit.",
        "US$5 billion",
        {"kind": "money", "value": 5e9, "unit": "USD", "subject": "credit"},
    ),
    # A change ("grew from A to B") is two figures, per the labelling conventions; a range needs
    # "between ... and" or "anywhere from".
    (
        "The fund grew from $1bn to $2bn in a single year.",
        "$1bn",
        {"kind": "money", "value": 1e9, "value_high": None, "subject": "fund"},
    ),
    (
        "The fund grew from $1bn to $2bn in a single year.",
        "$2bn",
        {"kind": "money", "value": 2e9, "value_high": None},
    ),
    # percentages and points
    (
        "Only 45% of eligible voters bothered to turn out.",
        "45%",
        {"kind": "percent", "value": 45.0, "unit": "%", "subject": "eligible voters"},
    ),
    (
        "Nearly 45 percent of the budget goes to pensions.",
        "Nearly 45 percent",
        {"kind": "percent", "value": 45.0, "unit": "%", "qualifier": "nearly", "subject": "budget"},
    ),
    (
        "About 12 per cent of households own a second home.",
        "About 12 per cent",
        {"kind": "percent", "value": 12.0, "qualifier": "about", "subject": "households"},
    ),
    (
        "Between 30 and 40 percent of the claims were never reviewed.",
        "Between 30 and 40 percent",
        {"kind": "percent", "value": 30.0, "value_high": 40.0, "unit": "%", "subject": "claims"},
    ),
    (
        "Somewhere from 15 to 20 percent of the seats will change hands.",
        "from 15 to 20 percent",
        {"kind": "percent", "value": 15.0, "value_high": 20.0},
    ),
    (
        "Unemployment rose to 4.5 percent in March.",
        "4.5 percent",
        {"kind": "percent", "value": 4.5, "subject": "Unemployment"},
    ),
    (
        "Turnout fell 4.5 percentage points from the last midterm.",
        "4.5 percentage points",
        {"kind": "percentage_points", "value": 4.5, "unit": "pp", "subject": "Turnout"},
    ),
    (
        "The central bank raised rates by 50 basis points.",
        "50 basis points",
        {"kind": "percentage_points", "value": 0.5, "unit": "pp"},
    ),
    # counts
    (
        "Nineteen mayors signed the letter within a day.",
        "Nineteen",
        {"kind": "count", "value": 19.0, "unit": None, "subject": "mayors"},
    ),
    (
        "Officials from 14 other states have asked for the same waiver.",
        "14",
        {"kind": "count", "value": 14.0, "subject": "states"},
    ),
    (
        "Texas joined the suit, and 22 other followed within the week.",
        "22",
        {"kind": "count", "value": 22.0, "subject": None},
    ),
    (
        "Twenty-three senators crossed the aisle on the final vote.",
        "Twenty-three",
        {"kind": "count", "value": 23.0, "subject": "senators"},
    ),
    (
        "By my count twenty-three bills died in committee this session.",
        "twenty-three",
        {"kind": "count", "value": 23.0, "subject": "bills"},
    ),
    (
        "A dozen county clerks refused to certify the result.",
        "A dozen",
        {"kind": "count", "value": 12.0, "subject": "county clerks"},
    ),
    (
        "The law now covers more than 120 million people.",
        "more than 120 million",
        {"kind": "count", "value": 120e6, "qualifier": "more than", "subject": "people"},
    ),
    (
        "Some 5 million households still lack broadband.",
        "Some 5 million",
        {"kind": "count", "value": 5e6, "qualifier": "some", "subject": "households"},
    ),
    (
        "At least 2,000 people marched past the statehouse.",
        "At least 2,000",
        {"kind": "count", "value": 2000.0, "qualifier": "at least", "subject": "people"},
    ),
    (
        "That week 2000 people marched past the statehouse.",
        "2000",
        {"kind": "count", "value": 2000.0, "subject": "people"},
    ),
    (
        "Fewer than 12 firms bid on the contract, and up to 3,000 jobs depend on it.",
        "up to 3,000",
        {"kind": "count", "value": 3000.0, "qualifier": "up to", "subject": "jobs"},
    ),
    (
        "Fewer than 12 firms bid on the contract.",
        "Fewer than 12",
        {"kind": "count", "value": 12.0, "qualifier": "fewer than", "subject": "firms"},
    ),
    (
        "Approximately 40,000 tenants face eviction this winter.",
        "Approximately 40,000",
        {"kind": "count", "value": 40000.0, "qualifier": "approximately", "subject": "tenants"},
    ),
    (
        "The panel heard from roughly 300 registered voters.",
        "roughly 300",
        {"kind": "count", "value": 300.0, "qualifier": "roughly", "subject": "registered voters"},
    ),
    (
        "The clinic treated 20 to 30 patients a night.",
        "20 to 30",
        {"kind": "count", "value": 20.0, "value_high": 30.0, "subject": "patients"},
    ),
    (
        "A 15-member board will oversee the fund.",
        "15",
        {"kind": "count", "value": 15.0, "subject": "member board"},
    ),
    (
        "The tally showed 1,004 adults had answered the survey.",
        "1,004",
        {"kind": "count", "value": 1004.0, "subject": "adults"},
    ),
    # years
    (
        "The fund has existed since 1934, longer than most of its critics.",
        "1934",
        {"kind": "year", "value": 1934.0, "unit": "year"},
    ),
    (
        "The strike of 1919 still shapes the city's labour politics.",
        "1919",
        {"kind": "year", "value": 1919.0, "unit": "year"},
    ),
    (
        "In 2000 people were, on average, poorer than they are now.",
        "2000",
        {"kind": "year", "value": 2000.0},
    ),
    (
        "The statute was rewritten between 1990 and 1995.",
        "between 1990 and 1995",
        {"kind": "year", "value": 1990.0, "value_high": 1995.0, "unit": "year"},
    ),
    (
        "Those were the reforms of 1990-95, mostly forgotten now.",
        "1990-95",
        {"kind": "year", "value": 1990.0, "value_high": 1995.0},
    ),
    (
        "Nobody in the 1990s imagined a majority this thin.",
        "1990s",
        {"kind": "year", "value": 1990.0, "value_high": 1999.0, "unit": "year"},
    ),
    (
        "Biden's 2021 plan never made it out of the Senate.",
        "2021",
        {"kind": "year", "value": 2021.0},
    ),
    # dates
    (
        "The hearing is set for June 3rd, after the recess.",
        "June 3rd",
        {"kind": "date", "value": None, "unit": "2025-06-03"},
    ),
    (
        "The ballots were mailed on June 3 without a cover letter.",
        "June 3",
        {"kind": "date", "unit": "2025-06-03"},
    ),
    (
        "Parliament was dissolved on 3 June 2024 with little warning.",
        "3 June 2024",
        {"kind": "date", "unit": "2024-06-03"},
    ),
    (
        "See also my March 9th post on the transit levy.",
        "March 9th",
        {"kind": "date", "unit": "2025-03-09"},
    ),
    (
        "The board met on December 12 and adjourned without a vote.",
        "December 12",
        {"kind": "date", "unit": "2024-12-12"},
    ),
    (
        "The riot on Jan. 6, 2021 is still litigated in op-eds.",
        "Jan. 6, 2021",
        {"kind": "date", "unit": "2021-01-06"},
    ),
    (
        "The ordinance took effect in March 2023.",
        "March 2023",
        {"kind": "date", "unit": "2023-03"},
    ),
    # times
    (
        "The polls open at 9 AM Eastern in most of the state.",
        "9 AM Eastern",
        {"kind": "time", "value": None, "unit": "09:00 ET"},
    ),
    (
        "The results were called at 9:30 p.m. ET on a Tuesday.",
        "9:30 p.m. ET",
        {"kind": "time", "unit": "21:30 ET"},
    ),
    (
        "Markets in London close at 16:30 GMT, an hour after ours.",
        "16:30 GMT",
        {"kind": "time", "unit": "16:30 GMT"},
    ),
    (
        "The embargo lifts at noon GMT on Friday.",
        "noon GMT",
        {"kind": "time", "unit": "12:00 GMT"},
    ),
    (
        "The session began at 10 a.m. and ran long.",
        "10 a.m.",
        {"kind": "time", "unit": "10:00"},
    ),
    # durations
    (
        "The program will run for four years unless renewed.",
        "four years",
        {"kind": "duration", "value": 4.0, "unit": "years"},
    ),
    (
        "The appeal took 18 months to reach the panel.",
        "18 months",
        {"kind": "duration", "value": 18.0, "unit": "months"},
    ),
    (
        "For three decades the seat has belonged to one family.",
        "three decades",
        {"kind": "duration", "value": 30.0, "unit": "years"},  # decades are counted in years
    ),
    (
        "The agency has 90 days to respond to the petition.",
        "90 days",
        {"kind": "duration", "value": 90.0, "unit": "days"},
    ),
    (
        "She is running for a second four-year term.",
        "four-year",
        {"kind": "duration", "value": 4.0, "unit": "years", "subject": "term"},
    ),
    (
        "It took nearly 48 hours to count the mail ballots.",
        "nearly 48 hours",
        {"kind": "duration", "value": 48.0, "unit": "hours", "qualifier": "nearly"},
    ),
]


@pytest.mark.parametrize(("sentence", "figure_text", "expected"), POSITIVE)
def test_figure_is_found_with_its_fields(sentence: str, figure_text: str, expected: dict[str, Any]) -> None:
    figure = by_text(sentence, figure_text)
    for field_name, value in expected.items():
        assert getattr(figure, field_name) == value, (field_name, figure)
    assert figure.context == sentence
    assert figure.section == 1


NEGATIVE = [
    "He ordered his third coffee before the second reading of the bill.",
    "It was the 3rd time this month that the council failed to reach a quorum.",
    "In her second term she finally got the first of her reforms passed.",
    "No one on the committee wanted to be the one who said it aloud.",
    "One of the senators called it a disgrace, and one another's motives were questioned.",
    "See Part 2 and Chapter 3 of the report, and § 4 of the statute.",
    "The case turns on Section 230 and Article 5, and on Rule 11 sanctions.",
    "Call the campaign office at 555-123-4567 or (202) 555-0143 before Friday.",
    "The hotline is staffed 24/7 by volunteers.",
    "The scraper was rewritten for Python 3.11 and then 3.12.1.",
    "Hundreds of protesters and thousands of police filled the square; dozens were hurt.",
    "The F-35 program and the COVID-19 relief bill both ran over budget.",
    "Every K-12 district in the state filed the same complaint.",
    "The White House sits at 1600 Pennsylvania Avenue, as every civics class learns.",
    "The Title 42 order expired, and Super Bowl 50 was played in California.",
    "The two of them agreed, and the three who dissented said nothing.",
    "A year ago a reporter asked a simple question.",
    "One day the committee will have to answer for this.",
    "As the report notes.[12] The claim is disputed.",
    "The memo lists the options as (1) delay and (2) repeal.",
    "Read it at https://example.org/2024/05/post-123456 if you must.",
    "The file was called report-final and dated 0900 on the cover.",
    "The iPhone 5 and the Boeing 737 were both discussed.",
    "The rule applies to anything divisible by 3 or 5.",
]


@pytest.mark.parametrize("sentence", NEGATIVE)
def test_no_false_figures(sentence: str) -> None:
    assert figures(sentence) == []


def test_list_numbering_is_not_a_count() -> None:
    section = _section("1. Repeal the levy.", "2) Refund the 40,000 households.", kind="item")
    found = find_figures([section])
    assert [(figure.text, figure.kind, figure.subject) for figure in found] == [("40,000", "count", "households")]


def test_several_figures_in_reading_order_with_sections_and_contexts() -> None:
    first = _section(
        "The state spent nearly $4.2 billion on prisons in 2023. That was roughly 7 percent of its budget.",
        index=1,
    )
    second = _section("Nineteen mayors objected on June 3rd.", index=2)
    found = find_figures([first, second], published=date(2025, 7, 1))
    assert [(figure.text, figure.kind, figure.section) for figure in found] == [
        ("nearly $4.2 billion", "money", 1),
        ("2023", "year", 1),
        ("roughly 7 percent", "percent", 1),
        ("Nineteen", "count", 2),
        ("June 3rd", "date", 2),
    ]
    assert found[0].subject == "prisons"
    assert found[0].context == "The state spent nearly $4.2 billion on prisons in 2023."
    assert found[2].context == "That was roughly 7 percent of its budget."
    assert found[2].subject == "budget"
    assert found[4].unit == "2025-06-03"


def test_sentence_context_survives_abbreviations() -> None:
    text = "Mr. Hale told the U.S. Senate that St. Louis needs $1.5 billion. Dr. Ruiz disagreed."
    figure = by_text(text, "$1.5 billion")
    assert figure.context == "Mr. Hale told the U.S. Senate that St. Louis needs $1.5 billion."


@pytest.mark.parametrize(
    ("published", "expected"),
    [
        (date(2025, 1, 10), "2024-12-20"),  # a December date in a January essay is last December
        (date(2024, 12, 1), "2024-12-20"),
        (date(2025, 11, 30), "2025-12-20"),
        (None, "--12-20"),
    ],
)
def test_a_date_without_a_year_takes_the_nearest_year(published: date | None, expected: str) -> None:
    (figure,) = figures("The vote is scheduled for December 20th.", published=published)
    assert figure.kind == "date"
    assert figure.unit == expected


def test_impossible_dates_are_dropped() -> None:
    assert figures("The memo is dated February 30, 2023.") == []


def test_a_year_before_a_plural_noun_is_a_count_unless_a_preposition_says_year() -> None:
    assert [(f.kind, f.value) for f in figures("Last spring 1500 nurses walked out.")] == [("count", 1500.0)]
    assert [(f.kind, f.value) for f in figures("Since 1968 nurses have walked out twice.")] == [("year", 1968.0)]


def test_money_text_keeps_the_per_unit_phrase_and_a_following_duration_is_separate() -> None:
    found = figures("The levy raises $600 million a year for transit over the next 10 years.")
    assert [(f.text, f.kind, f.unit) for f in found] == [
        ("$600 million a year", "per_unit", "USD per year"),
        ("10 years", "duration", "years"),
    ]
    assert found[0].subject == "transit"


def test_a_number_word_without_a_noun_is_not_a_figure_but_larger_digits_are() -> None:
    assert figures("Of the nine, only two voted to hear the case.") == []
    found = figures("Of the 50 who applied, only 12 were admitted.")
    assert [(f.text, f.kind) for f in found] == [("50", "count"), ("12", "count")]


def test_figures_inside_quotations_are_found() -> None:
    found = figures("“We lost 4,000 jobs in a single quarter,” the mayor said.")
    assert [(f.text, f.kind, f.subject) for f in found] == [("4,000", "count", "jobs")]


def test_a_long_essay_keeps_every_figure() -> None:
    paragraph = (
        "The city spent $12 million on consultants in 2022. About 40 percent of that went to one firm. "
        "Seventeen council members voted for the contract, which runs for five years. "
    )
    section = _section(*([paragraph] * 30))
    found = find_figures([section], published=PUBLISHED)
    assert len(found) == 30 * 5
    assert {figure.kind for figure in found} == {"money", "year", "percent", "count", "duration"}


def test_an_iso_date_in_prose_is_a_date() -> None:
    (figure,) = figures("The order, dated 2024-11-05, was never served.")
    assert (figure.kind, figure.unit, figure.value) == ("date", "2024-11-05", None)


# --- rules from the labelling conventions (tests/fixtures/labelled/README.md) --------------------


@pytest.mark.parametrize(
    ("sentence", "figure_text", "expected"),
    [
        # money for every <noun> is per_unit; "annually" is per year
        (
            "The levy works out to $212 for every tenant in the building.",
            "$212 for every tenant",
            {"kind": "per_unit", "value": 212.0, "unit": "USD per tenant"},
        ),
        (
            "The upgrade will cost the port €4.5 million annually.",
            "€4.5 million annually",
            {"kind": "per_unit", "value": 4.5e6, "unit": "EUR per year"},
        ),
        # a ratio whose two sides a short phrase separates
        (
            "The charity spends 41 cents on mailings and galas for every dollar of grants.",
            "41 cents on mailings and galas for every dollar",
            {"kind": "ratio", "value": 0.41, "unit": "USD per USD"},
        ),
        # a vote margin in points is percentage points
        (
            "The levy passed by 18 points in a county that voted against the last one.",
            "18 points",
            {"kind": "percentage_points", "value": 18.0, "unit": "pp"},
        ),
        # a year before a singular noun
        (
            "The mayor's 2027 budget trims the parks department.",
            "2027",
            {"kind": "year", "value": 2027.0, "unit": "year"},
        ),
        # centuries in years
        (
            "The bridge stood for two centuries before the flood.",
            "two centuries",
            {"kind": "duration", "value": 200.0, "unit": "years"},
        ),
        # "a hundred" is a number
        (
            "The guild kept its books by hand for a hundred years.",
            "a hundred years",
            {"kind": "duration", "value": 100.0, "unit": "years"},
        ),
        # "anywhere from A to B" is a range
        (
            "Estimates run anywhere from 300 to 450 jobs.",
            "from 300 to 450",
            {"kind": "count", "value": 300.0, "value_high": 450.0},
        ),
    ],
)
def test_convention_rules(sentence: str, figure_text: str, expected: dict[str, Any]) -> None:
    figure = by_text(sentence, figure_text)
    for field_name, value in expected.items():
        assert getattr(figure, field_name) == value, (field_name, figure)


def test_a_change_from_one_rate_to_another_is_two_figures() -> None:
    found = figures("Turnout fell from 64% to 52% after the polling places moved.")
    assert [(f.text, f.kind, f.value, f.value_high) for f in found] == [
        ("64%", "percent", 64.0, None),
        ("52%", "percent", 52.0, None),
    ]


def test_under_before_a_small_number_word_is_no_qualifier() -> None:
    found = figures("She ran the library under three mayors and never lost a budget fight.")
    assert [(f.text, f.kind, f.value, f.qualifier) for f in found] == [("three", "count", 3.0, None)]


def test_a_number_word_inside_a_title_and_a_round_the_clock_hour_are_no_figures() -> None:
    text = "As my May 4th Seven Bridges and a Ferry post said, the 24-hour news channels ignored it."
    assert [f.text for f in figures(text, published=date(2025, 6, 1))] == ["May 4th"]


@pytest.mark.parametrize(
    ("sentence", "published", "unit"),
    [
        # far enough back in the same year: still the essay's year
        ("The review began on February 3rd.", date(2025, 9, 20), "2025-02-03"),
        # later in the year: the same year too
        ("The board meets again on November 12th.", date(2025, 9, 20), "2025-11-12"),
        # more than eight months away and nearer in the neighbouring year
        ("The audit closed on December 29th.", date(2025, 1, 10), "2024-12-29"),
        # "next" points forward
        ("The vote is scheduled for next March 2nd.", date(2025, 9, 20), "2026-03-02"),
    ],
)
def test_dates_without_a_year(sentence: str, published: date, unit: str) -> None:
    (figure,) = [f for f in figures(sentence, published=published) if f.kind == "date"]
    assert figure.unit == unit


# Subjects: what each figure counts or dates, as /figures shows it. (sentence, figure text, subject)
SUBJECTS: list[tuple[str, str, str | None]] = [
    # a year or date right before its noun dates that noun
    ("The 1987 flood ruined half of the parish archive.", "1987", "flood"),
    # a date or year tied by a preposition to the phrase before it
    ("The union called a strike vote on October 2nd.", "October 2nd", "strike vote"),
    ("The levy was agreed at a public hearing in 2016.", "2016", "public hearing"),
    # ...but a verb before the preposition hands over to the clause's subject
    ("The council meets at 6 PM in the library annex.", "6 PM", "council"),
    ("Ferry fares spiked in 2017 and never recovered.", "2017", "Ferry fares"),
    ("The rules will change on July 1st.", "July 1st", "rules"),
    ("The Harbour Trust rebuilt it in 1962.", "1962", "Harbour Trust"),
    ("The fund has existed since 1934, longer than most of its critics.", "1934", "fund"),
    # an opening year dates what the clause goes on to say
    ("In 1998 the water board doubled its rates.", "1998", "water board"),
    # a span "after" an event is measured from it
    ("Thirty years after the mill closed, the town still argues about it.", "Thirty years", "mill"),
    # a date or year right after a figure dates that figure
    ("The district cut its bus budget by 14% since 2019.", "2019", "bus budget"),
    ("The board holds its annual meeting on May 2nd at 7 PM.", "7 PM.", "annual meeting"),
    # amounts: the phrase an amount is put "at", "by", or that a percentage qualifies
    ("The assessor puts the harbour land at $12 million.", "$12 million", "harbour land"),
    ("The district cut its bus budget by 14% since 2019.", "14%", "bus budget"),
    ("The mayor wants a 3% cap on rent rises.", "3%", "cap"),
    # an aside between the subject and its verb is skipped
    ("The pension fund, battered by bad bets, lost $3 billion.", "$3 billion", "pension fund"),
    # the two ends of a change share a subject, whichever end names it
    ("Ridership fell from about 9,000 riders to fewer than 6,500 over the decade.", "fewer than 6,500", "riders"),
    ("It climbed from 12% to 19% of sales.", "12%", "sales"),
    # a bare count counts what an earlier count in its sentence did
    ("Of the 48 branches, 30 opened on Sundays.", "30", "branches"),
    # no noun at all is better than a verb or a pronoun
    ("The lawyers met at 9 AM Eastern.", "9 AM Eastern", "lawyers"),
    ("Nobody knows what happened in 2009.", "2009", None),
    ("The clinic sent counties about $48 million.", "about $48 million", None),
    ("The return turned into something like 90 pence.", "90 pence", None),
]


@pytest.mark.parametrize(("sentence", "figure_text", "subject"), SUBJECTS)
def test_subject(sentence: str, figure_text: str, subject: str | None) -> None:
    assert by_text(sentence, figure_text).subject == subject


# --- issue 17: shapes from real blogs ---------------------------------------------------------

# (sentence, figure text, expected fields): shares, mixed numbers, hedges and rough ranges.
ISSUE_17_FIGURES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "In a typical year it lends 50 or so million dollars directly to farmers.",
        "50 or so million dollars",
        {"kind": "money", "value": 50e6, "unit": "USD", "qualifier": "about"},
    ),
    ("Organisers gathered 50 or so thousand more signatures.", "50 or so thousand", {"kind": "count", "value": 50e3}),
    ("The bank holds roughly 1/10 of the state's deposits.", "roughly 1/10", {"kind": "ratio", "value": 0.1}),
    ("A loan takes 2 1/2 man hours of staff time.", "2 1/2", {"kind": "count", "value": 2.5, "subject": "man hours"}),
    ("The closure will last at least 3 1/2 months.", "at least 3 1/2 months", {"kind": "duration", "value": 3.5}),
    ("Support fell 1 1/2 percentage points.", "1 1/2 percentage points", {"kind": "percentage_points", "value": 1.5}),
    (
        "Half the nation's primary schools have no spare classroom.",
        "Half",
        {"kind": "ratio", "value": 0.5, "subject": "nation's primary schools"},
    ),
    ("It still holds half the state's student loans.", "half", {"kind": "ratio", "subject": "state's student loans"}),
    ("Almost half were married or had children.", "Almost half", {"kind": "ratio", "qualifier": "almost"}),
    ("About 1/5 spend more than half of their income on rent.", "more than half", {"kind": "ratio", "value": 0.5}),
    ("Roughly two-thirds of the inmates have not been convicted.", "Roughly two-thirds", {"value": 2 / 3}),
    ("Two-thirds of the members never read the bill.", "Two-thirds", {"kind": "ratio", "subject": "members"}),
    ("The department must recruit a third more trainees.", "a third", {"kind": "ratio", "value": 1 / 3}),
    ("A quarter of the associations stopped taking tenants.", "A quarter", {"kind": "ratio", "value": 0.25}),
    ("A tenant who complains is twice as likely to be evicted.", "twice", {"kind": "ratio", "value": 2.0}),
    ("Fares are three times as high as they were.", "three times", {"kind": "ratio", "value": 3.0}),
    ("They provided about one of every six dollars of income.", "about one of every six", {"kind": "ratio"}),
    ("It took me 4 or 5 days to deploy it.", "4 or 5 days", {"kind": "duration", "value": 4, "value_high": 5}),
    ("At home, 20 or 30 of these men could be a problem.", "20 or 30", {"kind": "count", "value_high": 30}),
    (
        "Half the counties are split between two or more house districts.",
        "two or more",
        {"kind": "count", "value": 2, "qualifier": "at least", "subject": "house districts"},
    ),
    ("There are at least 5 who see the dollar signs.", "at least 5", {"kind": "count", "value": 5}),
    ("It was like being back in the 60's again.", "60's", {"kind": "year", "value": 1960, "value_high": 1969}),
    # each figure keeps its full subject
    (
        "Fourteen Democratic attorneys general signed the letter.",
        "Fourteen",
        {"kind": "count", "subject": "Democratic attorneys general"},
    ),
    (
        "Each hearing ends at the same exhibit: the Bank of Calloway, profitable every year since 1919.",
        "1919",
        {"kind": "year", "subject": "Bank of Calloway"},
    ),
    ("The Ashby County Jail has been over capacity every month since 2016.", "2016", {"subject": "Ashby County Jail"}),
]


@pytest.mark.parametrize(("sentence", "figure_text", "expected"), ISSUE_17_FIGURES)
def test_issue_17_figure_shapes(sentence: str, figure_text: str, expected: dict[str, Any]) -> None:
    figure = by_text(sentence, figure_text)
    for field_name, value in expected.items():
        got = getattr(figure, field_name)
        assert got == pytest.approx(value) if isinstance(value, float) else got == value, (field_name, figure)


# Citations, identifiers, list numbers, numbered names and idioms: never figures.
ISSUE_17_NOT_FIGURES = [
    "The trial reported by Hartigan (2008) is the one ministers cite.",
    "The second is Okafor et al. 2013, which finds small gains in reading.",
    "Braddock et al. (2018) find that detention raises rearrests.",
    "Earlier work agrees (Whitcombe 2021; Lindqvist and Moore, 2016).",
    "This says it well (Hatonn, February 3, 1991).",
    "Less often cited is the centre's working paper 2417.",
    "Any Statistics 101 student knows why that matters.",
    "The bill, S. 2590, was blocked by a secret hold.",
    "Try adding port: 3306 to the file, or fix the error on line 32.",
    'The ad had width="12" and height="9" in its markup.',
    "Summary: RubyConf[2007].success? is true.",
    "We are not playing a zero sum game here.",
    "It was the lesser of two evils, and everyone knew it.",
    "The first half of the year was calm, and he cut the cake in half.",
    "She picked a third option that nobody liked.",
    "The attack on 9/11 changed the debate.",
    "In their 60s, most of them had stopped working.",
]


@pytest.mark.parametrize("sentence", ISSUE_17_NOT_FIGURES)
def test_issue_17_not_figures(sentence: str) -> None:
    assert figures(sentence) == []


def test_a_reference_list_holds_no_figures() -> None:
    prose = _section("The fund grew by 12% in 2024.")
    heading = Section(2, "References", (Block("heading", "References"),), 1, 2)
    entries = _section(
        "Hartigan, P. (2008) 'Small classes, long shadows', Journal of School Economics 14(2), pp. 101-19.",
        "Okafor, N., Bell, R. and Sandhu, K. (2013) Review of Education Policy 31, pp. 5-28.",
        index=2,
        kind="item",
    )
    bare_entry = _section("Reyes, T. (2024) Selbourne Centre working paper 2417.", index=3)
    found = find_figures([prose, heading, entries, bare_entry], published=PUBLISHED)
    assert [figure.text for figure in found] == ["12%", "2024"]
