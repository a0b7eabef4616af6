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
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

from bot.essays.model import Figure, FigureKind, Section
from bot.essays.text import sentences

logger = logging.getLogger(__name__)

# --- vocabulary -------------------------------------------------------------------------------

_MONTHS: dict[str, int] = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_SMALL_NUMBERS: dict[str, int] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS: dict[str, int] = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90,
}  # fmt: skip
# Scale words and suffixes as powers of ten, so "88.4" and 9 become exactly float("88.4e9").
_SCALES: dict[str, int] = {
    "hundred": 2, "thousand": 3, "million": 6, "billion": 9, "trillion": 12,
    "k": 3, "m": 6, "mn": 6, "mln": 6, "b": 9, "bn": 9, "bln": 9, "tn": 12, "tr": 12,
}  # fmt: skip
_CURRENCY_SYMBOLS: dict[str, str] = {
    "$": "USD", "us$": "USD", "c$": "CAD", "a$": "AUD", "nz$": "NZD", "hk$": "HKD",
    "€": "EUR", "£": "GBP", "¥": "JPY", "usd": "USD", "eur": "EUR", "gbp": "GBP", "jpy": "JPY",
}  # fmt: skip
_CURRENCY_WORDS: dict[str, str] = {
    "dollar": "USD", "dollars": "USD", "euro": "EUR", "euros": "EUR", "pound": "GBP",
    "pounds": "GBP", "yen": "JPY", "cents": "USD", "pence": "GBP",
}  # fmt: skip
_ZONES: dict[str, str] = {"eastern": "ET", "central": "CT", "mountain": "MT", "pacific": "PT"}
_YEARS_IN: dict[str, int] = {"decade": 10, "century": 100}
_DURATION_UNITS: dict[str, str] = {
    "second": "seconds", "minute": "minutes", "hour": "hours", "day": "days", "week": "weeks",
    "month": "months", "year": "years", "decade": "decades", "century": "centuries",
}  # fmt: skip

# Words that end a noun phrase: function words, auxiliaries and the commonest verbs.
_STOP = frozenset(
    """
    a an the this that these those its their his her our my your whose which who whom what
    and or but nor so yet than then as if because although though while when where whereas
    of in on at by for to from with without into onto over under about after before during since
    until till through across against among between per via than like within beyond toward towards
    is are was were be been being am has have had will would shall should can could may might must
    do does did done said says say tell told make made makes get gets got go goes went gone come
    comes came take takes took give gives gave see saw seen live lives lived paid need needs want
    wants remain remains sit sits stands keep keeps kept lose loses lost won spend spends spent rises
    rose falls fell
    it they them we us he she him you i one ones there here now still also only just even already
    something anything nothing everything someone anyone ago above below used
    never ever always often once again
    more most less least fewer much many very too not no nor all both each every either neither
    some any such other another own same
    """.split()
)
_DETERMINERS = frozenset("the a an its their his her our my your this that these those each every".split())
# Words skipped right after a number before its noun: "14 other states", "$3,912 more".
_LEAD_SKIP = frozenset("more other additional extra fewer less further".split())
# Adjectives that may stand between a count and its plural noun: "2000 new homes".
_COUNT_ADJECTIVES = frozenset("new more other additional extra local small large big young old full".split())
_IRREGULAR_PLURALS = frozenset(
    "people children men women police staff personnel cattle data media feet teeth mice geese "
    "folk folks citizens alumni criteria phenomena".split()
)
_PRONOUNS = frozenset(
    "i we you he she it they this that there these those which who what something anything nothing everything".split()
)
# Words before a number that make it a label, not a quantity: "Part 2", "Title 42", "No. 5".
_LABEL_WORDS = frozenset(
    """
    part chapter section article art title rule amendment proposition prop question route highway
    interstate room suite apt apartment page p pp vol volume episode season phase stage step
    figure fig table exhibit docket footnote version v no. number resolution district ward
    precinct verse psalm flight tier category clause paragraph appendix annex schedule sec ch op
    paper wp port line error code build release ticket issue bug pr ext extension pin id unit gate exit
    platform track lane grade level form bill docket case model
    """.split()
)
# Determiners, prepositions and hedges that may stand between a verb and its figure.
_FUNCTION_WORDS = _DETERMINERS | frozenset(
    "to by at of for from about around roughly nearly almost some over under just only also still "
    "already another more than less".split()
)
# Words that open a new clause, so a subject is looked for only after them.
_CLAUSE_JOINERS = frozenset("and but while whereas because which that who so yet or when if although".split())
# Words that say when, not what: "4.5 percent in March" is not a rate of March.
_TIME_WORDS = frozenset(
    """
    january february march april may june july august september october november december
    year years month months week weeks day days decade decades time spring summer autumn fall winter
    """.split()
)

# --- the scanner -------------------------------------------------------------------------------

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

# --- the grammar around an atom ----------------------------------------------------------------

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
_QUALIFIER = re.compile(
    r"\b(?P<q>just\s+over|just\s+under|well\s+over|well\s+under|more\s+than|less\s+than|fewer\s+than"
    r"|greater\s+than|at\s+least|at\s+most|up\s+to|as\s+many\s+as|as\s+much\s+as|as\s+few\s+as"
    r"|as\s+little\s+as|close\s+to|upwards\s+of|an\s+estimated|nearly|almost|about|around|roughly"
    r"|approximately|some|over|under|circa|barely|fully)\s+$",
    re.I,
)
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
_LINK_VERB = re.compile(
    r"\s+(?:is|was|are|were|totals?|totaled|totalled|reached|reaches|hit|hits|costs?|stands\s+at"
    r"|stood\s+at|came\s+to|comes\s+to|amounts?\s+to|amounted\s+to|(?:rose|rises?|fell|falls?|climb(?:s|ed)"
    r"|drop(?:s|ped)|jump(?:s|ed)|grows?|grew|increas(?:es|ed)|decreas(?:es|ed)|declin(?:es|ed)|shrank"
    r"|shrinks|soar(?:s|ed)|surg(?:es|ed)|swell(?:s|ed)|balloon(?:s|ed))(?:\s+(?:to|by))?)\s+$",
    re.I,
)
_OF_DETERMINER = re.compile(r"\s+(?:other\b|of\s+(?:the|those|these|its|their|our|his|her|my|your)\b)", re.I)
_PER_NUMBER = re.compile(
    r"(?:\s+[A-Za-z][\w-]*){0,2}?\s+per\s+(?P<base>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)\s+(?P<noun>[A-Za-z]+)"
)
_FRACTIONS = frozenset("half halves third thirds quarter quarters fourths fifths sixths tenths".split())
_HYPHEN_WORD = re.compile(r"-(?P<word>[a-z]+)\b(?!-)")
_OF_BEFORE = re.compile(r"\s+of\s+$")
_WORD_SEPARATOR = re.compile(r"[-\s]+")
_URL = re.compile(r"(?:https?://|www\.)\S+|\S+\.(?:com|org|net|gov|edu|io)/\S*")
_AMOUNT_KINDS = frozenset({"money", "per_unit", "percent", "percentage_points", "ratio"})
_EVENT_KINDS = frozenset({"year", "date", "time", "duration"})
# Prepositions that tie a year, date, time or span to what it dates: "a hearing on March 12th".
_EVENT_PREPOSITIONS = frozenset(
    "in on at since by during until till before after from between for over within through".split()
)
# Prepositions that tie an amount to what it measures: "puts the reserve at $41.6 billion".
_AMOUNT_PREPOSITIONS = frozenset("at between by".split())
_IRREGULAR_PAST = frozenset(
    "met sent threw began held led set put cut hit built bought brought thought left found fought ran sat "
    "spoke stood wrote chose drove grew knew broke struck meant sold taught sought won".split()
)
_MODALS = frozenset("to will would shall should can could may might must do does did".split())
_OBJECT_PRONOUNS = frozenset("it them us him her me".split())
# Between two figures of one change ("from A to B") or a figure and its date ("18% since 2022").
_CHANGE_GAP = re.compile(r"\s*(?:to|and|[-–—])\s*", re.I)
_FIGURE_GAP = re.compile(r"[\s,]*(?:(?:in|on|at|since|by|during|over|for|through)\s+)?", re.I)
_SPAN_FROM = re.compile(r"\s+(?:after|since|before)\s+", re.I)
_NP_TOKEN = re.compile(r"\s*(?:(?P<word>[A-Za-z][A-Za-z'’-]*)|\S)")
_TOKEN_BEFORE = re.compile(r"[A-Za-z][A-Za-z'’-]*|[^\sA-Za-z]")


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


# --- public API --------------------------------------------------------------------------------


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


# --- per block ---------------------------------------------------------------------------------


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


def _is_list_marker(text: str, atom: _Atom, markers: set[int]) -> bool:
    """List numbering ("1. ", "2) ") opening a block or line is not a count."""
    if atom.kind not in ("num", "word"):
        return False
    end = atom.end
    while end < len(text) and text[end] in ".):":
        end += 1
    return end in markers


# --- building one figure -----------------------------------------------------------------------


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


# --- subjects ----------------------------------------------------------------------------------


def _is_plural(word: str) -> bool:
    lowered = word.lower()
    if lowered in _IRREGULAR_PLURALS:
        return True
    return len(lowered) > 3 and lowered.endswith("s") and not lowered.endswith(("ss", "us", "is", "'s", "’s"))


def _noun_phrase_after(text: str, pos: int) -> str | None:
    """The noun phrase right after a number: "rainy-day fund", "mayors", "other states" -> "states".

    The phrase ends at a function word, a verb we know, punctuation, or its first plural noun.
    """
    words: list[str] = []
    position = pos
    leading = True
    for _ in range(10):
        token = _NP_TOKEN.match(text, position)
        if token is None or token["word"] is None:
            break
        # A phrase must follow the number directly, not after a line or a full stop.
        word = token["word"].strip("'’-")
        lowered = word.lower()
        if leading and lowered in _LEAD_SKIP:
            position = token.end()
            continue
        if lowered in _STOP or lowered in _SMALL_NUMBERS or lowered in _TENS or not word:
            break
        if len(lowered) > 4 and lowered.endswith("ed") and (words or not _word_follows(text, token.end())):
            break  # a verb ("a dozen abstained"), unless it is an adjective before a noun
        leading = False
        words.append(word)
        position = token.end()
        if _is_plural(word) or len(words) == 6:
            after = _NP_TOKEN.match(text, position)
            if after is not None and after["word"] and after["word"].lower() in _POSTPOSITIVE:
                words.append(after["word"])  # "attorneys general", "members elect"
            break
    return " ".join(words) if words else None


_POSTPOSITIVE = frozenset("general generals elect emeritus designate".split())


def _word_follows(text: str, pos: int) -> bool:
    token = _NP_TOKEN.match(text, pos)
    return token is not None and token["word"] is not None and token["word"].lower() not in _STOP


def _fill_subjects(text: str, drafts: list[_Draft], spans: list[tuple[int, int]]) -> None:
    """Give each figure still without a subject one, from its neighbours or its own sentence."""
    for position, draft in enumerate(drafts):
        if draft.subject is not None:
            continue
        sentence_start = _sentence_start(spans, draft.start)
        earlier = [other for other in drafts[:position] if other.end > sentence_start]
        draft.subject = _shared_subject(text, earlier, draft) or _own_subject(text, draft, sentence_start)
    # "from 38% to 11%": the start of a change may only learn its subject from the end.
    for first, second in pairwise(drafts):
        if first.subject is None and second.subject is not None and _is_change(text, first, second):
            first.subject = second.subject


def _sentence_start(spans: list[tuple[int, int]], position: int) -> int:
    for start, end in spans:
        if start <= position < end:
            return start
    return 0


def _shared_subject(text: str, earlier: list[_Draft], draft: _Draft) -> str | None:
    """A subject borrowed from an earlier figure of the same sentence.

    The end of a change shares its start's ("from 14,000 households to fewer than 9,000"); a
    date, year or span right after a figure dates that figure ("cut by 18% since 2022", "on
    April 14th at 10 AM"); a bare count counts what an earlier count did.
    """
    if not earlier:
        return None
    previous = earlier[-1]
    if previous.subject is not None:
        if previous.kind == draft.kind and _is_change(text, previous, draft):
            return previous.subject
        if draft.kind in _EVENT_KINDS and _FIGURE_GAP.fullmatch(text, previous.end, draft.start):
            return previous.subject
    if draft.kind == "count":
        for other in reversed(earlier):
            if other.kind == "count" and other.subject is not None:
                return other.subject
    return None


def _is_change(text: str, first: _Draft, second: _Draft) -> bool:
    """ "from A to B", "between A and B" written as two figures."""
    opener = _RANGE_OPENER.search(text, max(0, first.start - 12), first.start)
    return opener is not None and _CHANGE_GAP.fullmatch(text, first.end, second.start) is not None


def _own_subject(text: str, draft: _Draft, sentence_start: int) -> str | None:
    if draft.kind in _AMOUNT_KINDS:
        return _amount_subject(text, draft, sentence_start)
    if draft.kind in _EVENT_KINDS:
        return _event_subject(text, draft, sentence_start)
    return None  # a count found its noun, or has none, when it was read


def _amount_subject(text: str, draft: _Draft, sentence_start: int) -> str | None:
    """What an amount or a rate is of: the phrase after it, before it, or the sentence's subject."""
    position = draft.end
    if (skip := _TIME_PHRASE.match(text, position)) is not None:
        position = skip.end()
    token = _NP_TOKEN.match(text, position)
    if token is not None and token["word"]:
        lowered = token["word"].lower()
        # A rate is "of" something ("45% of voters"); "4.5 percent in March" says when, not what.
        prepositions = ("of",) if draft.kind in ("percent", "percentage_points") else ("in", "for", "on", "of")
        phrase: str | None = None
        if lowered in prepositions:
            phrase = _noun_phrase_after(text, _skip_determiners(text, token.end()))
        elif lowered not in _STOP and draft.kind in ("money", "percent") and not _ADVERB.match(lowered):
            phrase = _noun_phrase_after(text, position)  # "a $41 billion fund", "the 10% target"
        if phrase and not _TIME_WORDS.intersection(phrase.lower().split()):
            return phrase
    tokens = _TOKEN_BEFORE.findall(text, sentence_start, draft.start)
    return (
        _phrase_before(text, draft.start)
        or _noun_phrase_before(tokens, _AMOUNT_PREPOSITIONS)
        or _clause_subject(tokens)
    )


def _event_subject(text: str, draft: _Draft, sentence_start: int) -> str | None:
    """What a year, date, time or span dates: "the 2008 crash", "a hearing on March 12th"."""
    tokens = _TOKEN_BEFORE.findall(text, sentence_start, draft.start)
    last = tokens[-1].lower() if tokens else ""
    if draft.kind in ("year", "date") and (last in _DETERMINERS or last.endswith(("'s", "’s"))):
        return _noun_phrase_after(text, draft.end)  # "the 2008 crash", "Biden's 2021 plan"
    if draft.kind == "duration" and (since := _SPAN_FROM.match(text, draft.end)) is not None:
        return _noun_phrase_after(text, _skip_determiners(text, since.end()))  # "94 years after the strike"
    clause = [token.lower() for token in _clause_tokens(tokens)]
    if not clause or (len(clause) == 1 and last in _EVENT_PREPOSITIONS):
        # "In 2005 the city council covered...": an opening date dates what the clause goes on to say.
        after = draft.end
        while after < len(text) and text[after] in " ,":
            after += 1
        return _noun_phrase_after(text, _skip_determiners(text, after))
    recurring = _RECURRING_BEFORE.search(text, max(sentence_start, draft.start - 40), draft.start)
    if recurring is not None:
        # "the Bank of Calloway, profitable every year since 1919", "the jail has been full every month
        # since 2016": what has been so every year is the subject, not the year.
        return _recurring_subject(_TOKEN_BEFORE.findall(text, sentence_start, recurring.start()))
    return _noun_phrase_before(tokens, _EVENT_PREPOSITIONS) or _clause_subject(tokens)


_RECURRING_BEFORE = re.compile(
    r"\b(?:every|each)\s+(?:single\s+)?(?:year|month|week|day|season|quarter|summer|winter|time)\s+(?:since|from)\s+$",
    re.I,
)
_LINKING = frozenset("has have had is are was were been being remains remained stayed stays".split())


_ADVERB = re.compile(r"[a-z]{3,}ly$")


def _recurring_subject(tokens: list[str]) -> str | None:
    """The noun phrase a recurring state belongs to: the appositive's head, or the clause's subject."""
    while tokens and tokens[-1].lower() not in _LINKING and tokens[-1] != ",":
        tokens = tokens[:-1]  # "profitable", "over capacity": the state itself
    if tokens and tokens[-1] == ",":
        tokens = tokens[:-1]  # an appositive: its head is right before the comma
    else:
        while tokens and tokens[-1].lower() in _LINKING:
            tokens = tokens[:-1]  # "has been": the subject is before the verb
    words: list[str] = []
    for token in reversed(tokens):
        lowered = token.lower()
        if not token[0].isalpha() or (lowered in _STOP and not (lowered in ("of", "and") and words)) or len(words) == 6:
            break
        words.append(token)
    while words and words[-1].lower() in ("of", "and"):
        words.pop()
    words.reverse()
    return " ".join(words) if words else None


def _skip_determiners(text: str, pos: int) -> int:
    while (token := _NP_TOKEN.match(text, pos)) is not None and token["word"]:
        if token["word"].lower() not in _DETERMINERS:
            break
        pos = token.end()
    return pos


def _phrase_before(text: str, start: int) -> str | None:
    """The phrase an amount is "of" or is linked to by a verb.

    "spending of $5 billion" -> "spending"; "the rainy-day fund is $41 billion" -> "rainy-day fund".
    """
    window = max(0, start - 60)
    link = _LINK_VERB.search(text, window, start)
    if link is not None:
        return _words_ending_at(text, window, link.start())
    of = _OF_BEFORE.search(text, window, start)
    if of is not None:
        return _words_ending_at(text, window, of.start())
    return None


def _words_ending_at(text: str, window: int, end: int) -> str | None:
    tokens = _TOKEN_BEFORE.findall(text, window, end)
    words: list[str] = []
    for token in reversed(tokens):
        if not token[0].isalpha() or token.lower() in _STOP or len(words) == 4:
            break
        words.append(token)
    words.reverse()
    return " ".join(words) if words else None


def _clause_tokens(tokens: list[str]) -> list[str]:
    """The tokens after the last clause boundary (punctuation or a joining word)."""
    for position in range(len(tokens) - 1, -1, -1):
        token = tokens[position]
        if (not token[0].isalpha() and token not in "'’") or token.lower() in _CLAUSE_JOINERS:
            return tokens[position + 1 :]
    return tokens


def _noun_phrase_before(tokens: list[str], prepositions: frozenset[str]) -> str | None:
    """The phrase a preposition ties the figure to: "a hearing on March 12th" -> "hearing".

    Up to four words right before the preposition, back to a function word, punctuation or a
    possessive ("the state's Medicaid match for 14 months"). A verb before the preposition gives
    nothing: a past tense ("spiked in 2022"), a word after a modal ("will meet on"), or an -s
    word before "on"/"at" ("the legislature returns on"), where a verb is likelier than a plural.
    """
    if len(tokens) < 2 or tokens[-1].lower() not in prepositions:
        return None
    preposition = tokens[-1].lower()
    words: list[str] = []
    opener = ""
    for token in reversed(tokens[:-1]):
        lowered = token.lower()
        if not token[0].isalpha() or (lowered in _STOP and lowered != "own") or len(words) == 4:
            opener = lowered
            break
        words.append(token)
        if lowered.endswith(("'s", "’s")):
            break  # a possessive opens the phrase
    if not words:
        return None
    head = words[0].lower()
    if _is_past_tense(head) or opener in _MODALS or (preposition in ("on", "at") and _is_plural(head)):
        return None
    if opener.isdigit() or (len(words) == 1 and head.endswith("ing") and opener in _EVENT_PREPOSITIONS):
        return None  # "9 AM Eastern on June 3rd", "before retiring in 2023": no phrase to tie to
    words.reverse()
    return " ".join(words)


def _clause_subject(tokens: list[str]) -> str | None:
    """The noun phrase before the verb that governs the figure: "the program returns $1.31" -> "program"."""
    if any(token.isdigit() for token in _clause_tokens(tokens)):
        return None  # another number stands between: its own clause, not ours
    clause = _clause_tokens(tokens)
    after_comma = len(clause) < len(tokens) and tokens[-len(clause) - 1] == ","
    _strip_trailing(clause)
    if clause and clause[-1].lower() in _OBJECT_PRONOUNS:
        clause.pop()  # "puts it at": the verb is before its object
        _strip_trailing(clause)
    if not clause:
        return None
    clause.pop()  # the verb right before the figure
    while clause and clause[-1].lower() in _STOP:
        if clause[-1].lower() in _PRONOUNS:
            return None
        clause.pop()  # auxiliaries and adverbs: "would", "has", "also"
    if not clause:
        # "The reserve, parked in bills, earned 4.1%": the subject opens the sentence, before an aside.
        return _opening_phrase(tokens) if after_comma else None
    words: list[str] = []
    for token in reversed(clause):
        if not token[0].isalpha() or token.lower() in _STOP or len(words) == 4:
            break
        words.append(token)
    words.reverse()
    if not words or words[0].lower() in _PRONOUNS or _is_past_tense(words[-1]):
        return None  # "when it happened in 2009": no noun before the verb
    return " ".join(words)


def _is_past_tense(word: str) -> bool:
    lowered = word.lower()
    return (len(lowered) > 4 and lowered.endswith("ed")) or lowered in _IRREGULAR_PAST


def _strip_trailing(clause: list[str]) -> None:
    while clause and (
        clause[-1].lower() in _FUNCTION_WORDS
        or clause[-1].lower() in _EVENT_PREPOSITIONS
        or clause[-1].lower().endswith("ly")
    ):
        clause.pop()  # "grows by", "wants a", "spent roughly"


def _opening_phrase(tokens: list[str]) -> str | None:
    """The plain noun phrase that opens a sentence, up to its first comma: "The board chair, ..."."""
    words: list[str] = []
    for token in tokens:
        lowered = token.lower()
        if token == ",":
            return " ".join(words) if words else None
        if not token[0].isalpha() or lowered in _PRONOUNS:
            return None
        if lowered in _DETERMINERS and not words:
            continue
        if (lowered in _STOP and lowered != "own") or len(words) == 5:
            return None
        words.append(token)
    return None
