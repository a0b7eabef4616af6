"""The words of a block as sections see them: read once, used to segment and to name.

One pass over a block gives its runs of words between punctuation (a name is made from a
run), each with its sentence number, and the stems of its content words (what the
segmenter counts). Both the segmenter and the namer read these, so an essay is tokenised
once. ``rarity`` says how much a word tells about a topic in general English: "people" or
"time" little, "redistricting" a lot, from the word frequencies of the ``wordfreq`` package
(many genres of English text, none of them this project's corpora).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from bot.essays.text import STOPWORDS, stem, strip_possessive

logger = logging.getLogger(__name__)

# A word (letters with inner apostrophes or hyphens), a number, or one punctuation mark.
_TOKEN_RE = re.compile(r"[^\W\d_]+(?:['\-][^\W\d_]+)*|\d[\d.,]*|[^\w\s]")
_SENTENCE_ENDS = frozenset(".!?…")
_OPENERS = frozenset("\"'“‘([")
_CURLY_APOSTROPHES = ("’", "‘", "ʼ")
# URLs and e-mail addresses are not prose: "com" and "www" must not count as words.
_URL_RE = re.compile(
    r"\b(?:https?://|www\.)\S+|\S+@\S+\.\w+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|io|gov|edu|info)\b",
    re.IGNORECASE,
)
_URL_MARKERS = ("://", "www.", "@", ".com", ".net", ".org", ".io", ".gov", ".edu", ".info")

# Zipf frequency (log10 of uses per billion words) above which a word says nothing about a
# topic, and the weights at the two ends: the frequent words of English ("people", zipf 6.3)
# weigh RARITY_FLOOR; a word unknown to the list weighs RARITY_CEILING.
_ZIPF_TOP = 7.0
RARITY_FLOOR = 0.5
RARITY_CEILING = 7.0


class Word(NamedTuple):
    surface: str
    # The stem of a content word; the lowercase form of any other word.
    stem: str
    content: bool
    # Capitalised where a sentence does not start: a name, kept as the author writes it.
    proper: bool


Run = tuple[tuple[Word, ...], int]


@dataclass(frozen=True, slots=True)
class BlockWords:
    """A block's runs of words between punctuation (with sentence numbers) and its content stems."""

    runs: tuple[Run, ...]
    stems: tuple[str, ...]
    # Lowercase form of each content stem's first use, for its general-English rarity.
    forms: tuple[tuple[str, str], ...]


# token -> (stem or lowercase form, is a content word, lowercase form without possessive)
_INFO: dict[str, tuple[str, bool, str]] = {}
_INFO_LIMIT = 200_000


def _info(token: str) -> tuple[str, bool, str]:
    found = _INFO.get(token)
    if found is None:
        lower = token.lower()
        base = strip_possessive(lower)
        content = len(base) > 2 and base not in STOPWORDS and lower not in STOPWORDS
        content = content and base.replace("-", "").replace("'", "").isalpha()
        found = ((stem(base) if content else lower), content, base)
        if len(_INFO) < _INFO_LIMIT:
            _INFO[token] = found
    return found


def block_words(text: str) -> BlockWords:
    """Read one block's text."""
    if "’" in text or "‘" in text or "ʼ" in text:
        for mark in _CURLY_APOSTROPHES:
            text = text.replace(mark, "'")
    if any(marker in text for marker in _URL_MARKERS):
        text = _URL_RE.sub(" . ", text)
    runs: list[Run] = []
    run: list[Word] = []
    stems: list[str] = []
    forms: dict[str, str] = {}
    sentence = 0
    first = True
    for token in _TOKEN_RE.findall(text):
        if not token[0].isalpha():
            if run:
                runs.append((tuple(run), sentence))
                run = []
            if token in _SENTENCE_ENDS:
                sentence += 1
                first = True
            elif token not in _OPENERS:
                first = False
            continue
        word_stem, content, base = _info(token)
        if content:
            stems.append(word_stem)
            forms.setdefault(word_stem, base)
            run.append(Word(token, word_stem, True, not first and token[0].isupper()))
        else:
            run.append(Word(token, word_stem, False, False))
        first = False
    if run:
        runs.append((tuple(run), sentence))
    return BlockWords(tuple(runs), tuple(stems), tuple(forms.items()))


# --- general-English rarity -----------------------------------------------------------------

_RARITY: dict[str, float] = {}
_zipf: Callable[[str, str], float] | None = None


def rarity(word: str) -> float:
    """How much a lowercase word tells about a topic: 7 minus its zipf frequency in English, bounded."""
    global _zipf
    found = _RARITY.get(word)
    if found is not None:
        return found
    if _zipf is None:
        # Imported on first use: loading the word list takes about 0.1 s, paid by the first
        # essay analysed, never by start-up.
        from wordfreq import zipf_frequency

        _zipf = zipf_frequency
    value = min(RARITY_CEILING, max(RARITY_FLOOR, _ZIPF_TOP - _zipf(word, "en")))
    if len(_RARITY) < _INFO_LIMIT:
        _RARITY[word] = value
    return value
