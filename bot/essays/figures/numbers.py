"""The number grammar: one compiled scanner for number atoms (amounts, number words, dates, times,
decades, and junk to swallow), their values and scales, fractions and shares, and dates and times
read against the essay's date."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.essays.figures.phrases import _NP_TOKEN, _noun_phrase_after, _skip_determiners, _word_follows
from bot.essays.figures.vocabulary import _CURRENCY_SYMBOLS, _MONTHS, _SCALES, _SMALL_NUMBERS, _TENS, _ZONES
from bot.essays.model import FigureKind

_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\b\.?"
)

_FULL_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)\b"

_ZONE = (
    r"(?:ET|EST|EDT|CT|CST|CDT|MT|MST|MDT|PT|PST|PDT|GMT|UTC|BST|CET|CEST|IST|JST|AEST|AEDT"
    r"|Eastern|Central|Mountain|Pacific)\b(?:\s+(?:Standard\s+|Daylight\s+)?[Tt]ime\b)?"
)

_NUM = r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?"

# A number ends cleanly: no letters, digits or a further decimal part ("3.11.2", "5G", "3rd").
_NUM_END = r"(?![0-9A-Za-z_]|[.,][0-9])"

# "50 or so million": a hedge inside the number.
_WORD_SCALE = r"(?:\s+or\s+so)?(?:\s+(?:hundred|thousand|million|billion|trillion)\b){1,2}"

_MONEY_SUFFIX = r"(?:bn|bln|mn|mln|tn|tr|[mbkMBK])(?![A-Za-z0-9])"

_NUM_SUFFIX = r"(?:bn|bln|mn|mln|tn|m|k)(?![A-Za-z0-9])"


def _either_case(words: Sequence[str]) -> str:
    """ "two" -> "[Tt]wo": case-sensitive branches that the regex engine can skip on one character."""
    return "|".join(f"[{word[0].upper()}{word[0]}]{word[1:]}" for word in words)


# Longest first, so "seventeen" is tried before "seven".
_SMALL_WORDS = sorted(_SMALL_NUMBERS, key=len, reverse=True)

_UNITS_WORDS = "one|two|three|four|five|six|seven|eight|nine"

_NUMBER_WORD = (
    rf"(?:{_either_case(list(_TENS))})(?:[-\s](?:{_UNITS_WORDS})\b)?"
    rf"|{_either_case(_SMALL_WORDS)}|[Aa]\s+dozen|[Aa](?=\s+(?:hundred|thousand|million|billion|trillion)\b)"
)

# Every atom starts with one of these; the scanner only tries the full pattern where one occurs.
_TRIGGER = re.compile(
    r"(?<![A-Za-z0-9_])(?:[0-9$€£¥(\[]|US|USD|EUR|GBP|JPY|C\$|A\$|NZ\$|HK\$"
    r"|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|[Nn]oon|[Mm]idnight|[Hh]alf|[Tt]wice"
    # "a" starts an atom only before a scale or a share: "a dozen", "a million", "a third".
    r"|[Aa]\s(?=dozen|hundred|thousand|million|billion|trillion|half|third|quarter|fourth|fifth|sixth|eighth|tenth)"
    rf"|{_either_case(list(_TENS))}|{_either_case(_SMALL_WORDS)})"
)

_ATOM = re.compile(
    # Every atom starts at a word start; this makes mid-word positions fail at once.
    r"(?<![A-Za-z0-9_])(?:"
    # Mixed numbers and simple fractions: "2 1/2 man hours", "about 1/10 of" (dates like 9/11 stay junk).
    r"(?P<mixed>(?P<mixed_whole>[0-9]{1,3})\s+(?P<mixed_num>[1-9])/(?P<mixed_den>[2-9]|1[0-6])(?![0-9/]))"
    r"|(?P<frac>(?P<frac_num>[1-9])/(?P<frac_den>[2-8]|10|12|16|100)(?![0-9/]))"
    # Fraction words: "half", "a third", "two-thirds", "three quarters"; "twice as".
    rf"|(?P<fword>(?:(?P<fw_count>[Aa]|[Oo]ne|[Tt]wo|[Tt]hree|[Ff]our|[Ff]ive|[Ss]even|[Nn]ine)[-\s]+)?"
    r"(?P<fw_part>half|halves|thirds?|quarters?|fourths?|fifths?|sixths?|eighths?|tenths?)(?![\w-])"
    r"|(?P<fw_half>[Hh]alf)(?![\w-]))"
    r"|(?P<twice>[Tt]wice)(?=\s+(?:as|the|that|what|its|their|his|her|our|my|your)\b)"
    # A decade in two digits: "the 60's", "the ’70s".
    r"|(?P<decade2>(?P<decade2_year>[1-9]0|00)(?:['’]s|s)(?![A-Za-z0-9]))"
    # Junk that must yield nothing: phone numbers, "24/7" and numeric dates, footnote markers.
    r"|(?P<junk>(?:1[-.\s])?\(?[0-9]{3}\)?[-.\s][0-9]{3}[-.][0-9]{4}(?![0-9])"
    r"|[0-9]{3}-[0-9]{4}(?![0-9])|[0-9]+(?:/[0-9]+)+(?![0-9])|\[[0-9]+\])"
    r"|(?P<date_iso>(?P<iso_year>[12][0-9]{3})-(?P<iso_month>[01][0-9])-(?P<iso_day>[0-3][0-9])(?![0-9]))"
    rf"|(?P<date_md>(?P<md_month>{_MONTH})\s+(?P<md_day>[0-9]{{1,2}})(?:st|nd|rd|th)?(?![0-9A-Za-z:])"
    r"(?:,?\s+(?P<md_year>[12][0-9]{3})(?![0-9]))?)"
    r"|(?P<date_dm>(?P<dm_day>[0-9]{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?"
    rf"(?P<dm_month>{_MONTH})(?:,?\s+(?P<dm_year>[12][0-9]{{3}})(?![0-9]))?)"
    rf"|(?P<date_my>(?P<my_month>{_FULL_MONTH})(?:\s+of)?\s+(?P<my_year>[12][0-9]{{3}})(?![0-9]))"
    r"|(?P<time_ampm>(?P<t1_hour>[0-9]{1,2})(?::(?P<t1_min>[0-5][0-9]))?\s?"
    rf"(?P<t1_half>[AaPp])\.?[Mm]\.?(?![A-Za-z])(?:\s+(?P<t1_zone>{_ZONE}))?)"
    rf"|(?P<time_zone>(?P<t2_hour>[01]?[0-9]|2[0-3]):(?P<t2_min>[0-5][0-9])\s+(?P<t2_zone>{_ZONE}))"
    rf"|(?P<time_noon>(?P<t3_word>[Nn]oon|[Mm]idnight)\s+(?P<t3_zone>{_ZONE}))"
    r"|(?P<time_at>(?<=[Aa]t )(?P<t4_hour>[01]?[0-9]|2[0-3]):(?P<t4_min>[0-5][0-9])(?![0-9]))"
    r"|(?P<decade>(?P<decade_year>1[6-9][0-9]0|20[0-9]0)s(?![A-Za-z0-9]))"
    r"|(?P<money>(?P<cur>(?:US|C|A|NZ|HK)?\$|[€£¥]|(?:USD|EUR|GBP|JPY)\s?)\s?"
    rf"(?P<money_num>{_NUM})(?:(?P<money_suffix>{_MONEY_SUFFIX})|{_NUM_END}(?P<money_scale>{_WORD_SCALE})?))"
    rf"|(?P<num>(?<![.,#§$€£¥])(?P<num_num>{_NUM})"
    rf"(?:(?P<num_suffix>{_NUM_SUFFIX})|{_NUM_END}(?P<num_scale>{_WORD_SCALE})?))"
    rf"|(?P<word>(?P<word_num>{_NUMBER_WORD})\b(?P<word_scale>{_WORD_SCALE})?)"
    r")"
)

_QUALIFIER = re.compile(
    r"\b(?P<q>just\s+over|just\s+under|well\s+over|well\s+under|more\s+than|less\s+than|fewer\s+than"
    r"|greater\s+than|at\s+least|at\s+most|up\s+to|as\s+many\s+as|as\s+much\s+as|as\s+few\s+as"
    r"|as\s+little\s+as|close\s+to|upwards\s+of|an\s+estimated|nearly|almost|about|around|roughly"
    r"|approximately|some|over|under|circa|barely|fully)\s+$",
    re.I,
)

_WORD_SEPARATOR = re.compile(r"[-\s]+")


@dataclass(slots=True)
class _Atom:
    """One match of the scanner; ``raw`` is the number as digits ("3.2"), ``exp`` its scale."""

    kind: str
    start: int
    end: int
    match: re.Match[str]
    raw: str = ""
    exp: int = 0
    currency: str | None = None
    is_word: bool = False
    has_comma: bool = False

    @property
    def number(self) -> float:
        return float(self.raw)

    @property
    def plain_year(self) -> bool:
        """Four bare digits: "1934", never "1,934" or "1934.5"."""
        plain = not self.is_word and not self.has_comma and self.exp == 0
        return plain and len(self.raw) == 4 and self.raw.isdigit()


@dataclass(slots=True)
class _Draft:
    """A figure before its text and sentence are cut out of the block."""

    kind: FigureKind
    start: int
    end: int
    value: float | None = None
    unit: str | None = None
    value_high: float | None = None
    qualifier: str | None = None
    subject: str | None = None


def _scan(text: str) -> list[_Atom]:
    atoms: list[_Atom] = []
    position = 0
    while (trigger := _TRIGGER.search(text, position)) is not None:
        match = _ATOM.match(text, trigger.start())
        if match is None:
            position = trigger.start() + 1
            continue
        position = match.end()
        kind = match.lastgroup or ""
        atom = _Atom(kind=kind, start=match.start(), end=match.end(), match=match)
        if kind == "money":
            atom.raw = match["money_num"].replace(",", "")
            atom.exp = _scale(match["money_scale"] or match["money_suffix"])
            atom.currency = _CURRENCY_SYMBOLS[match["cur"].strip().lower()]
        elif kind == "num":
            atom.raw = match["num_num"].replace(",", "")
            atom.has_comma = "," in match["num_num"]
            atom.exp = _scale(match["num_scale"] or match["num_suffix"])
        elif kind == "word":
            atom.raw = str(_word_value(match["word_num"]))
            atom.exp = _scale(match["word_scale"])
            atom.is_word = True
        elif kind == "mixed":
            whole, numerator, denominator = (int(match[f"mixed_{part}"]) for part in ("whole", "num", "den"))
            if numerator >= denominator:
                continue  # "3 5/4" is no mixed number; nothing to read
            atom.raw = repr(whole + numerator / denominator)
        atoms.append(atom)
    return atoms


def _scale(scale: str | None) -> int:
    if not scale:
        return 0
    return sum(_SCALES.get(word, 0) for word in scale.lower().split())  # "or so" adds nothing


def _word_value(words: str) -> int:
    words = words.lower()
    if "dozen" in words:
        return 12
    if words == "a":
        return 1
    total = 0
    for part in _WORD_SEPARATOR.split(words):
        total += _TENS.get(part, 0) + _SMALL_NUMBERS.get(part, 0)
    return total


_PART_VALUES: dict[str, float] = {
    "half": 1 / 2, "halves": 1 / 2, "third": 1 / 3, "thirds": 1 / 3, "quarter": 1 / 4, "quarters": 1 / 4,
    "fourth": 1 / 4, "fourths": 1 / 4, "fifth": 1 / 5, "fifths": 1 / 5, "sixth": 1 / 6, "sixths": 1 / 6,
    "eighth": 1 / 8, "eighths": 1 / 8, "tenth": 1 / 10, "tenths": 1 / 10,
}  # fmt: skip

# What follows a share that is a figure: "half the state's", "a third of", "two-thirds more", "half what".
_SHARE_FOLLOWS = re.compile(
    r"\s+(?:of|the|its|their|his|her|our|my|your|all|these|those|what|that|more|less|fewer|as|again)\b"
    r"|\s*[-\s](?:majority|share|cut|increase|drop|rise|reduction)\b"
)

# "the second half", "the other half", "a half-hearted", "in half": a part, not an amount.
_SHARE_NOT_AFTER = re.compile(
    r"\b(?:the|a|an|first|second|third|final|last|other|latter|former|in|and|top|bottom)\s+$", re.I
)

_DATE_PREPOSITION = re.compile(r"\b(?:on|since|after|before|until|by|from|post|pre)[\s-]+$", re.I)


def _fraction(text: str, atom: _Atom) -> _Draft | None:
    """A share: "about 1/10 of", "half the nation's", "a third more", "two-thirds of", "twice as".

    A share is a figure when it measures something ("of", a determiner, "more") or is hedged
    ("almost half", "more than half"); "the second half" and "a third option" are not.
    """
    match = atom.match
    if atom.kind == "twice":
        draft = _Draft("ratio", atom.start, atom.end, value=2.0)
        draft.subject = _noun_phrase_after(text, _skip_determiners(text, _after_words(text, atom.end, ("as", "the"))))
        _qualify(text, draft)
        return draft
    if atom.kind == "frac":
        numerator, denominator = int(match["frac_num"]), int(match["frac_den"])
        if numerator >= denominator or _DATE_PREPOSITION.search(text, max(0, atom.start - 8), atom.start):
            return None  # "7/4", "on 3/4": a date
        value = numerator / denominator
    else:
        part = (match["fw_part"] or match["fw_half"]).lower()
        count_word = (match["fw_count"] or "").lower()
        if not count_word and part not in ("half", "halves"):
            return None  # "the fourth quarter", "thirds": a position, not a share
        count = 1 if count_word in ("", "a", "one") else _SMALL_NUMBERS[count_word]
        value = count * _PART_VALUES[part]
        if not count_word and _SHARE_NOT_AFTER.search(text, max(0, atom.start - 12), atom.start):
            return None
    draft = _Draft("ratio", atom.start, atom.end, value=value)
    _qualify(text, draft)
    follows = _SHARE_FOLLOWS.match(text, atom.end)
    hyphenated = atom.kind == "fword" and "-" in text[atom.start : atom.end]
    if draft.qualifier is None and follows is None and not (hyphenated and _word_follows(text, atom.end)):
        return None
    after = _after_words(text, atom.end, ("of", "all", "more", "less", "fewer", "as"))
    draft.subject = _noun_phrase_after(text, _skip_determiners(text, after))
    return draft


def _after_words(text: str, pos: int, words: tuple[str, ...]) -> int:
    """The position after any of ``words`` that directly follow ``pos``."""
    while (token := _NP_TOKEN.match(text, pos)) is not None and token["word"] and token["word"].lower() in words:
        pos = token.end()
    return pos


def _short_decade(text: str, atom: _Atom, published: date | None) -> _Draft | None:
    """ "the 60's", "the ’70s", "the 60s and 70s": a decade written with two digits."""
    window = text[max(0, atom.start - 24) : atom.start]
    joined = _SHORT_DECADE_JOIN.search(window) and _DECADE_NEAR.search(window)
    if not _SHORT_DECADE_BEFORE.search(window) and not joined:
        return None  # "in their 60s" is an age
    digits = int(atom.match["decade2_year"])
    year = 2000 + digits if published is not None and 2000 + digits + 9 <= published.year else 1900 + digits
    if published is None and digits in (0, 10):
        year = 2000 + digits
    return _Draft("year", atom.start, atom.end, value=float(year), unit="year", value_high=float(year + 9))


_SHORT_DECADE_BEFORE = re.compile(r"(?:\bthe\s+(?:(?:early|mid|late)[-\s]+)?|['’])$", re.I)

_SHORT_DECADE_JOIN = re.compile(r"(?:\s(?:and|or|to|through)\s|[-–])$", re.I)

_DECADE_NEAR = re.compile(r"\b[0-9]0(?:['’]s|s)\b")


def _leftover(text: str, atom: _Atom) -> bool:
    """The unpaired end of "May 10-12" or "3:16": a number hung on another number is no figure."""
    start = atom.start
    return start > 1 and text[start - 1] in "-–:" and text[start - 2].isdigit()


def _date(atom: _Atom, anchor: _Anchor | None) -> _Draft | None:
    match = atom.match
    prefix = {"date_md": "md", "date_dm": "dm", "date_my": "my"}[atom.kind]
    month = _MONTHS[match[f"{prefix}_month"].rstrip(".").lower()]
    year_text = match[f"{prefix}_year"]
    year = int(year_text) if year_text else None
    if prefix == "my":
        assert year is not None  # the pattern requires it
        return _Draft("date", atom.start, atom.end, unit=f"{year:04d}-{month:02d}")
    day = int(match[f"{prefix}_day"])
    iso = _iso_date(month, day, year, anchor)
    return _Draft("date", atom.start, atom.end, unit=iso) if iso else None


_NEXT_LAST = re.compile(r"\b(?P<word>next|last|this\s+coming|coming|past|previous)\s+$", re.I)


@dataclass(frozen=True, slots=True)
class _Anchor:
    """The essay's date, and which way a date without a year points ("next June 3rd": after it)."""

    published: date
    direction: int = 0  # 1 after the essay's date, -1 before it, 0 either


def _anchor(text: str, start: int, published: date | None) -> _Anchor | None:
    if published is None:
        return None
    match = _NEXT_LAST.search(text, max(0, start - 20), start)
    if match is None:
        return _Anchor(published)
    word = match["word"].lower()
    return _Anchor(published, 1 if word in ("next", "coming") or word.startswith("this") else -1)


# A date without a year is in the essay's own year unless it lies further than this from the
# essay's date and the neighbouring year's is nearer ("December 28th" in a January essay).
_SAME_YEAR_DAYS = 243


def _iso_date(month: int, day: int, year: int | None, anchor: _Anchor | None) -> str | None:
    """The ISO date; without a year, read against the essay's date (see ``_SAME_YEAR_DAYS``)."""
    if year is not None:
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            return None
    if anchor is None:
        try:
            date(2000, month, day)  # a leap year, so 29 February stays valid
        except ValueError:
            return None
        return f"--{month:02d}-{day:02d}"
    published = anchor.published
    candidates: list[date] = []
    for candidate_year in (published.year, published.year - 1, published.year + 1):
        try:
            candidates.append(date(candidate_year, month, day))
        except ValueError:
            continue
    if anchor.direction:
        ahead = [c for c in candidates if (c - published).days * anchor.direction > 0]
        if ahead:
            return min(ahead, key=lambda c: abs((c - published).days)).isoformat()
    if candidates and candidates[0].year == published.year and abs((candidates[0] - published).days) <= _SAME_YEAR_DAYS:
        return candidates[0].isoformat()
    best = min(candidates, key=lambda c: abs((c - published).days), default=None)
    return best.isoformat() if best else None


def _time(match: re.Match[str], kind: str) -> _Draft | None:
    zone: str | None
    if kind == "time_ampm":
        hour, minute, zone = int(match["t1_hour"]), int(match["t1_min"] or 0), match["t1_zone"]
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match["t1_half"].lower() == "p" else 0)
    elif kind == "time_zone":
        hour, minute, zone = int(match["t2_hour"]), int(match["t2_min"]), match["t2_zone"]
    elif kind == "time_noon":
        hour, minute, zone = (12 if match["t3_word"].lower() == "noon" else 0), 0, match["t3_zone"]
    else:
        hour, minute, zone = int(match["t4_hour"]), int(match["t4_min"]), None
    unit = f"{hour:02d}:{minute:02d}"
    if zone:
        first = zone.split()[0]
        unit += " " + _ZONES.get(first.lower(), first)
    return _Draft("time", match.start(), match.end(), unit=unit)


def _qualify(text: str, draft: _Draft) -> None:
    match = _QUALIFIER.search(text, max(0, draft.start - 24), draft.start)
    if match is None:
        return
    qualifier = " ".join(match["q"].lower().split())
    if draft.kind == "duration" and qualifier == "over":
        return  # "over four years" is a span of time, not "more than"
    small_word = draft.kind == "count" and draft.value is not None and draft.value < 20 and text[draft.start].isalpha()
    if small_word and qualifier in ("over", "under"):
        return  # "under two governors", "over three meals": when or where, not "fewer than"
    draft.qualifier = qualifier
    draft.start = match.start("q")
