"""Split an essay's blocks into sections, one discussion thread each.

Headings (real or bold pseudo-headings, both ``kind == "heading"``) win. Without them the
blocks are grouped into indivisible units (a quotation, a list, a paragraph introducing a
quote stays with it), and sections are cut at the units' gaps where the vocabulary shifts
most (TextTiling-style depth scores), with the count chosen from the essay's length.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from bot.essays.model import Block, Section
from bot.essays.text import STOPWORDS, is_content_word, normalise_apostrophes, stem, strip_possessive

logger = logging.getLogger(__name__)

MAX_TITLE_CHARS = 100
# Essays shorter than this are one discussion.
MIN_SPLIT_WORDS = 350
# About one section per this many words: a 1,200-word essay is about three discussions.
WORDS_PER_SECTION = 400
# Units smaller than this (a one-line transition, an attribution) join a neighbour.
MIN_UNIT_WORDS = 80
# A text-only prefix before the first heading is its own section from this size up.
MIN_INTRO_WORDS = 80
# How many units each side of a gap are compared.
WINDOW_UNITS = 2
# Weight of the penalty for uneven section lengths against the depth scores (which lie in 0..2).
BALANCE_WEIGHT = 0.15
# No section may be smaller than this share of the average section.
MIN_SECTION_SHARE = 0.35
# How many of a section's best phrases are considered for its title.
TITLE_PHRASES = 8

_SEPARATED_TOKEN_RE = re.compile(r"([\W_]*)((?:[^\W\d_]\.){2,}|\d+(?:[.,]\d+)+|[^\W_]+(?:['\-][^\W_]+)*)")
# URLs and e-mail addresses are not prose: "com" and "www" must not title a section.
_URL_RE = re.compile(
    r"\b(?:https?://|www\.)\S+|\S+@\S+\.\w+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|io|gov|edu|info)\b",
    re.IGNORECASE,
)
# Cheap substring checks that let most paragraphs skip the URL regex.
_URL_MARKERS = ("://", "www.", "@", ".com", ".net", ".org", ".io", ".gov", ".edu", ".info")
_OPENING_QUOTES = '“"«„'
_CLOSING_QUOTES = '”"»'
_DASHES = "—–-―"
# Words that stay lowercase inside a title.
_SMALL_WORDS = frozenset("a an and as at but by for in of on or the to vs via".split())

Vector = dict[str, float]


class _Token(NamedTuple):
    """A content word of a block (stopwords and numbers are not kept)."""

    surface: str
    lower: str
    stem: str
    # True when the previous word was also a content word with only spaces between them,
    # so a title phrase may span both.
    joined: bool


@dataclass(slots=True)
class _Span:
    """A run of blocks ``[start, end)`` with an optional fixed title."""

    start: int
    end: int
    title: str | None = None
    from_heading: bool = False


def find_sections(
    blocks: Sequence[Block], *, max_sections: int = 6, idf: Mapping[str, float] | None = None
) -> list[Section]:
    """Split ``blocks`` into at most ``max_sections`` sections covering every block in order.

    ``idf`` maps lowercased content words to inverse document frequencies from the archive;
    without it the essay's own paragraphs serve as the documents.
    """
    if not blocks:
        return []
    max_sections = max(1, max_sections)
    tokens = [_tokenise(block.text) for block in blocks]
    weights = _word_weights(tokens, idf)
    vectors = [_vector(block_tokens, weights) for block_tokens in tokens]
    word_counts = [len(block.text.split()) for block in blocks]

    if any(block.kind == "heading" for block in blocks):
        spans = _heading_spans(blocks, word_counts, max_sections)
    else:
        spans = _topic_spans(blocks, word_counts, vectors, max_sections)

    titles = _titles(spans, blocks, tokens, weights)
    return [
        Section(
            index=number,
            title=title,
            blocks=tuple(blocks[span.start : span.end]),
            start=span.start,
            end=span.end,
            from_heading=span.from_heading,
        )
        for number, (span, title) in enumerate(zip(spans, titles, strict=True), start=1)
    ]


# --- tokens and weights -------------------------------------------------------------------


@lru_cache(maxsize=32768)
def _word_info(surface: str) -> tuple[str, str, bool]:
    """Lowercase form, stem and content-ness of a word, cached: essays repeat their words."""
    lower = surface.lower()
    base = strip_possessive(lower)
    return lower, stem(base), is_content_word(lower) and base not in STOPWORDS


def _tokenise(text: str) -> list[_Token]:
    result: list[_Token] = []
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
            result.append(_Token(surface, lower, word_stem, joined))
        previous_content = content
    return result


def _word_weights(tokens: Sequence[Sequence[_Token]], idf: Mapping[str, float] | None) -> dict[str, float]:
    """An idf weight per stem: from the archive when given, else from the essay's own blocks."""
    weights: dict[str, float] = {}
    if idf:
        # Words the archive never saw are rare by definition: give them the highest known weight.
        known = [idf[t.lower] for block in tokens for t in block if t.lower in idf]
        default = max(known, default=1.0)
        for block in tokens:
            for token in block:
                if token.stem not in weights:
                    base = strip_possessive(token.lower)
                    weights[token.stem] = idf.get(token.lower, idf.get(base, idf.get(token.stem, default)))
        return weights
    documents = [block for block in tokens if block]
    frequency: Counter[str] = Counter()
    for block in documents:
        frequency.update({t.stem for t in block})
    count = len(documents)
    for word, df in frequency.items():
        weights[word] = math.log(1.0 + count / df)
    return weights


def _vector(tokens: Sequence[_Token], weights: Mapping[str, float]) -> Vector:
    vector: Vector = {}
    for token in tokens:
        vector[token.stem] = vector.get(token.stem, 0.0) + weights.get(token.stem, 1.0)
    return vector


def _add(vectors: Sequence[Vector]) -> Vector:
    total: Vector = {}
    for vector in vectors:
        for key, value in vector.items():
            total[key] = total.get(key, 0.0) + value
    return total


def _cosine(left: Vector, right: Vector) -> float:
    if not left or not right:
        return 0.0
    if len(left) > len(right):
        left, right = right, left
    dot = sum(value * right.get(key, 0.0) for key, value in left.items())
    if dot == 0.0:
        return 0.0
    norm = math.sqrt(sum(v * v for v in left.values())) * math.sqrt(sum(v * v for v in right.values()))
    return dot / norm


# --- sections from headings ---------------------------------------------------------------


def _heading_spans(blocks: Sequence[Block], word_counts: Sequence[int], max_sections: int) -> list[_Span]:
    heads = [i for i, block in enumerate(blocks) if block.kind == "heading"]
    spans: list[_Span] = []
    pending_start: int | None = None
    pending_titles: list[str] = []
    for position, head in enumerate(heads):
        end = heads[position + 1] if position + 1 < len(heads) else len(blocks)
        start = head if pending_start is None else pending_start
        titles = [*pending_titles, blocks[head].text.strip()]
        if end - head == 1 and position + 1 < len(heads):
            # A heading with nothing under it ("Part One" above "The Budget") joins the next.
            pending_start, pending_titles = start, titles
            continue
        pending_start, pending_titles = None, []
        if end - head == 1 and spans:
            # A trailing heading with nothing after it has no next section: keep it with the last.
            spans[-1].end = end
            continue
        title = _join_titles(titles)
        spans.append(_Span(start, end, title or None, from_heading=bool(title)))

    if heads[0] > 0:
        intro_words = sum(word_counts[: heads[0]])
        if intro_words >= MIN_INTRO_WORDS:
            spans.insert(0, _Span(0, heads[0]))
        else:
            spans[0].start = 0
    return _merge_smallest(spans, word_counts, max_sections)


def _join_titles(titles: Sequence[str]) -> str:
    titles = [title for title in titles if title]
    joined = ": ".join(title.rstrip(":") for title in titles)
    if len(joined) <= MAX_TITLE_CHARS or not titles:
        return joined
    return titles[-1]


def _span_words(span: _Span, word_counts: Sequence[int]) -> int:
    return sum(word_counts[span.start : span.end])


def _merge_smallest(spans: list[_Span], word_counts: Sequence[int], max_sections: int) -> list[_Span]:
    """Merge the smallest adjacent pair until at most ``max_sections`` remain."""
    spans = list(spans)
    while len(spans) > max_sections:
        sizes = [_span_words(span, word_counts) for span in spans]
        pair = min(range(len(spans) - 1), key=lambda i: sizes[i] + sizes[i + 1])
        first, second = spans[pair], spans[pair + 1]
        # Keep an author's heading over a made-up title; between two headings, the larger part's.
        if first.title is None or (second.title is not None and sizes[pair + 1] > sizes[pair]):
            title = second.title
        else:
            title = first.title
        merged = _Span(first.start, second.end, title, from_heading=title is not None)
        spans[pair : pair + 2] = [merged]
    return spans


# --- sections from topic shifts -----------------------------------------------------------


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


def _units(blocks: Sequence[Block]) -> list[tuple[int, int]]:
    units: list[tuple[int, int]] = []
    start = 0
    while start < len(blocks):
        end = _base_unit_end(blocks, start)
        # Keep "... explains:" with the quotation or list it introduces.
        while end < len(blocks) and _introduces(blocks[end - 1].text):
            end = _base_unit_end(blocks, end)
        units.append((start, end))
        start = end
    return units


def _merge_small_units(
    units: list[tuple[int, int]], sizes: list[int], vectors: list[Vector]
) -> tuple[list[tuple[int, int]], list[int], list[Vector]]:
    units, sizes, vectors = list(units), list(sizes), list(vectors)
    while len(units) > 1:
        small = [i for i in range(len(units)) if sizes[i] < MIN_UNIT_WORDS]
        if not small:
            break
        i = min(small, key=lambda k: sizes[k])
        candidates = [j for j in (i - 1, i + 1) if 0 <= j < len(units)]
        # Join the neighbour it shares most vocabulary with; on a tie, the smaller one.
        j = max(candidates, key=lambda k: (_cosine(vectors[i], vectors[k]), -sizes[k]))
        low, high = min(i, j), max(i, j)
        units[low : high + 1] = [(units[low][0], units[high][1])]
        sizes[low : high + 1] = [sizes[low] + sizes[high]]
        vectors[low : high + 1] = [_add((vectors[low], vectors[high]))]
    return units, sizes, vectors


def _section_count(total_words: int, unit_count: int, max_sections: int) -> int:
    if total_words < MIN_SPLIT_WORDS:
        return 1
    return max(1, min(max_sections, unit_count, round(total_words / WORDS_PER_SECTION)))


def _depth_scores(vectors: Sequence[Vector]) -> list[float]:
    """Depth of the similarity valley at each gap (gap ``g`` lies before unit ``g + 1``)."""
    count = len(vectors)
    window = WINDOW_UNITS if count >= 6 else 1
    similarity = []
    for gap in range(1, count):
        left = _add(vectors[max(0, gap - window) : gap])
        right = _add(vectors[gap : gap + window])
        similarity.append(_cosine(left, right))
    depths = []
    for g, value in enumerate(similarity):
        left_peak = value
        for k in range(g - 1, -1, -1):
            if similarity[k] < left_peak:
                break
            left_peak = similarity[k]
        right_peak = value
        for k in range(g + 1, len(similarity)):
            if similarity[k] < right_peak:
                break
            right_peak = similarity[k]
        depths.append((left_peak - value) + (right_peak - value))
    return depths


def _best_cuts(depths: Sequence[float], sizes: Sequence[int], parts: int) -> list[int]:
    """Choose ``parts - 1`` gaps maximising depth, penalising uneven sections (dynamic programming).

    Returns unit indexes where new sections start.
    """
    count = len(sizes)
    prefix = [0]
    for size in sizes:
        prefix.append(prefix[-1] + size)
    average = prefix[-1] / parts
    minimum = MIN_SECTION_SHARE * average

    def cost(start: int, end: int) -> float:
        words = prefix[end] - prefix[start]
        if words < minimum:
            return math.inf
        return BALANCE_WEIGHT * ((words - average) / average) ** 2

    best: list[list[float]] = [[math.inf] * (count + 1) for _ in range(parts + 1)]
    back: list[list[int]] = [[-1] * (count + 1) for _ in range(parts + 1)]
    best[0][0] = 0.0
    for part in range(1, parts + 1):
        for end in range(part, count + 1):
            for start in range(part - 1, end):
                if best[part - 1][start] == math.inf:
                    continue
                score = best[part - 1][start] + cost(start, end)
                if start > 0:
                    score -= depths[start - 1]
                if score < best[part][end]:
                    best[part][end], back[part][end] = score, start
    if best[parts][count] == math.inf:
        return []
    cuts: list[int] = []
    end = count
    for part in range(parts, 0, -1):
        start = back[part][end]
        if start > 0:
            cuts.append(start)
        end = start
    return sorted(cuts)


def _topic_spans(
    blocks: Sequence[Block], word_counts: Sequence[int], vectors: Sequence[Vector], max_sections: int
) -> list[_Span]:
    units = _units(blocks)
    sizes = [sum(word_counts[a:b]) for a, b in units]
    unit_vectors = [_add(vectors[a:b]) for a, b in units]
    units, sizes, unit_vectors = _merge_small_units(units, sizes, unit_vectors)
    total = sum(sizes)
    parts = _section_count(total, len(units), max_sections)
    cuts: list[int] = []
    while parts > 1:
        cuts = _best_cuts(_depth_scores(unit_vectors), sizes, parts)
        if cuts:
            break
        # The units are too lumpy for that many even sections: try one fewer.
        parts -= 1
    bounds = [0, *cuts, len(units)]
    return [_Span(units[a][0], units[b - 1][1]) for a, b in itertools.pairwise(bounds)]


# --- titles -------------------------------------------------------------------------------


def trim_title(title: str, limit: int = MAX_TITLE_CHARS) -> str:
    """Collapse whitespace and cut at a word boundary with "…" so the result fits ``limit``."""
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    cut = title[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:—–-") + "…"


def _display_word(surface: str, first: bool) -> str:
    if any(char.isupper() for char in surface[1:]):
        return surface  # an acronym or a name with inner capitals: keep the author's casing
    if not first and surface.lower() in _SMALL_WORDS:
        return surface.lower()
    return "-".join(part[:1].upper() + part[1:] for part in surface.split("-"))


def _display(phrase: str) -> str:
    return " ".join(_display_word(word, i == 0) for i, word in enumerate(phrase.split()))


@dataclass(slots=True)
class _Phrase:
    stems: tuple[str, ...]
    score: float
    surface: str


def _phrases(tokens: Sequence[Sequence[_Token]], weights: Mapping[str, float], share: Counter[str]) -> list[_Phrase]:
    """Candidate title phrases of one section, best first.

    A word's weight is tf·idf times the share of its uses that fall in this section, so a
    title names what sets the section apart. A phrase of several words counts only if it
    recurs, scaled by how often its words appear together rather than apart.
    """
    all_stems: list[str] = []
    all_grams: list[tuple[str, ...]] = []
    for block in tokens:
        stems = [token.stem for token in block]
        all_stems.extend(stems)
        for run in _runs(block, stems):
            all_grams.extend(itertools.pairwise(run))
            all_grams.extend(zip(run, run[1:], run[2:], strict=False))
    tf = Counter(all_stems)
    grams = Counter(all_grams)
    # tf·idf, times the share of the word's uses in this section (1.0 when all are here).
    weight = {word: count * count * weights.get(word, 1.0) / max(share[word], count) for word, count in tf.items()}
    # Sorted by (-score, length, words): best first, shorter and then alphabetical on ties.
    scored: list[tuple[float, int, tuple[str, ...]]] = [(-value, 1, (word,)) for word, value in weight.items()]
    for key, count in grams.items():
        if count < 2 or len(set(key)) < len(key):
            continue
        # Square root: a phrase used twice among five uses of its words still names the topic.
        cohesion = math.sqrt(count / min(tf[word] for word in key))
        scored.append((-sum(weight[word] for word in key) * cohesion, len(key), key))
    top = [(-score, key) for score, _, key in heapq.nsmallest(TITLE_PHRASES, scored)]
    needed = {word for _, key in top for word in key}
    variants: dict[str, Counter[str]] = {word: Counter() for word in needed}
    for block in tokens:
        for token in block:
            if token.stem in needed:
                variants[token.stem][token.surface] += 1
    return [_Phrase(key, score, " ".join(_spelling(variants[word]) for word in key)) for score, key in top]


def _runs(block: Sequence[_Token], stems: Sequence[str]) -> list[Sequence[str]]:
    """Runs of adjacent content words (no stopword or punctuation between them)."""
    runs: list[Sequence[str]] = []
    start = 0
    for i, token in enumerate(block):
        if not token.joined and i > start:
            runs.append(stems[start:i])
            start = i
    runs.append(stems[start:])
    return [run for run in runs if len(run) > 1]


def _spelling(variants: Counter[str]) -> str:
    """The usual spelling of a word: lowercase unless the author always capitalises it (a name)."""
    lowered: Counter[str] = Counter()
    for variant, count in variants.items():
        lowered[variant.lower()] += count
    if any(variant == variant.lower() for variant in variants):
        return max(lowered, key=lambda v: (lowered[v], v))
    return max(variants, key=lambda v: (variants[v], v))


def _title_candidates(phrases: Sequence[_Phrase]) -> Iterator[str]:
    """Titles from the best phrases, best first: "A and B" when two strong phrases differ, else "A".

    A generator, since the first unused candidate is almost always the first one.
    """
    for i, first in enumerate(phrases):
        for second in phrases[i + 1 :]:
            if set(first.stems) & set(second.stems) or second.score < 0.35 * first.score:
                continue
            if len(first.stems) + len(second.stems) <= 5:
                yield trim_title(f"{_display(first.surface)} and {_display(second.surface)}")
                break
        yield trim_title(_display(first.surface))


def _fallback_title(text: str) -> str:
    head = " ".join(text.split()[:6]).strip(" ,;:—–-\"“”'‘’")
    return trim_title(head) if head else "Untitled section"


def _titles(
    spans: Sequence[_Span],
    blocks: Sequence[Block],
    tokens: Sequence[Sequence[_Token]],
    weights: Mapping[str, float],
) -> list[str]:
    share: Counter[str] = Counter()
    for block in tokens:
        share.update(t.stem for t in block)
    used = {trim_title(span.title).lower() for span in spans if span.title}
    titles: list[str] = []
    for span in spans:
        if span.title:
            titles.append(trim_title(span.title))
            continue
        phrases = _phrases(tokens[span.start : span.end], weights, share)
        text = " ".join(block.text for block in blocks[span.start : span.end])
        title = next((c for c in _title_candidates(phrases) if c.lower() not in used), None)
        if title is None:
            title = _fallback_title(text)
            suffix = 2
            base = title
            while title.lower() in used:
                # Only reached when sections share all their words; keep titles distinct anyway.
                title = trim_title(f"{base} ({suffix})")
                suffix += 1
        used.add(title.lower())
        titles.append(title)
    return titles
