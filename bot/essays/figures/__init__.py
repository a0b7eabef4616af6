"""Find the figures an essay cites: money, rates, ratios, counts, years, dates, times, durations.

One compiled scanner finds number "atoms" in each block (amounts, number words, dates, times,
decades, and junk such as phone numbers or "24/7" that must be swallowed so it yields nothing).
A small hand-written grammar then reads the words around each atom: a qualifier before it
("more than"), a range or ratio with the next atom ("30 to 40", "3 to 1"), a unit after it
("percent", "per resident", "years") and the noun phrase it counts.

Conventions for ``Figure`` fields:

- money: ``value`` in currency units (``$76 billion`` -> 76e9), ``unit`` an ISO code ("USD").
- per_unit: money per something: ``unit`` "USD per resident", "USD per capita", "USD per hour".
- ratio: ``value`` is a/b. "$1.31 for every dollar" -> 1.31, unit "USD per USD"; "3 to 1",
  "three-to-one", a "6-3 ruling" -> 3.0, 3.0, 2.0 with unit None; "one in five" -> 0.2.
- percent: ``value`` 45 for "45%", unit "%". percentage_points: unit "pp" (basis points / 100).
- count: ``value`` the number, unit None, ``subject`` the counted noun phrase.
- year: ``value`` 1934, unit "year"; a decade ("the 1990s") is the range 1990-1999.
- date: ``value`` None, ``unit`` an ISO date "2025-06-03" ("2025-06" for "June 2025");
  a date without a year is in the essay's year unless over eight months away (then the nearer
  neighbouring year), or after/before it when written "next"/"last"; "--06-03" when unknown.
- time: ``value`` None, ``unit`` "HH:MM" on the 24-hour clock plus the zone as an abbreviation
  ("9 AM Eastern" -> "09:00 ET", "9:30 p.m. ET" -> "21:30 ET"); no zone -> "21:30".
- duration: ``value`` in the stated unit, ``unit`` its plural ("four years" -> 4, "years").

Subjects (what /figures shows next to a figure): for counts the noun phrase right after the
number (skipping "more"/"other", ending at its first plural noun). For amounts and rates a
following "of/in/for/on" phrase ("45% of voters", "$5 billion in new spending") or noun ("the 10%
target"); else the phrase before "of", a linking verb or "at/by" ("a deficit of", "unemployment
rose to", "puts the reserve at"); else the subject of the governing verb's clause, looking past an
aside ("The fund, hit by X, lost $3bn"). Years, dates, times and spans get what they date, as the
labelled set does: the noun after them ("the 2008 crash"), the phrase a preposition ties them to
("a hearing on March 12th"), what an opening date's clause is about ("In 2005 the council ..."),
or the clause's subject ("the legislature returns on ..."). A date right after a figure dates that
figure ("cut 18% since 2022"); both ends of a change share a subject. None beats a verb or pronoun.

Shares are ratios: "about 1/10 of", "half the nation's ...", "a third more", "two-thirds of",
"twice as", "three times the" (a share needs something it measures, or a hedge: "the second half"
and "a third option" are not figures). Mixed numbers ("2 1/2 man hours") keep their fraction, a
hedge inside a number ("50 or so million") is read through, "4 or 5 days" is a range and "two or
more" is "at least two"; "the 60's" is a decade.

Deliberately not figures: ordinals, "one" (a pronoun far more often than a number, except in
"one in five" or "one million"), "a" (except "a dozen", "a million", "a third"), "hundreds of",
list numbering, labels ("Part 2", "Title 42", "Boeing 737", "line 32", "port: 3306", "working paper
2417", "S. 2590", "Statistics 101"), citations ("Hartigan (2008)", "(Okafor et al. 2013)", "Ng et
al. 2020"), reference lists (under a "References" heading or shaped like "Hartigan, P. (2008)"),
ids in links and leaked markup (width="12"), phone numbers, versions, "24/7", "9/11", footnote
markers, idioms ("a zero-sum game", "the lesser of two evils"), and a lone digit under ten with no
noun or hedge.

The package, layer by layer: ``vocabulary`` holds the word lists; ``phrases`` reads noun phrases
and clause subjects; ``numbers`` is the number grammar (atoms, values, fractions, dates, times);
``kinds`` reads one figure and rules out what is not one; ``subjects`` says what each figure counts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date

from bot.essays.figures.kinds import (
    _CITATION,
    _IDIOMS,
    _LIST_MARKER,
    _REFERENCE_ENTRY,
    _REFERENCES_HEADING,
    _URL,
    _build,
    _is_list_marker,
)
from bot.essays.figures.numbers import _Draft, _scan
from bot.essays.figures.subjects import _fill_subjects
from bot.essays.model import Figure, Section
from bot.essays.text import sentences

logger = logging.getLogger(__name__)


def find_figures(sections: Sequence[Section], *, published: date | None = None) -> list[Figure]:
    """Every figure cited in the sections, in reading order.

    A reference list (under a "References" or "Bibliography" heading, or entries shaped like
    "Hartigan, P. (2008) ...") holds years, volumes and pages, never figures the author cites.
    """
    figures: list[Figure] = []
    in_references = False
    for section in sections:
        for block in section.blocks:
            if block.kind == "heading":
                in_references = _REFERENCES_HEADING.match(block.text.strip()) is not None
                continue
            if in_references or _REFERENCE_ENTRY.match(block.text):
                continue
            figures.extend(_block_figures(block.text, section.index, published))
    return figures


def _block_figures(text: str, section: int, published: date | None) -> list[Figure]:
    atoms = _scan(text)
    if not atoms:
        return []
    markers = {match.end() for match in _LIST_MARKER.finditer(text)}
    # Numbers inside links are ids, not figures; most blocks have no link, so this is cheap.
    urls = [match.span() for match in _URL.finditer(text)] if "/" in text else []
    # Citations and idioms: their numbers are no figures either.
    if "(" in text or " al" in text:
        urls.extend(match.span() for match in _CITATION.finditer(text))
    if any(atom.is_word for atom in atoms):
        urls.extend(match.span() for match in _IDIOMS.finditer(text))
    spans = _sentence_spans(text)
    drafts: list[_Draft] = []
    consumed = 0
    index = 0
    while index < len(atoms):
        atom = atoms[index]
        if (
            atom.start < consumed
            or _is_list_marker(text, atom, markers)
            or any(start <= atom.start < end for start, end in urls)
        ):
            index += 1
            continue
        built = _build(text, atoms, index, published)
        if built is None:
            index += 1
            continue
        draft, used = built
        consumed = draft.end
        drafts.append(draft)
        index += used
    _fill_subjects(text, drafts, spans)
    return [_finish(text, draft, spans, section) for draft in drafts]


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    cursor = 0
    for sentence in sentences(text):
        start = text.find(sentence, cursor)
        if start < 0:
            continue
        cursor = start + len(sentence)
        spans.append((start, cursor))
    return spans


def _finish(text: str, draft: _Draft, spans: list[tuple[int, int]], section: int) -> Figure:
    context = text
    for start, end in spans:
        if start <= draft.start < end:
            context = text[start:end]
            break
    return Figure(
        text=text[draft.start : draft.end],
        kind=draft.kind,
        section=section,
        context=context,
        subject=draft.subject,
        value=draft.value,
        unit=draft.unit,
        value_high=draft.value_high,
        qualifier=draft.qualifier,
    )
