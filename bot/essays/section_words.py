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

from bot.essays.text import STOPWORDS, normalise_apostrophes, stem, strip_possessive

logger = logging.getLogger(__name__)

# A word (letters with inner apostrophes or hyphens), a number, or one punctuation mark.
_TOKEN_RE = re.compile(r"[^\W\d_]+(?:['\-][^\W\d_]+)*|\d[\d.,]*|[^\w\s]")
_SENTENCE_ENDS = frozenset(".!?…")
_OPENERS = frozenset("\"'“‘([")
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
    # Stems used here as a verb ("they voted"), and as the last word of a noun phrase ("the vote.").
    verbs: tuple[str, ...]
    heads: tuple[str, ...]


# Words after which the next word is most likely a verb ("they pay", "will stop", "to cut",
# "has written"): general English function words, used to keep verbs out of names.
_VERB_CUES = frozenset(
    """i you we they he she it who which that will would can could should must may might shall to not
    never did does do has have had was were is are be been being also just only often""".split()
)
_DETERMINERS = frozenset("the a an this that these those his her its their our my your every each no".split())

_PUNCTUATION = 0
_SENTENCE_END = 1
_OPENER = 2
_OTHER = 3
_CONTENT = 4


# What a token is, worked out once per distinct token: its kind; the word as it stands in a
# run mid-sentence and at a sentence start; its lowercase form without possessive; whether it
# is an "-ed" form (a verb unless a determiner precedes it); whether it cues a verb after it,
# and whether it is a determiner.
_Entry = tuple[int, Word | None, Word | None, str, bool, bool, bool]
_ENTRIES: dict[str, _Entry] = {}
_CACHE_LIMIT = 200_000


def _entry(token: str) -> _Entry:
    if not token[0].isalpha():
        kind = _SENTENCE_END if token in _SENTENCE_ENDS else _OPENER if token in _OPENERS else _PUNCTUATION
        return (kind, None, None, "", False, False, False)
    lower = token.lower()
    base = strip_possessive(lower)
    content = len(base) > 2 and base not in STOPWORDS and lower not in STOPWORDS
    content = content and base.replace("-", "").replace("'", "").isalpha()
    cue, determiner = lower in _VERB_CUES, lower in _DETERMINERS
    if not content:
        word = Word(token, lower, False, False)
        return (_OTHER, word, word, lower, False, cue, determiner)
    word_stem = stem(base)
    plain = Word(token, word_stem, True, False)
    proper = Word(token, word_stem, True, True) if token[0].isupper() else plain
    return (_CONTENT, proper, plain, base, token.endswith("ed"), cue, determiner)


def block_words(text: str) -> BlockWords:
    """Read one block's text."""
    text = normalise_apostrophes(text)
    if any(marker in text for marker in _URL_MARKERS):
        text = _URL_RE.sub(" . ", text)
    runs: list[Run] = []
    run: list[Word] = []
    stems: list[str] = []
    forms: dict[str, str] = {}
    verbs: list[str] = []
    heads: list[str] = []
    # The last content word of the run, while it may still end a noun phrase.
    pending: str | None = None
    # Whether the previous word of the run cues a verb, or is a determiner.
    after_cue = after_determiner = False
    sentence = 0
    first = True
    entries = _ENTRIES
    for token in _TOKEN_RE.findall(text):
        entry = entries.get(token)
        if entry is None:
            entry = _entry(token)
            if len(entries) < _CACHE_LIMIT:
                entries[token] = entry
        kind, word, first_word, base, ed_form, cue, determiner = entry
        if kind <= _OPENER:
            if pending is not None:
                heads.append(pending)
                pending = None
            if run:
                runs.append((tuple(run), sentence))
                run = []
                after_cue = after_determiner = False
            if kind == _SENTENCE_END:
                sentence += 1
                first = True
            elif kind == _PUNCTUATION:
                first = False
            continue
        if first:
            word = first_word
            first = False
        assert word is not None
        run.append(word)
        if kind == _OTHER:
            if pending is not None:
                heads.append(pending)
                pending = None
        else:
            word_stem = word.stem
            stems.append(word_stem)
            if word_stem not in forms:
                forms[word_stem] = base
            if after_cue or (ed_form and not after_determiner):
                # "they voted", "the board voted": a verb; "the elected board": not.
                verbs.append(word_stem)
                pending = None
            else:
                pending = word_stem
        after_cue, after_determiner = cue, determiner
    if pending is not None:
        heads.append(pending)
    if run:
        runs.append((tuple(run), sentence))
    return BlockWords(tuple(runs), tuple(stems), tuple(forms.items()), tuple(verbs), tuple(heads))


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
    if len(_RARITY) < _CACHE_LIMIT:
        _RARITY[word] = value
    return value
