"""Find topic shifts in an essay without headings: lexical cohesion over paragraphs.

The blocks are grouped into indivisible units (a quotation, a list, a paragraph that
introduces a quote with a colon stays with it). Sections are then chosen by dynamic
programming over the units' gaps to make the whole essay cheapest to describe, the
statistical segmentation of Utiyama and Isahara (2001): a section costs what its content
words cost under a word distribution estimated from that section alone (Laplace-smoothed),
so a stretch that keeps reusing its own vocabulary is cheap and one that mixes two
vocabularies is dear; each extra section costs ``SECTION_PRIOR · log(words)``. Where the
vocabulary changes, splitting pays for its prior; where it does not, it does not, so the
number of sections follows the text, not its length. No section is shorter than
``MIN_SECTION_WORDS``.

On real text this beats lexical-gap (TextTiling-style) scores: see ``bench/sections_quality.py``.
"""

from __future__ import annotations

import itertools
import logging
import math
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

from bot.essays.model import Block
from bot.essays.text import STOPWORDS, is_content_word, normalise_apostrophes, stem, strip_possessive

logger = logging.getLogger(__name__)

# Essays shorter than this are one discussion.
MIN_SPLIT_WORDS = 300
# No section is shorter than this (a section is one discussion, usually 200 to 600 words).
MIN_SECTION_WORDS = 120
# The cost of one more section, in units of log(content words of the essay). Tuned on
# spliced marcusoft-posts documents only (bench/sections_quality.py); 2 to 3 are all close.
SECTION_PRIOR = 2.5

_SEPARATED_TOKEN_RE = re.compile(r"([\W_]*)((?:[^\W\d_]\.){2,}|\d+(?:[.,]\d+)+|[^\W_]+(?:['\-][^\W_]+)*)")
# URLs and e-mail addresses are not prose: "com" and "www" must not count as shared words.
_URL_RE = re.compile(
    r"\b(?:https?://|www\.)\S+|\S+@\S+\.\w+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|io|gov|edu|info)\b",
    re.IGNORECASE,
)
# Cheap substring checks that let most paragraphs skip the URL regex.
_URL_MARKERS = ("://", "www.", "@", ".com", ".net", ".org", ".io", ".gov", ".edu", ".info")
_OPENING_QUOTES = '“"«„'
_CLOSING_QUOTES = '”"»'
_DASHES = "—–-―"


class Token(NamedTuple):
    """A content word of a block (stopwords and numbers are not kept)."""

    surface: str
    lower: str
    stem: str
    # True when the previous word was also a content word with only spaces between them,
    # so a phrase may span both.
    joined: bool


@lru_cache(maxsize=32768)
def _word_info(surface: str) -> tuple[str, str, bool]:
    """Lowercase form, stem and content-ness of a word, cached: essays repeat their words."""
    lower = surface.lower()
    base = strip_possessive(lower)
    return lower, stem(base), is_content_word(lower) and base not in STOPWORDS


def tokenise(text: str) -> list[Token]:
    """The content words of ``text`` in order, with their stems."""
    result: list[Token] = []
    previous_content = False
    # One findall gives each word with the characters before it, which tell whether the
    # word continues a phrase (only spaces) or starts a new one (punctuation).
    text = normalise_apostrophes(text)
    if any(marker in text for marker in _URL_MARKERS):
        text = _URL_RE.sub(" . ", text)
    for separator, surface in _SEPARATED_TOKEN_RE.findall(text):
        lower, word_stem, content = _word_info(surface)
        if content:
            joined = previous_content and (separator == " " or separator.isspace())
            result.append(Token(surface, lower, word_stem, joined))
        previous_content = content
    return result


# --- indivisible units --------------------------------------------------------------------


def _opens_quote(text: str) -> bool:
    return bool(text) and text[0] in _OPENING_QUOTES


def _closes_quote(text: str) -> bool:
    """Whether a paragraph that opened a quotation also closes it."""
    curly_open = text.count("“") + text.count("«")
    curly_close = text.count("”") + text.count("»")
    if curly_open or curly_close:
        return curly_close >= curly_open
    return text.count('"') % 2 == 0


def _introduces(text: str) -> bool:
    """A paragraph ending in a colon leads into what follows ("... explains:")."""
    return text.rstrip().rstrip(_CLOSING_QUOTES + "’)").endswith(":")


def _base_unit_end(blocks: Sequence[Block], start: int) -> int:
    """End (exclusive) of the indivisible run that begins at ``start``, before colon gluing."""
    first = blocks[start]
    end = start + 1
    if first.kind in ("quote", "item"):
        while end < len(blocks) and blocks[end].kind == first.kind:
            end += 1
        if first.kind == "quote" and end < len(blocks):
            # An attribution line on its own ("— Name, date") belongs to the quotation above it.
            following = blocks[end].text.lstrip()
            if blocks[end].kind == "paragraph" and following[:1] in _DASHES and len(following.split()) < 30:
                end += 1
        return end
    text = first.text.strip()
    if _opens_quote(text) and not _closes_quote(text):
        # The convention for long borrowed passages: every quoted paragraph opens with a
        # quotation mark and only the last one closes. The whole run is one unit.
        while end < len(blocks) and blocks[end].kind == "paragraph":
            following = blocks[end].text.strip()
            if not _opens_quote(following):
                break
            end += 1
            if _closes_quote(following):
                break
    return end


def units(blocks: Sequence[Block]) -> list[tuple[int, int]]:
    """Runs of blocks ``[start, end)`` that a section boundary may never cut."""
    result: list[tuple[int, int]] = []
    start = 0
    while start < len(blocks):
        end = _base_unit_end(blocks, start)
        # Keep "... explains:" with the quotation or list it introduces.
        while end < len(blocks) and _introduces(blocks[end - 1].text):
            end = _base_unit_end(blocks, end)
        result.append((start, end))
        start = end
    return result


# --- the segmentation ---------------------------------------------------------------------


def _section_costs(counts: Sequence[Counter[str]], vocabulary: int) -> list[list[float]]:
    """``costs[i][j]``: description length of units ``i..j-1`` as one section.

    Each content word costs ``log((n + V) / (f + 1))`` with ``n`` the section's content
    words, ``V`` the essay's vocabulary and ``f`` the word's count in the section; summed,
    that is ``n·log(n + V) - Σ f·log(f + 1)``, which grows by one unit at a time.
    """
    size = len(counts)
    costs = [[math.inf] * (size + 1) for _ in range(size + 1)]
    for first in range(size):
        running: dict[str, int] = {}
        tokens = 0
        fit = 0.0
        for last in range(first, size):
            for word, count in counts[last].items():
                old = running.get(word, 0)
                new = old + count
                running[word] = new
                fit += new * math.log(new + 1) - (old * math.log(old + 1) if old else 0.0)
                tokens += count
            costs[first][last + 1] = tokens * math.log(tokens + vocabulary) - fit if tokens else 0.0
    return costs


def topic_bounds(
    blocks: Sequence[Block], stems: Sequence[Sequence[str]], word_counts: Sequence[int], max_sections: int
) -> list[tuple[int, int]]:
    """Block spans ``[start, end)`` of the sections of a run of blocks without headings.

    ``stems`` are each block's content-word stems; at most ``max_sections`` sections.
    """
    spans = units(blocks)
    sizes = [sum(word_counts[a:b]) for a, b in spans]
    if sum(sizes) < MIN_SPLIT_WORDS or len(spans) < 2 or max_sections < 2:
        return [(0, len(blocks))]
    counts = [Counter(word for i in range(a, b) for word in stems[i]) for a, b in spans]
    vocabulary = len(set().union(*counts))
    total = sum(sum(count.values()) for count in counts)
    costs = _section_costs(counts, vocabulary)
    prior = SECTION_PRIOR * math.log(max(2, total))
    prefix = [0]
    for size in sizes:
        prefix.append(prefix[-1] + size)
    size = len(spans)
    # best[p][j]: cheapest split of units 0..j-1 into p sections (p bounded by max_sections).
    best = [[math.inf] * (size + 1) for _ in range(max_sections + 1)]
    back = [[0] * (size + 1) for _ in range(max_sections + 1)]
    best[0][0] = 0.0
    for parts in range(1, max_sections + 1):
        for end in range(1, size + 1):
            for start in range(end):
                previous = best[parts - 1][start]
                if previous == math.inf or prefix[end] - prefix[start] < MIN_SECTION_WORDS:
                    continue
                value = previous + costs[start][end] + prior
                if value < best[parts][end]:
                    best[parts][end], back[parts][end] = value, start
    parts = min(range(max_sections + 1), key=lambda p: best[p][size])
    if best[parts][size] == math.inf:
        return [(0, len(blocks))]
    bounds = [size]
    for p in range(parts, 0, -1):
        bounds.append(back[p][bounds[-1]])
    bounds.reverse()
    return [(spans[a][0], spans[b - 1][1]) for a, b in itertools.pairwise(bounds)]
