"""Find topic shifts in an essay without headings: lexical cohesion over paragraphs.

The blocks are grouped into indivisible units (a quotation, a list, a paragraph that
introduces a quote with a colon stays with it). Sections are then chosen by dynamic
programming over the units' gaps to make the whole essay cheapest to describe, the
statistical segmentation of Utiyama and Isahara (2001): a section costs what its content
words cost under a word distribution estimated from that section alone (Laplace-smoothed),
so a stretch that keeps reusing its own vocabulary is cheap and one that mixes two
vocabularies is dear; each cut costs ``SECTION_PRIOR · log(words)``, more where the words
just before and just after it are alike (lexical cohesion across the gap, words weighted by
their rarity in general English, as a TF-IDF gap segmenter weighs them), measured relative
to the essay's own mean cohesion across its gaps, so that a genre whose paragraphs share
fewer words (commentary quoting many sources) is not cut more often than one whose
paragraphs share many. Where the
vocabulary changes, a cut pays for itself; where it does not, it does not, so the number of
sections follows the text, not its length. No section is shorter than ``MIN_SECTION_WORDS``.

On real text this beats TextTiling and a TF-IDF lexical-gap segmenter on their own: see
``bench/sections_quality.py``.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections import Counter
from collections.abc import Sequence

from bot.essays.model import Block
from bot.essays.section_words import BlockWords, rarity

logger = logging.getLogger(__name__)

# Essays shorter than this are one discussion.
MIN_SPLIT_WORDS = 300
# No section is shorter than this (a section is one discussion, usually 200 to 600 words).
MIN_SECTION_WORDS = 150
# Sections longer than this are not considered unless the essay needs them: a discussion runs
# 200 to 600 words, and the bound keeps the work linear in the essay's length.
MAX_SECTION_WORDS = 800
# The cost of one more section, in units of log(content words of the essay), and how much
# more a cut costs where the words on its two sides are alike (see ``topic_bounds``); the
# words on each side compared. Tuned on spliced marcusoft-posts documents only
# (bench/sections_quality.py); the socialmemorycomplex part is the report.
SECTION_PRIOR = 0.75
COHESION_WEIGHT = 2.5
GAP_WINDOW_WORDS = 120

_OPENING_QUOTES = '“"«„'
_CLOSING_QUOTES = '”"»'
_DASHES = "—–-―"


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


# ``f·log(f + 1)`` for every count ``f`` met so far: the costs below look counts up.
_FIT = [0.0]


def _fit_table(size: int) -> list[float]:
    """The table of ``f·log(f + 1)``, long enough for counts up to ``size``."""
    while len(_FIT) <= size:
        count = len(_FIT)
        _FIT.append(count * math.log(count + 1))
    return _FIT


def _section_costs(
    unit_counts: Sequence[Sequence[tuple[str, int]]], unit_words: Sequence[int], vocabulary: int, longest: int
) -> list[dict[int, float]]:
    """``costs[i][j]``: description length of units ``i..j-1`` as one section, for spans up to ``longest`` words.

    Each content word costs ``log((n + V) / (f + 1))`` with ``n`` the section's content
    words, ``V`` the essay's vocabulary and ``f`` the word's count in the section; summed,
    that is ``n·log(n + V) - Σ f·log(f + 1)``, which grows by one unit at a time.
    """
    unit_tokens = [sum(count for _, count in counts) for counts in unit_counts]
    table = _fit_table(sum(unit_tokens))
    log = math.log
    size = len(unit_counts)
    costs: list[dict[int, float]] = []
    for first in range(size):
        row: dict[int, float] = {}
        running: dict[str, int] = {}
        get = running.get
        tokens = 0
        fit = 0.0
        words = 0
        for last in range(first, size):
            words += unit_words[last]
            if words > longest and last > first:
                break
            for word, count in unit_counts[last]:
                old = get(word, 0)
                new = old + count
                running[word] = new
                fit += table[new] - table[old]
            tokens += unit_tokens[last]
            row[last + 1] = tokens * log(tokens + vocabulary) - fit if tokens else 0.0
        costs.append(row)
    return costs


def _gap_similarity(
    unit_counts: Sequence[Sequence[tuple[str, int]]], unit_words: Sequence[int], weights: dict[str, float]
) -> list[float]:
    """Cosine similarity of the ``GAP_WINDOW_WORDS`` before and after each gap between units.

    Words are weighted by their general-English rarity, so a shared "people" counts little
    and a shared "redistricting" a lot. ``similarity[g]`` is for the gap before unit ``g``.
    """
    size = len(unit_counts)
    vectors = [[(word, count * weights[word]) for word, count in counts] for counts in unit_counts]
    similarity = [0.0] * (size + 1)
    for gap in range(1, size):
        left = _window(vectors, unit_words, range(gap - 1, -1, -1))
        right = _window(vectors, unit_words, range(gap, size))
        if len(right) < len(left):
            left, right = right, left
        dot = 0.0
        for word, value in left.items():
            other = right.get(word)
            if other is not None:
                dot += value * other
        if dot:
            left_norm = math.sqrt(sum(value * value for value in left.values()))
            right_norm = math.sqrt(sum(value * value for value in right.values()))
            similarity[gap] = dot / (left_norm * right_norm)
    return similarity


def _window(
    vectors: Sequence[Sequence[tuple[str, float]]], unit_words: Sequence[int], order: range
) -> dict[str, float]:
    window: dict[str, float] = {}
    get = window.get
    words = 0
    for unit in order:
        if words >= GAP_WINDOW_WORDS:
            break
        for word, value in vectors[unit]:
            window[word] = get(word, 0.0) + value
        words += unit_words[unit]
    return window


def topic_bounds(
    blocks: Sequence[Block], words: Sequence[BlockWords], word_counts: Sequence[int], max_sections: int
) -> list[tuple[int, int]]:
    """Block spans ``[start, end)`` of the sections of a run of blocks without headings.

    ``words`` are each block's words (``section_words.block_words``); at most ``max_sections`` sections.
    """
    spans = units(blocks)
    sizes = [sum(word_counts[a:b]) for a, b in spans]
    total_words = sum(sizes)
    if total_words < MIN_SPLIT_WORDS or len(spans) < 2 or max_sections < 2:
        return [(0, len(blocks))]

    unit_counts: list[list[tuple[str, int]]] = []
    forms: dict[str, str] = {}
    for a, b in spans:
        counts: Counter[str] = Counter()
        for block in words[a:b]:
            counts.update(block.stems)
            for word_stem, form in block.forms:
                forms.setdefault(word_stem, form)
        unit_counts.append(list(counts.items()))
    tokens = sum(len(block.stems) for block in words)
    weights = {word_stem: rarity(form) for word_stem, form in forms.items()}

    # Sections longer than this are never considered (it bounds the work); a longer essay
    # than max_sections of them may use longer ones.
    longest = max(MAX_SECTION_WORDS, 2 * total_words // max_sections)
    costs = _section_costs(unit_counts, sizes, len(forms), longest)
    similarity = _gap_similarity(unit_counts, sizes, weights)
    prior = SECTION_PRIOR * math.log(max(2, tokens))
    # A cut between two stretches that share their rarer words costs more, measured against
    # how alike neighbouring stretches of this essay usually are: how much an author's
    # paragraphs share varies with genre and style (a commentary blog quoting many sources
    # shares less than a software blog), so the essay's own mean gap is the yardstick.
    # A gap as alike as the essay's average costs (1 + COHESION_WEIGHT) times the plain prior.
    typical = sum(similarity[1 : len(spans)]) / (len(spans) - 1)
    scale = 1.0 / typical if typical > 0 else 0.0
    cut_cost = [prior * (1.0 + COHESION_WEIGHT * scale * value) for value in similarity]
    cut_cost[0] = prior

    prefix = list(itertools.accumulate(sizes, initial=0))
    bounds = _best_bounds(costs, cut_cost, prefix, max_sections)
    if not bounds and longest < total_words:
        # No way to cut within the length bound (a tiny unit between two long ones): drop it.
        costs = _section_costs(unit_counts, sizes, len(forms), total_words)
        bounds = _best_bounds(costs, cut_cost, prefix, max_sections)
    if len(bounds) < 3:
        return [(0, len(blocks))]
    return [(spans[a][0], spans[b - 1][1]) for a, b in itertools.pairwise(bounds)]


def _best_bounds(
    costs: Sequence[dict[int, float]], cut_cost: Sequence[float], prefix: Sequence[int], max_parts: int
) -> list[int]:
    """Unit indexes ``[0, ..., size]`` bounding the cheapest sections (at most ``max_parts``); [] if none fit."""
    bounds = _cheapest(costs, cut_cost, prefix)
    if bounds and len(bounds) - 1 > max_parts:
        bounds = _cheapest_counted(costs, cut_cost, prefix, max_parts)
    return bounds


def _allowed(costs: Sequence[dict[int, float]], prefix: Sequence[int], end: int) -> list[tuple[int, float]]:
    """The starts of the sections that may end at unit ``end``, with the section's cost.

    Walking back from ``end``, the first start without a cost is past the length bound, and so
    is every start before it.
    """
    allowed: list[tuple[int, float]] = []
    for start in range(end - 1, -1, -1):
        cost = costs[start].get(end)
        if cost is None:
            break
        if prefix[end] - prefix[start] >= MIN_SECTION_WORDS:
            allowed.append((start, cost))
    return allowed


def _cheapest(costs: Sequence[dict[int, float]], cut_cost: Sequence[float], prefix: Sequence[int]) -> list[int]:
    size = len(costs)
    best = [math.inf] * (size + 1)
    back = [0] * (size + 1)
    best[0] = 0.0
    for end in range(1, size + 1):
        for start, cost in _allowed(costs, prefix, end):
            value = best[start] + cost + cut_cost[start]
            if value < best[end]:
                best[end], back[end] = value, start
    if best[size] == math.inf:
        return []
    bounds = [size]
    while bounds[-1]:
        bounds.append(back[bounds[-1]])
    return bounds[::-1]


def _cheapest_counted(
    costs: Sequence[dict[int, float]], cut_cost: Sequence[float], prefix: Sequence[int], max_parts: int
) -> list[int]:
    """As ``_cheapest``, with at most ``max_parts`` sections (rarely needed: long essays, low limits)."""
    size = len(costs)
    best = [[math.inf] * (size + 1) for _ in range(max_parts + 1)]
    back = [[0] * (size + 1) for _ in range(max_parts + 1)]
    best[0][0] = 0.0
    for end in range(1, size + 1):
        allowed = _allowed(costs, prefix, end)
        for parts in range(1, max_parts + 1):
            for start, cost in allowed:
                value = best[parts - 1][start] + cost + cut_cost[start]
                if value < best[parts][end]:
                    best[parts][end], back[parts][end] = value, start
    parts = min(range(1, max_parts + 1), key=lambda p: best[p][size])
    if best[parts][size] == math.inf:
        return []
    bounds = [size]
    for layer in range(parts, 0, -1):
        bounds.append(back[layer][bounds[-1]])
    return bounds[::-1]
