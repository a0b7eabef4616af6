"""The words figures are read with: months, number words, scales, currencies, zones, units, and the
function words that end a noun phrase."""

from __future__ import annotations

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
