"""Noun phrases and clauses around a figure: the phrase after a number, the phrase before it, and the
subject of the clause it sits in."""

from __future__ import annotations

import re

from bot.essays.figures.vocabulary import (
    _CLAUSE_JOINERS,
    _DETERMINERS,
    _FUNCTION_WORDS,
    _IRREGULAR_PLURALS,
    _LEAD_SKIP,
    _PRONOUNS,
    _SMALL_NUMBERS,
    _STOP,
    _TENS,
)

_LINK_VERB = re.compile(
    r"\s+(?:is|was|are|were|totals?|totaled|totalled|reached|reaches|hit|hits|costs?|stands\s+at"
    r"|stood\s+at|came\s+to|comes\s+to|amounts?\s+to|amounted\s+to|(?:rose|rises?|fell|falls?|climb(?:s|ed)"
    r"|drop(?:s|ped)|jump(?:s|ed)|grows?|grew|increas(?:es|ed)|decreas(?:es|ed)|declin(?:es|ed)|shrank"
    r"|shrinks|soar(?:s|ed)|surg(?:es|ed)|swell(?:s|ed)|balloon(?:s|ed))(?:\s+(?:to|by))?)\s+$",
    re.I,
)

_OF_BEFORE = re.compile(r"\s+of\s+$")

# Prepositions that tie a year, date, time or span to what it dates: "a hearing on March 12th".
_EVENT_PREPOSITIONS = frozenset(
    "in on at since by during until till before after from between for over within through".split()
)

_IRREGULAR_PAST = frozenset(
    "met sent threw began held led set put cut hit built bought brought thought left found fought ran sat "
    "spoke stood wrote chose drove grew knew broke struck meant sold taught sought won".split()
)

_MODALS = frozenset("to will would shall should can could may might must do does did".split())

_OBJECT_PRONOUNS = frozenset("it them us him her me".split())

_NP_TOKEN = re.compile(r"\s*(?:(?P<word>[A-Za-z][A-Za-z'’-]*)|\S)")

_TOKEN_BEFORE = re.compile(r"[A-Za-z][A-Za-z'’-]*|[^\sA-Za-z]")


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


def _sentence_start(spans: list[tuple[int, int]], position: int) -> int:
    for start, end in spans:
        if start <= position < end:
            return start
    return 0


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
