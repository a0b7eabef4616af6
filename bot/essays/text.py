"""Small text utilities shared by the essay analysers: words, stopwords, sentences, a stemmer.

Everything here is pure, deterministic and cheap: the analysers call these on every
block of every essay, so there are no external models and no heavy normalisation.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import snowballstemmer

logger = logging.getLogger(__name__)

# Curly apostrophes are normalised to the ASCII one so "don’t" and "don't" are the same token.
_APOSTROPHES = ("’", "‘", "ʼ")

# A word is a dotted acronym ("u.s."), a number with separators ("3,912", "1.5"), or a run of
# letters/digits optionally joined by inner hyphens or apostrophes ("rainy-day", "don't", "city's");
# leading and trailing apostrophes are quote marks, not word parts.
_WORD_RE = re.compile(r"(?:[^\W\d_]\.){2,}|\d+(?:[.,]\d+)+|[^\W_]+(?:['\-][^\W_]+)*")

STOPWORDS: frozenset[str] = frozenset(
    """
    a about above across after afterwards again against all almost alone along already also although
    always am among amongst an and another any anybody anyhow anyone anything anyway anywhere are
    around as at back be became because become becomes becoming been before beforehand behind being
    below beside besides between beyond both but by can cannot could did do does doing done down
    during each either else elsewhere enough even ever every everybody everyone everything everywhere
    except few for former formerly from further had has have having he hence her here hereafter hereby
    herein hers herself him himself his how however i if in indeed instead into is it its itself just
    last latter least less like made make makes many may me meanwhile might mine more moreover most
    mostly much must my myself namely neither never nevertheless next no nobody none noone nor not
    nothing now nowhere of off often on once one only onto or other others otherwise our ours
    ourselves out over own per perhaps put rather really said same say says see seem seemed seeming
    seems several she should since so some somehow someone something sometime sometimes somewhere
    still such than that the their theirs them themselves then thence there thereafter thereby
    therefore therein these they this those though through throughout thus to together too toward
    towards under unless until up upon us very via was we well were what whatever when whence whenever
    where whereas whereby wherever whether which while who whoever whole whom whose why will with
    within without would yet you your yours yourself yourselves
    ain't aren't can't couldn't didn't doesn't don't hadn't hasn't haven't he'd he'll he's i'd i'll
    i'm i've isn't it'd it'll it's let's mightn't mustn't shan't she'd she'll she's shouldn't that's
    there's they'd they'll they're they've wasn't we'd we'll we're we've weren't what's who's won't
    wouldn't you'd you'll you're you've
    also get gets got go goes going gone lot lots thing things way ways yes e.g. i.e. etc
    let lets think know want actually maybe quite bit pretty anyway okay ok great good nice better best
    """.split()
)


def normalise_apostrophes(text: str) -> str:
    """Replace curly apostrophes with ASCII ones."""
    # str.replace per mark, not str.translate: translate with a non-ASCII table maps every
    # character one by one, some fifty times slower on an essay (and every analyser calls this).
    for mark in _APOSTROPHES:
        text = text.replace(mark, "'")
    return text


def words(text: str) -> list[str]:
    """Lowercased word tokens; hyphenated words and inner apostrophes are kept whole."""
    return _WORD_RE.findall(normalise_apostrophes(text).lower())


def word_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the tokens ``words`` would return, for callers that need positions."""
    return [match.span() for match in _WORD_RE.finditer(normalise_apostrophes(text))]


@lru_cache(maxsize=65536)
def is_content_word(word: str) -> bool:
    """A lowercased token that carries meaning: not a stopword, not a bare number, not one letter.

    Cached: an essay asks about the same few hundred words thousands of times.
    """
    return len(word) > 1 and word not in STOPWORDS and not any(char.isdigit() for char in word)


def strip_possessive(word: str) -> str:
    """``city's`` -> ``city``; ``states'`` never reaches here (trailing apostrophes are not tokenised)."""
    return word[:-2] if word.endswith("'s") and len(word) > 3 else word


def content_words(text: str) -> list[str]:
    """Lowercased content words (no stopwords, numbers or single letters), possessives stripped."""
    result: list[str] = []
    for word in words(text):
        if is_content_word(word):
            base = strip_possessive(word)
            if base not in STOPWORDS:
                result.append(base)
    return result


# Snowball's English (Porter2) stemmer: a kept library, uses PyStemmer's C code when installed.
_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=16384)
def stem(word: str) -> str:
    """The Snowball (Porter2) stem: ``funds``/``funding``/``funded`` -> ``fund``.

    It only has to make inflections of one word meet, not produce real words; it is
    cached because the same few hundred words recur through an essay.
    """
    word = strip_possessive(word.lower())
    if len(word) <= 3:
        return word
    return str(_STEMMER.stemWord(word))


# Abbreviations that are always followed by more of the same sentence (titles before names).
_TITLE_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st sr jr gen sen rep gov lt col capt sgt rev hon mt ft pres supt insp cmdr adm "
    "e.g i.e cf vs v viz approx al".split()
)
# Abbreviations that continue the sentence when a number follows: "No. 5", "Jan. 6", "pp. 12".
_NUMBER_ABBREVIATIONS = frozenset(
    "no nos vol vols pp p art sec ch fig figs op jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
# Words that, capitalised after an acronym such as "U.S.", signal that a new sentence began.
_SENTENCE_STARTERS = frozenset(
    "the a an but and or so yet it its this that these those there they we i he she you in on at for "
    "if when while as after before since what why how who our my his her their no not nor then still "
    "even now here one some many most all".split()
)

# A candidate boundary: terminal punctuation, optional closing quotes/brackets, then whitespace.
_BOUNDARY_RE = re.compile(r"([.!?…]+)([\"'”’»)\]]*)(\s+)")
_OPENERS = "\"'“‘«([¿¡"


def _previous_token(text: str, end: int) -> str:
    """The whitespace-delimited token ending at ``end``, without leading quotes or brackets."""
    start = text.rfind(" ", 0, end) + 1
    return text[start:end].lstrip(_OPENERS)


def _next_token(text: str, start: int) -> str:
    end = text.find(" ", start)
    return text[start : end if end != -1 else len(text)]


def _is_boundary(text: str, match: re.Match[str]) -> bool:
    punctuation, closers = match.group(1), match.group(2)
    following = text[match.end() :]
    if not following:
        return True
    first = following[0]
    if not (first.isupper() or first.isdigit() or first in _OPENERS):
        return False
    if punctuation != "." or closers:
        # "?" / "!" / "…" / a period inside closing quotes end the sentence when a capital follows.
        return True
    token = _previous_token(text, match.start(1))
    lowered = token.lower()
    if lowered in _TITLE_ABBREVIATIONS:
        return False
    if lowered in _NUMBER_ABBREVIATIONS and first.isdigit():
        return False
    if len(token) == 1 and token.isupper():
        # An initial, as in "J. K. Rowling".
        return False
    if "." in token and all(part.isalpha() and len(part) <= 2 for part in token.split(".")):
        # An acronym like "U.S." or "a.m.": a new sentence only if a typical opener follows.
        next_word = re.sub(r"\W+$", "", _next_token(text, match.end()).lstrip(_OPENERS)).lower()
        return next_word in _SENTENCE_STARTERS
    return True


def sentences(text: str) -> list[str]:
    """Split text into sentences, robust to common abbreviations, initials, decimals and quotes.

    Blank lines are hard boundaries (they separate paragraphs). Figures, notables and references
    each split the same blocks: the split is done once per text and shared (a new list each time).
    """
    return list(_sentences(text))


@lru_cache(maxsize=1024)
def _sentences(text: str) -> tuple[str, ...]:
    result: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        start = 0
        for match in _BOUNDARY_RE.finditer(paragraph):
            if _is_boundary(paragraph, match):
                sentence = paragraph[start : match.start(3)].strip()
                if sentence:
                    result.append(sentence)
                start = match.end()
        tail = paragraph[start:].strip()
        if tail:
            result.append(tail)
    return tuple(result)
