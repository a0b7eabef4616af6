"""An essay's terms for related-post ranking: Snowball stems with weighted counts.

Computed once at ingest and stored (``related_terms``), so a related query never re-reads
other essays' text. What is stored holds no archive statistics: the inverse document
frequency is applied at query time from the live counts, so an essay stored when the
archive was small is weighed exactly like one stored today.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import cast

from bot.essays.model import Block
from bot.essays.text import STOPWORDS, is_content_word, stem, strip_possessive, words

logger = logging.getLogger(__name__)

# The title names what the essay is about, a heading what its section is about: their words
# count as several occurrences in the body.
TITLE_WEIGHT = 3
HEADING_WEIGHT = 2
# Bare URLs in a body ("http", "www", "com") are not wording.
_URL_RE = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Terms:
    """Weighted stem counts of a text, and the commonest written form of each stem."""

    counts: dict[str, int]
    forms: dict[str, str]
    # The length of ``counts`` (``tf_norm``), computed once: a related query and a neighbour list read it
    # several times, and an essay has hundreds of stems.
    norm: float = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "norm", tf_norm(self.counts))


# Counts are capped (1 + ln 255 = 6.5: a word used more often says nothing more), so their
# weights are looked up in this table rather than computed per query.
MAX_COUNT = 255
TF_WEIGHTS: tuple[float, ...] = (0.0, *(1.0 + math.log(count) for count in range(1, MAX_COUNT + 1)))


def tf_weight(count: int) -> float:
    """Sublinear term frequency: the tenth use of a word adds far less than the second."""
    # A comparison, not min() and max(): a related query weighs a few hundred counts.
    return TF_WEIGHTS[count] if 0 <= count <= MAX_COUNT else TF_WEIGHTS[MAX_COUNT if count > 0 else 0]


def tf_norm(counts: Mapping[str, int]) -> float:
    """The length of the term-frequency vector, with no archive statistic in it (so it never goes stale)."""
    return math.sqrt(sum(tf_weight(c) ** 2 for c in counts.values()))


def text_terms(parts: Iterable[tuple[str, int]]) -> Terms:
    """Terms of (text, weight) parts: content words of two letters or more, stemmed."""
    # Each distinct token is judged and stemmed once: an essay uses a few hundred words many times.
    tokens: Counter[str] = Counter()
    weighted: Counter[str] = Counter()
    for text, weight in parts:
        found = Counter(words(_URL_RE.sub(" ", text)))
        tokens.update(found)
        if weight != 1:
            for token, count in found.items():
                weighted[token] += count * (weight - 1)
    counts: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {}
    for token, seen in tokens.items():
        word = _content_form(token)
        if word is None:
            continue
        root = stem(word)
        counts[root] += seen + weighted[token]
        forms.setdefault(root, Counter())[word] += seen
    # The commonest written form names the stem; on a tie, the shortest ("council", not "councils").
    return Terms(dict(counts), {root: min(seen, key=lambda w: (-seen[w], len(w), w)) for root, seen in forms.items()})


def _content_form(token: str) -> str | None:
    """The token as ``content_words`` would keep it (possessive stripped), or None."""
    if not is_content_word(token):
        return None
    base = strip_possessive(token)
    return None if base in STOPWORDS else base


def essay_terms(title: str, blocks: Iterable[Block]) -> Terms:
    """An essay's terms: its title thrice, headings twice, every other block once."""
    blocks = list(blocks)
    # One text per weight: tokenising three texts is much cheaper than tokenising every block.
    headings = "\n\n".join(b.text for b in blocks if b.kind == "heading")
    body = "\n\n".join(b.text for b in blocks if b.kind != "heading")
    return text_terms([(title, TITLE_WEIGHT), (headings, HEADING_WEIGHT), (body, 1)])


def encode_counts(counts: Mapping[str, int]) -> str:
    """A JSON object {stem: count}; SQLite's json_each reads it to keep document counts."""
    return json.dumps(dict(sorted(counts.items())), ensure_ascii=False, separators=(",", ":"))


def encode_forms(forms: Mapping[str, str]) -> str:
    """A JSON object {stem: written form}, for the stems whose form is not the stem itself."""
    return json.dumps(
        {root: form for root, form in sorted(forms.items()) if form != root}, ensure_ascii=False, separators=(",", ":")
    )


def decode_forms(raw: str, stems: Iterable[str]) -> dict[str, str]:
    loaded = json.loads(raw)
    known = cast(dict[str, str], loaded) if isinstance(loaded, dict) else {}
    return {root: known.get(root, root) for root in stems}


def decode_counts(raw: str) -> dict[str, int]:
    """The stored JSON object back; written only by ``encode_counts``, so it is trusted as is."""
    loaded = json.loads(raw)
    return cast(dict[str, int], loaded) if isinstance(loaded, dict) else {}
