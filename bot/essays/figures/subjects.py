"""What each figure counts or dates: the subject /figures shows beside it."""

from __future__ import annotations

import re
from itertools import pairwise

from bot.essays.figures.kinds import (
    _AMOUNT_KINDS,
    _AMOUNT_PREPOSITIONS,
    _CHANGE_GAP,
    _EVENT_KINDS,
    _FIGURE_GAP,
    _RANGE_OPENER,
    _SPAN_FROM,
    _TIME_PHRASE,
)
from bot.essays.figures.numbers import _Draft
from bot.essays.figures.phrases import (
    _EVENT_PREPOSITIONS,
    _NP_TOKEN,
    _TOKEN_BEFORE,
    _clause_subject,
    _clause_tokens,
    _noun_phrase_after,
    _noun_phrase_before,
    _phrase_before,
    _sentence_start,
    _skip_determiners,
)
from bot.essays.figures.vocabulary import _DETERMINERS, _STOP, _TIME_WORDS


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
