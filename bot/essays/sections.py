"""Split an essay's blocks into sections, one discussion thread each.

Headings (real ones, and the pseudo-headings that cleaning recognises: bold, underlined or
centred lines, bold run-in lead-ins, heading-like list items; all ``kind == "heading"``) win:
every section starts at a heading, and an essay with more headed parts than
``max_sections`` groups adjacent parts rather than cut anywhere else. Without headings the
sections come from topic shifts (``bot.essays.segmenting``), and their names from their own
words (``bot.essays.section_titles``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.essays.model import Block, Section
from bot.essays.section_titles import MAX_TITLE_CHARS, name_sections, trim_title
from bot.essays.section_words import BlockWords, block_words
from bot.essays.segmenting import topic_bounds

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_MAX_SECTIONS", "MAX_TITLE_CHARS", "MIN_INTRO_WORDS", "find_sections", "trim_title"]

DEFAULT_MAX_SECTIONS = 10
# A text-only prefix before the first heading is its own section from this size up.
MIN_INTRO_WORDS = 80
# Grouped headings are joined with this in a thread name, as far as the name has room.
_HEADING_JOINER = " · "


@dataclass(slots=True)
class _Span:
    """A run of blocks ``[start, end)`` with the headings that title it (none: make a name)."""

    start: int
    end: int
    headings: tuple[str, ...] = ()


def find_sections(blocks: Sequence[Block], *, max_sections: int = DEFAULT_MAX_SECTIONS) -> list[Section]:
    """Split ``blocks`` into at most ``max_sections`` sections covering every block in order.

    Everything comes from the essay's own words (and general-English word frequencies).
    """
    if not blocks:
        return []
    max_sections = max(1, max_sections)
    word_counts = [len(block.text.split()) for block in blocks]
    # Each block is read once, for the segmentation and the names alike, and only when needed.
    words: list[BlockWords] | None = None
    if any(block.kind == "heading" for block in blocks):
        spans = _heading_spans(blocks, word_counts, max_sections)
    else:
        words = [block_words(block.text) for block in blocks]
        spans = [_Span(start, end) for start, end in topic_bounds(blocks, words, word_counts, max_sections)]

    fixed = [_heading_title(span.headings) if span.headings else None for span in spans]
    if words is None and not all(fixed):
        words = [block_words(block.text) for block in blocks]
    titles = name_sections(blocks, [(span.start, span.end) for span in spans], fixed=fixed, words=words)
    return [
        Section(
            index=number,
            title=title,
            blocks=tuple(blocks[span.start : span.end]),
            start=span.start,
            end=span.end,
            from_heading=bool(span.headings),
        )
        for number, (span, title) in enumerate(zip(spans, titles, strict=True), start=1)
    ]


# --- sections from headings ---------------------------------------------------------------


def _heading_spans(blocks: Sequence[Block], word_counts: Sequence[int], max_sections: int) -> list[_Span]:
    heads = [i for i, block in enumerate(blocks) if block.kind == "heading"]
    spans: list[_Span] = []
    pending_start: int | None = None
    pending: list[str] = []
    for position, head in enumerate(heads):
        end = heads[position + 1] if position + 1 < len(heads) else len(blocks)
        start = head if pending_start is None else pending_start
        titles = [*pending, blocks[head].text.strip()]
        if end - head == 1 and position + 1 < len(heads):
            # A heading with nothing under it ("Part One" above "The Budget") joins the next.
            pending_start, pending = start, titles
            continue
        pending_start, pending = None, []
        if end - head == 1 and spans:
            # A trailing heading with nothing after it has no next section: keep it with the last.
            spans[-1].end = end
            continue
        spans.append(_Span(start, end, (_join_nested(titles),)))

    if heads[0] > 0:
        if sum(word_counts[: heads[0]]) >= MIN_INTRO_WORDS:
            spans.insert(0, _Span(0, heads[0]))
        else:
            spans[0].start = 0
    return _group(spans, word_counts, max_sections)


def _join_nested(titles: Sequence[str]) -> str:
    """ "Part One" above "The Budget" reads "Part One: The Budget" (or the last one if too long)."""
    titles = [title.rstrip(":").strip() for title in titles if title.strip()]
    joined = ": ".join(titles)
    return joined if len(joined) <= MAX_TITLE_CHARS or not titles else titles[-1]


def _heading_title(headings: Sequence[str]) -> str:
    """A grouped section's name: its headings in order, as many as fit in a thread name."""
    title = headings[0]
    for heading in headings[1:]:
        longer = f"{title}{_HEADING_JOINER}{heading}"
        if len(longer) > MAX_TITLE_CHARS:
            return trim_title(f"{title}{_HEADING_JOINER}…") if len(title) + 3 <= MAX_TITLE_CHARS else trim_title(title)
        title = longer
    return trim_title(title)


def _span_words(span: _Span, word_counts: Sequence[int]) -> int:
    return sum(word_counts[span.start : span.end])


def _group(spans: list[_Span], word_counts: Sequence[int], max_sections: int) -> list[_Span]:
    """Join the adjacent pair with the fewest words until at most ``max_sections`` remain.

    Only whole headed parts are joined, so every section still starts at a heading (or at the
    essay's start) and keeps each joined part's heading in its name.
    """
    spans = list(spans)
    while len(spans) > max_sections:
        sizes = [_span_words(span, word_counts) for span in spans]
        pair = min(range(len(spans) - 1), key=lambda i: sizes[i] + sizes[i + 1])
        first, second = spans[pair], spans[pair + 1]
        spans[pair : pair + 2] = [_Span(first.start, second.end, (*first.headings, *second.headings))]
    return spans
