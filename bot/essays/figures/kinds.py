"""Reading one figure from its atom and the words around it: the qualifier, a range, ratio or change,
the unit and the kind; and what is not a figure (citations, identifiers, list numbers, idioms, titles)."""

from __future__ import annotations

import re
from datetime import date

from bot.essays.figures.numbers import (
    _QUALIFIER,
    _anchor,
    _Atom,
    _date,
    _Draft,
    _fraction,
    _iso_date,
    _leftover,
    _qualify,
    _short_decade,
    _time,
)
from bot.essays.figures.phrases import _is_plural, _noun_phrase_after, _phrase_before, _skip_determiners, _word_follows
from bot.essays.figures.vocabulary import (
    _COUNT_ADJECTIVES,
    _CURRENCY_SYMBOLS,
    _CURRENCY_WORDS,
    _DURATION_UNITS,
    _LABEL_WORDS,
    _MONTHS,
    _STOP,
    _YEARS_IN,
)

_PERCENT_TAIL = re.compile(r"\s?%|\s*(?:percent|per\s?cent)\b", re.I)

_POINTS_TAIL = re.compile(r"\s*(?:percentage[-\s]points?\b|pp\b|ppts?\b)|(?P<basis>\s+basis[-\s]points?\b)", re.I)

_CURRENCY_WORD_TAIL = re.compile(r"\s+(?:US\s+)?(dollars|euros|pounds\s+sterling|yen|cents|pence)\b", re.I)

_RATIO_MONEY_TAIL = re.compile(
    r"\s+(?:(?:in\s+return|back|returned)\s+)?for\s+(?:every|each)\s+(?:single\s+)?"
    r"(?:(?P<word>dollar|euro|pound|yen)\b|(?P<symbol>[$€£¥])\s?1(?![0-9.,]))"
    r"(?:\s+(?:spent|invested|paid|contributed|given))?",
    re.I,
)

_PER_NOUN = (
    r"year|month|week|day|hour|night|head|person|student|resident|household|family|gallon|litre"
    r"|liter|barrel|share|ticket|pound|kilo|ton|tonne|mile|visit|piece|unit|seat|vote|plate|pill"
    r"|dose|meal|taxpayer|worker|employee|patient|child|pupil|voter|citizen|member|user|subscriber"
)

_PER_TAIL = re.compile(
    r"\s+(?:(?:more|less|extra|additional)\s+)?"
    rf"(?:per\s+(?P<per>[A-Za-z]+)|(?:for\s+)?each\s+(?P<each>[A-Za-z]+)|for\s+every\s+(?P<every>[A-Za-z]+)"
    rf"|an?\s+(?P<a>{_PER_NOUN})\b|(?P<adverb>annually|yearly|monthly|weekly|daily)\b)",
    re.I,
)

_PER_ADVERBS: dict[str, str] = {
    "annually": "year", "yearly": "year", "monthly": "month", "weekly": "week", "daily": "day",
}  # fmt: skip

# "62 cents on administration for every dollar": a ratio whose two sides a short phrase separates.
_RATIO_MONEY_GAP = re.compile(r"(?:\s+(?![Ff]or\b)[A-Za-z][\w'’-]*){1,6}(?=\s+for\s+(?:every|each)\s)")

_DURATION_TAIL = re.compile(
    r"(?:\s+(?:(?:more|additional|extra|full|long|straight|consecutive|whole|short)\s+)?|-)"
    r"(?P<unit>seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|centuries|century)\b"
    r"(?:-(?:old|long))?",
    re.I,
)

_CONNECTOR = re.compile(
    r"\s*(?:(?P<hyto>-to-)|(?P<dash>[-–—])|(?P<to>to)|(?P<and>and)|(?P<or>or)"
    r"|(?P<in>in(?:\s+every)?|out\s+of(?:\s+every)?|of\s+every)"
    r"|(?P<colon>:))\s*",
    re.I,
)

# "won by 12 points": in a vote or a poll, bare points are percentage points.
_MARGIN_POINTS = re.compile(r"[-\s]points?\b", re.I)

_BY_BEFORE = re.compile(r"\bby\s+$", re.I)

_VOTE_WORDS = re.compile(
    r"\b(?:vot\w*|ballot|referendum|poll\w*|elect\w*|margin|lead|won|lost|win|beat|primary)\b", re.I
)

_RATIO_WORDS = re.compile(r"[-\s]+(?:ratio|margin|majority|vote|votes|decision|ruling|split|verdict)\b", re.I)

_RANGE_FROM = re.compile(r"\b(?:anywhere|somewhere|rang(?:e|es|ed|ing)|var(?:y|ies|ied|ying))\s+$", re.I)

_RANGE_OPENER = re.compile(r"\b(?P<word>between|from)\s+$", re.I)

_YEAR_PREPOSITION = re.compile(
    r"\b(?:in|since|by|from|until|till|before|after|during|circa|through|between|to|and|of|early|late"
    r"|mid|fiscal|FY|year|around|as\s+of|back\s+in)[\s-]+$",
    re.I,
)

_REFERENCES_HEADING = re.compile(
    r"^(?:references|bibliography|works\s+cited|sources|further\s+reading|notes|citations|literature)\W*$", re.I
)

# "Hartigan, P. (2008)", "Okafor, N., Bell, R. and ...", "Lindqvist, Anna. 2016.": one entry of a reference list.
_REFERENCE_ENTRY = re.compile(
    r"^\s*(?:[-•*]\s*)?[A-Z][\w'’\-]+,\s+(?:[A-Z]\.\s*)+(?:,|\(|(?:and|&)\s|[A-Z][\w'’\-]+,|\d{4})"
    r"|^\s*(?:[-•*]\s*)?[A-Z][\w'’\-]+,\s+[A-Z][a-z]+(?:\s+[A-Z]\.)?\.?\s*\(?(?:1[6-9]|20)\d\d[a-z]?\)?[.,]"
)

# Citations of research: "Hartigan (2008)", "(Hartigan 2008)", "(Okafor et al. 2013; Reyes, 2024)",
# "Ng et al. 2020": their years say who wrote what, not when something happened.
_CITATION = re.compile(
    r"\((?:see\s+|e\.g\.,?\s+|cf\.\s+|also\s+)?(?!(?:January|February|March|April|May|June|July|August|September"
    r"|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Spring|Summer|Autumn|Fall|Winter)\b)"
    r"[A-Z][\w'’\-]+(?:\s+(?:and|&)\s+[A-Z][\w'’\-]+|\s+et\s+al\.?)?,?\s+(?:[A-Z][a-z]+\.?\s+[0-9]{1,2},?\s+)?"
    r"(?:1[6-9]|20)\d\d[a-z]?(?:[,:]\s*(?:p|pp)\.?\s*[0-9\-–]+)?(?:\s*[;,]\s*[^()]{1,120})?\)"
    r"|(?<![\w'’])[A-Z][\w'’\-]+(?:\s+(?:and|&)\s+[A-Z][\w'’\-]+|\s+et\s+al\.?)?,?\s+\((?:1[6-9]|20)\d\d[a-z]?\)"
    r"|(?<![\w'’])[A-Z][\w'’\-]+\s+et\s+al\.?,?\s+\(?(?:1[6-9]|20)\d\d[a-z]?\)?"
)

# Numbers in fixed phrases: "a zero-sum game", "the lesser of two evils", "my two cents".
_IDIOMS = re.compile(
    r"\bzero[-\s]sum\b|\bzero\s+tolerance\b|\blesser\s+of\s+two\s+evils\b|\btwo\s+cents\b|\bcloud\s+nine\b"
    r"|\bsixes\s+and\s+sevens\b|\bforty\s+winks\b|\bat\s+one\s+fell\s+swoop\b|\btwo[-\s]way\s+street\b",
    re.I,
)

_LIST_MARKER = re.compile(r"(?m)^\s*(?:\(?[0-9]{1,2}[.)]|[0-9]{1,2}:)(?=\s)")

_PREVIOUS_WORD = re.compile(r"(?P<word>[A-Za-z§][\w.'’]*)\s*$")

_STREET = re.compile(
    r"(?:\s+[A-Z][a-z]+){1,3}\s+(?:Street|St\.|Avenue|Ave\.?|Road|Rd\.|Boulevard|Blvd\.?|Lane|Drive|Way"
    r"|Place|Square)\b"
)

_TIME_PHRASE = re.compile(
    r"\s+(?:(?:over|across|during|within)\s+(?:the\s+(?:next|past|last|following)\s+)?"
    r"(?:[a-z]+|[0-9]+)\s+(?:years?|months?|weeks?|days?|decades?)|(?:a|per|each|every|this|last|next)"
    r"\s+(?:year|month|week|day)|annually|in\s+[0-9]{4})\b",
    re.I,
)

_OF_DETERMINER = re.compile(r"\s+(?:other\b|of\s+(?:the|those|these|its|their|our|his|her|my|your)\b)", re.I)

_PER_NUMBER = re.compile(
    r"(?:\s+[A-Za-z][\w-]*){0,2}?\s+per\s+(?P<base>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)\s+(?P<noun>[A-Za-z]+)"
)

_FRACTIONS = frozenset("half halves third thirds quarter quarters fourths fifths sixths tenths".split())

_HYPHEN_WORD = re.compile(r"-(?P<word>[a-z]+)\b(?!-)")

_URL = re.compile(r"(?:https?://|www\.)\S+|\S+\.(?:com|org|net|gov|edu|io)/\S*")

_AMOUNT_KINDS = frozenset({"money", "per_unit", "percent", "percentage_points", "ratio"})

_EVENT_KINDS = frozenset({"year", "date", "time", "duration"})

# Prepositions that tie an amount to what it measures: "puts the reserve at $41.6 billion".
_AMOUNT_PREPOSITIONS = frozenset("at between by".split())

# Between two figures of one change ("from A to B") or a figure and its date ("18% since 2022").
_CHANGE_GAP = re.compile(r"\s*(?:to|and|[-–—])\s*", re.I)

_FIGURE_GAP = re.compile(r"[\s,]*(?:(?:in|on|at|since|by|during|over|for|through)\s+)?", re.I)

_SPAN_FROM = re.compile(r"\s+(?:after|since|before)\s+", re.I)


def _is_list_marker(text: str, atom: _Atom, markers: set[int]) -> bool:
    """List numbering ("1. ", "2) ") opening a block or line is not a count."""
    if atom.kind not in ("num", "word"):
        return False
    end = atom.end
    while end < len(text) and text[end] in ".):":
        end += 1
    return end in markers


def _build(text: str, atoms: list[_Atom], index: int, published: date | None) -> tuple[_Draft, int] | None:
    atom = atoms[index]
    match = atom.match
    if atom.kind == "junk":
        return None
    if atom.kind == "date_iso":
        iso = _iso_date(int(match["iso_month"]), int(match["iso_day"]), int(match["iso_year"]), None)
        return (_Draft("date", atom.start, atom.end, unit=iso), 1) if iso else None
    if atom.kind in ("date_md", "date_dm", "date_my"):
        draft = _date(atom, _anchor(text, atom.start, published))
        return (draft, 1) if draft else None
    if atom.kind.startswith("time_"):
        draft = _time(match, atom.kind)
        return (draft, 1) if draft else None
    if atom.kind == "decade":
        year = float(match["decade_year"])
        return _Draft("year", atom.start, atom.end, value=year, unit="year", value_high=year + 9), 1
    if atom.kind == "decade2":
        draft = _short_decade(text, atom, published)
        return (draft, 1) if draft else None
    if atom.kind in ("frac", "fword", "twice"):
        draft = _fraction(text, atom)
        return (draft, 1) if draft else None
    if _excluded(text, atom) or _leftover(text, atom):
        return None
    return _quantity(text, atoms, index)


def _excluded(text: str, atom: _Atom) -> bool:
    """Numbers that are labels or identifiers, not quantities."""
    start, end = atom.start, atom.end
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    if atom.is_word:
        return _in_title(text, atom)
    if len(atom.raw) > 1 and atom.raw[0] == "0" and atom.raw[1] != ".":
        return True  # "007", "0900": codes and clock readings, not quantities
    # "F-35", "COVID-19", "K-12": a number hyphenated onto a word is part of a name.
    if before and before in "-–" and start > 1 and text[start - 2].isalpha():
        return True
    # "(1)" inline enumeration; "John 3:16"-style references.
    if before == "(" and after == ")" and len(atom.raw) <= 2:
        return True
    # width="12" in leaked markup; "RubyConf[2007]" and "build#42": parts of names and code.
    if text[max(0, start - 2) : start] in ('="', "='") or (
        before in "[#" and before and start > 1 and text[start - 2].isalnum()
    ):
        return True
    # "S. 2590", "H.R. 1234": a bill's number.
    if "." in text[max(0, start - 2) : start] and _BILL_PREFIX.search(text, max(0, start - 8), start):
        return True
    if atom.kind == "num" and _STREET.match(text, end):
        return True
    colon = ":" in text[max(0, start - 2) : start]
    if (
        colon
        and (labelled := _LABEL_COLON.search(text, max(0, start - 24), start))
        and labelled["word"].lower() in _LABEL_WORDS
    ):
        return True  # "port: 3306", "Error: 404"
    previous = _PREVIOUS_WORD.search(text, max(0, start - 24), start)
    if previous:
        word = previous["word"].lower()
        label_word = word in _LABEL_WORDS or word.rstrip(".") in _LABEL_WORDS
        if (label_word and atom.currency is None) or word.startswith("§"):
            return True
    elif text[max(0, start - 3) : start].strip() == "§":
        return True
    return False


_LABEL_COLON = re.compile(r"(?P<word>[A-Za-z]+):\s*$")

_BILL_PREFIX = re.compile(r"(?<![\w.])(?:[A-Z]\.){1,3}\s?$")

_NEXT_CAPITALISED = re.compile(r"\s+[A-Z][a-z]")


def _in_title(text: str, atom: _Atom) -> bool:
    """ "my June 10th Nineteen Mayors and a Bus Map blog": a capitalised number word mid-sentence
    followed by another capitalised word is part of a title or a name."""
    if not text[atom.start].isupper() or _NEXT_CAPITALISED.match(text, atom.end) is None:
        return False
    position = atom.start - 1
    while position >= 0 and text[position] == " ":
        position -= 1
    return position >= 0 and text[position] not in '.!?:;"“(—–\n'


def _quantity(text: str, atoms: list[_Atom], index: int) -> tuple[_Draft, int] | None:
    first = atoms[index]
    tail_kind, tail_end, tail_currency = _tail(text, first)
    nxt = atoms[index + 1] if index + 1 < len(atoms) else None
    if nxt is not None and nxt.kind in ("money", "num", "word") and not _excluded(text, nxt):
        connector = _CONNECTOR.fullmatch(text, tail_end, nxt.start)
        if connector is not None:
            paired = _pair(text, first, nxt, connector, tail_kind)
            if paired is not None:
                if paired.kind == "ratio" and paired.qualifier is None:
                    _qualify(text, paired)  # "about one in five"
                return paired, 2
    return _single(text, first, tail_kind, tail_end, tail_currency)


def _tail(text: str, atom: _Atom) -> tuple[str | None, int, str | None]:
    """What follows the number directly: a percent sign, points, or a currency word."""
    end = atom.end
    if (match := _PERCENT_TAIL.match(text, end)) is not None:
        return "percent", match.end(), None
    if (match := _POINTS_TAIL.match(text, end)) is not None:
        return ("basis" if match["basis"] else "points"), match.end(), None
    if (match := _MARGIN_POINTS.match(text, end)) is not None and _is_vote_margin(text, atom.start):
        return "points", match.end(), None
    if atom.currency is None and (match := _CURRENCY_WORD_TAIL.match(text, end)) is not None:
        word = match.group(1).lower().split()[0]
        return "currency", match.end(), _CURRENCY_WORDS[word]
    return None, end, None


def _pair(text: str, first: _Atom, second: _Atom, connector: re.Match[str], first_tail: str | None) -> _Draft | None:
    """A range ("30 to 40 percent", "$2–3 billion", "1990-95") or a ratio ("3 to 1", "one in five")."""
    low, high = first.number, second.number
    plain = first.exp == 0 and second.exp == 0 and first.currency is None and second.currency is None
    plain = plain and first_tail is None
    integers = low.is_integer() and high.is_integer()
    if connector["in"] is not None:
        # "one in five Americans": a share, counted by the noun after it.
        if plain and integers and 1 <= low < high <= 1000 and not second.plain_year:
            subject = _noun_phrase_after(text, second.end)
            return _Draft("ratio", first.start, second.end, value=low / high, subject=subject)
        return None
    if connector["or"] is not None:
        # "4 or 5 days", "20 or 30 of these": a rough range.
        return _range(text, first, second, None) if plain and integers and low < high else None
    ratio_words = _RATIO_WORDS.match(text, second.end)
    # A vote count: "6-3 ruling", "51-49" (a tight dash, larger number first).
    tight_dash = connector["dash"] is not None and second.start - first.end == 1
    tally = (ratio_words is not None or tight_dash) and low >= high and low <= 1000
    if plain and integers and (connector["colon"] is None or high == 1) and ((high == 1 and low > 1) or tally):
        subject = _noun_phrase_after(text, second.end) if ratio_words else None
        # A unanimous tally ("ruled 9-0", "won 40-0") is a figure with no finite quotient.
        value = low / high if high else None
        return _Draft("ratio", first.start, second.end, value=value, subject=subject)
    if connector["colon"] is not None or connector["hyto"] is not None:
        return None
    opener = _RANGE_OPENER.search(text, max(0, first.start - 10), first.start)
    is_from = opener is not None and opener["word"].lower() == "from"
    from_start = opener.start() if opener is not None else 0
    if is_from and not (first.plain_year and second.plain_year) and not _RANGE_FROM.search(text, 0, from_start):
        return None  # "rose from 12% to 27%" is a change: two figures ("anywhere from 15 to 20" is a range)
    if connector["and"] is not None and (opener is None or opener["word"].lower() != "between"):
        return None
    return _range(text, first, second, opener.start() if opener else None)


def _range(text: str, first: _Atom, second: _Atom, opener: int | None) -> _Draft | None:
    second_tail, second_end, second_currency = _tail(text, second)
    exp = first.exp or second.exp
    low = float(f"{first.raw}e{exp}")
    high = float(f"{second.raw}e{second.exp}")
    if first.plain_year and len(second.raw) == 2 and second.raw.isdigit() and second.exp == 0:
        # "1990-95", "2019-20": the second year shares the first's century.
        high = low // 100 * 100 + high
    if not high > low:
        return None
    currency = first.currency or second.currency or second_currency
    draft = _classify(
        text,
        start=first.start if opener is None else opener,
        end=second_end,
        value=low,
        high=high,
        currency=currency,
        tail_kind=second_tail,
        atom=first,
    )
    return draft


def _single(
    text: str, atom: _Atom, tail_kind: str | None, tail_end: int, tail_currency: str | None
) -> tuple[_Draft, int] | None:
    value = float(f"{atom.raw}e{atom.exp}")
    if tail_kind == "currency" and tail_currency and text[atom.end : tail_end].lower().endswith(("cents", "pence")):
        value /= 100
    or_more = _OR_MORE.match(text, tail_end) if text.startswith(" or ", tail_end) else None
    if or_more is not None:
        tail_end = or_more.end()  # "two or more districts": the count goes on to its noun
    draft = _classify(
        text,
        start=atom.start,
        end=tail_end,
        value=value,
        high=None,
        currency=atom.currency or tail_currency,
        tail_kind=tail_kind,
        atom=atom,
    )
    if draft is not None and or_more is not None and draft.qualifier is None:
        draft.qualifier = "at least" if or_more["way"].lower() in ("more", "greater", "higher", "above") else "at most"
    if draft is not None and draft.qualifier is None and atom.exp and " or so" in text[draft.start : draft.end]:
        draft.qualifier = "about"
    return (draft, 1) if draft else None


_OR_MORE = re.compile(r"\s+or\s+(?P<way>more|greater|higher|above|fewer|less|lower|below)\b(?!\s+than)", re.I)


def _classify(
    text: str,
    *,
    start: int,
    end: int,
    value: float,
    high: float | None,
    currency: str | None,
    tail_kind: str | None,
    atom: _Atom,
) -> _Draft | None:
    """Decide the kind from the words after the number, then find qualifier and subject."""
    draft: _Draft | None
    if tail_kind == "percent":
        draft = _Draft("percent", start, end, value=value, unit="%", value_high=high)
    elif tail_kind in ("points", "basis"):
        scale = 0.01 if tail_kind == "basis" else 1.0
        draft = _Draft(
            "percentage_points",
            start,
            end,
            value=value * scale,
            unit="pp",
            value_high=high * scale if high is not None else None,
        )
    elif currency is not None:
        draft = _money(text, start, end, value, high, currency)
    else:
        draft = _plain(text, start, end, value, high, atom)
    if draft is None:
        return None
    if draft.kind != "year":
        _qualify(text, draft)
    return draft


def _money(text: str, start: int, end: int, value: float, high: float | None, currency: str) -> _Draft:
    if (match := _RATIO_MONEY_TAIL.match(text, end)) is not None:
        per = match["word"] or match["symbol"]
        per_currency = _CURRENCY_WORDS.get(per.lower()) or _CURRENCY_SYMBOLS[per]
        return _Draft("ratio", start, match.end(), value=value, unit=f"{currency} per {per_currency}")
    if (gap := _RATIO_MONEY_GAP.match(text, end)) is not None and _RATIO_MONEY_TAIL.match(text, gap.end()):
        return _money(text, start, gap.end(), value, high, currency)
    if (match := _PER_TAIL.match(text, end)) is not None:
        if match["adverb"]:
            period = _PER_ADVERBS[match["adverb"].lower()]
            return _Draft("per_unit", start, match.end(), value=value, unit=f"{currency} per {period}", value_high=high)
        noun = (match["per"] or match["each"] or match["every"] or match["a"]).lower()
        if noun not in _STOP and noun not in _CURRENCY_WORDS:
            return _Draft("per_unit", start, match.end(), value=value, unit=f"{currency} per {noun}", value_high=high)
    return _Draft("money", start, end, value=value, unit=currency, value_high=high)


def _plain(text: str, start: int, end: int, value: float, high: float | None, atom: _Atom) -> _Draft | None:
    """A number with no money or percent sign: a duration, a year or a count."""
    is_one = atom.is_word and value == 1 and atom.exp == 0
    if (match := _DURATION_TAIL.match(text, end)) is not None:
        unit_word = match["unit"].lower()
        if is_one and unit_word == "day":
            return None  # "one day" is nearly always "some day"
        singular = "century" if unit_word == "centuries" else unit_word.removesuffix("s")
        if value == 24 and singular == "hour" and text[end : end + 1] == "-" and _word_follows(text, match.end()):
            return None  # "the 24-hour news cycle": round the clock, not a span of time
        # Decades and centuries are counted in years, so "four decades" compares with "40 years".
        scale = _YEARS_IN.get(singular, 1)
        unit = "years" if singular in _YEARS_IN else _DURATION_UNITS[singular]
        draft = _Draft(
            "duration",
            start,
            match.end(),
            value=value * scale,
            unit=unit,
            value_high=high * scale if high is not None else None,
        )
        if text[match.start() : match.start() + 1] == "-":
            # "a four-year term": the hyphenated duration describes the noun after it.
            draft.subject = _noun_phrase_after(text, draft.end)
        return draft
    if is_one:
        return None  # "no one", "the one who", "one of the": a pronoun, not a figure
    if atom.plain_year and 1000 <= value <= 2100:
        noun = _noun_phrase_after(text, end)
        year_preposition = _YEAR_PREPOSITION.search(text, max(0, start - 16), start) is not None
        # "the 2026 budget", "the 2028 season": a year before a singular noun; "2000 homes" counts.
        head = noun.split()[0] if noun else ""
        plural = noun is not None and (_is_plural(head) or (head.lower() in _COUNT_ADJECTIVES and _is_plural(noun)))
        if year_preposition or not plural:
            if _capitalised_label(text, start) and not year_preposition:
                return None
            return _Draft("year", start, end, value=value, unit="year", value_high=high)
    return _count(text, start, end, value, high, atom)


def _count(text: str, start: int, end: int, value: float, high: float | None, atom: _Atom) -> _Draft | None:
    if not value.is_integer() and atom.kind != "mixed":
        return None  # "Python 3.11", "3.5": a bare decimal with no unit is no count
    times = _TIMES_AS.match(text, end) if text.startswith(" times", end) else None
    if times is not None:
        # "three times as many", "four times the rate": a ratio, not a count of occasions.
        draft = _Draft("ratio", start, times.end("times"), value=value)
        draft.subject = _noun_phrase_after(text, _skip_determiners(text, times.end()))
        return draft
    if not atom.is_word and _capitalised_label(text, start):
        return None
    if (rate := _PER_NUMBER.match(text, end)) is not None:
        # "32 deaths per 100,000 residents": a rate, whose subject is what is counted.
        subject = _noun_phrase_after(text, end) or _phrase_before(text, start)
        unit = f"per {rate['base']} {rate['noun']}"
        return _Draft("per_unit", start, rate.end(), value=value, unit=unit, value_high=high, subject=subject)
    if (compound := _HYPHEN_WORD.match(text, end)) is not None:
        if compound["word"] in _FRACTIONS:
            return None  # "two-thirds" is a share we do not normalise
        # "a 15-member board", "the 3-judge panel": the number counts the hyphenated noun.
        noun = _noun_phrase_after(text, compound.end())
        subject = f"{compound['word']} {noun}" if noun else compound["word"]
        return _Draft("count", start, end, value=value, value_high=high, subject=subject)
    subject = _noun_phrase_after(text, end)
    hedged = _QUALIFIER.search(text, max(0, start - 24), start) is not None  # "at least 5 who": a count
    if subject is None and not atom.is_word and value < 10 and _OF_DETERMINER.match(text, end) is None and not hedged:
        return None  # a lone small digit ("options 3 or 5", a stray list number) counts nothing
    # "the two agreed", "two of them": a number word needs a noun to count ("a dozen" stands alone).
    needs_noun = atom.is_word and subject is None and "dozen" not in text[start:end].lower()
    if needs_noun and _OF_DETERMINER.match(text, end) is None:
        return None
    return _Draft("count", start, end, value=value, value_high=high, subject=subject)


_TIMES_AS = re.compile(
    r"\s+(?P<times>times)(?=\s+(?:as|the|that|what|more|less|higher|larger|bigger|greater|faster|its|their)\b)\s+(?:as\s+)?",
    re.I,
)


def _is_vote_margin(text: str, start: int) -> bool:
    """ "by 31 points" in a sentence about a vote, a poll or an election."""
    if _BY_BEFORE.search(text, max(0, start - 4), start) is None:
        return False
    sentence_start = max(text.rfind(". ", 0, start), 0)
    sentence_end = text.find(". ", start)
    return _VOTE_WORDS.search(text, sentence_start, sentence_end if sentence_end >= 0 else len(text)) is not None


def _capitalised_label(text: str, start: int) -> bool:
    """A capitalised word mid-sentence right before the number makes it a name: "Boeing 737"."""
    previous = _PREVIOUS_WORD.search(text, max(0, start - 24), start)
    if previous is None:
        return False
    word = previous["word"]
    if not any(char.isupper() for char in word) or word.endswith(("'s", "’s")):
        return False  # lowercase, or a possessive: "Biden's 2021 plan" is a year
    position = previous.start() - 1
    while position >= 0 and text[position] == " ":
        position -= 1
    if position < 0 or text[position] in '.!?:;"“(—–\n':
        return False  # the first word of a sentence is capitalised anyway
    return word.rstrip(".").lower() not in _MONTHS
