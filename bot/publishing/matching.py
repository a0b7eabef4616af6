"""Which posted section each part of a revised essay belongs to: identity by content.

A revised essay is analysed afresh, and its new sections need not line up with the posted ones:
segmentation is statistical, so deleting one paragraph can move a boundary elsewhere, and the
generated names move with it. Members, though, discuss the posted sections. So a revision is
laid onto the posted sections ("slots") by its paragraphs: the paragraphs of the old and the
new text are aligned in order (equal ones first, then edited ones that keep most of their
words), and each new paragraph goes to the slot its old counterpart was in. A new paragraph
goes with its nearest aligned neighbour inside the same new section. A new section none of whose
text was posted is an added section; a slot none of whose text is left was removed.
Positions and titles never decide identity.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.essays.model import Analysis, Block
from bot.essays.section_titles import name_sections
from bot.publishing.layout import Layout, Shown
from bot.publishing.render import collapse

logger = logging.getLogger(__name__)

# Two paragraphs are the same paragraph edited when most of their words survive in order
# (difflib's ratio, 2*matches/total, above one half): a majority, not a tuned number.
SAME_PARAGRAPH = 0.5
# A pairwise comparison of every old with every new paragraph in a rewritten stretch is
# quadratic; past this many pairs only equal-position pairs are compared.
MAX_PAIRS = 2500
_WORD_RE = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Part:
    """A section of the revision as it will be shown: a posted slot, or a section the author added."""

    slot: int
    title: str
    heading: bool
    blocks: tuple[Block, ...]
    removed: bool = False
    added: bool = False


@dataclass(frozen=True, slots=True)
class Revision:
    """The revision laid onto a publication: its posted slots in order, then appended sections.

    ``unplaced`` are titles of added sections that could not be put in order (in the middle of
    the essay): the contents lists announce them, with no thread.
    """

    parts: tuple[Part, ...]
    unplaced: tuple[str, ...] = ()


def words_of(blocks: Sequence[Block]) -> list[str]:
    """The words of some text, for telling a real change from a change of markup or spacing."""
    return _WORD_RE.findall(" ".join(block.text for block in blocks))


def same_words(a: Sequence[Block], b: Sequence[Block]) -> bool:
    return words_of(a) == words_of(b)


def _key(block: Block) -> str:
    return collapse(block.text)


def similarity(a: str, b: str) -> float:
    """How much of two paragraphs is the same words in the same order (0..1)."""
    left, right = _WORD_RE.findall(a.lower()), _WORD_RE.findall(b.lower())
    if not left and not right:
        return 1.0
    return difflib.SequenceMatcher(None, left, right, autojunk=False).ratio()


def _pair_edited(old: Sequence[str], new: Sequence[str]) -> list[tuple[int, int]]:
    """Order-keeping pairs of edited paragraphs in a stretch where none is equal: most similarity."""
    n, m = len(old), len(new)
    if n * m > MAX_PAIRS:
        return [(i, i) for i in range(min(n, m)) if similarity(old[i], new[i]) > SAME_PARAGRAPH]
    score = [[0.0] * (m + 1) for _ in range(n + 1)]
    sims = [[similarity(old[i], new[j]) for j in range(m)] for i in range(n)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            best = max(score[i + 1][j], score[i][j + 1])
            if sims[i][j] > SAME_PARAGRAPH:
                best = max(best, sims[i][j] + score[i + 1][j + 1])
            score[i][j] = best
    pairs: list[tuple[int, int]] = []
    i = j = 0
    while i < n and j < m:
        if sims[i][j] > SAME_PARAGRAPH and score[i][j] == sims[i][j] + score[i + 1][j + 1]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif score[i][j] == score[i + 1][j]:
            i += 1
        else:
            j += 1
    return pairs


def align(old: Sequence[str], new: Sequence[str]) -> list[int | None]:
    """For each new paragraph, the old paragraph it is (equal or edited), or None; in order."""
    out: list[int | None] = [None] * len(new)
    matcher = difflib.SequenceMatcher(None, list(old), list(new), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for offset in range(i2 - i1):
                out[j1 + offset] = i1 + offset
        elif tag == "replace":
            for i, j in _pair_edited(old[i1:i2], new[j1:j2]):
                out[j1 + j] = i1 + i
    return out


def _has_text(blocks: Sequence[Block]) -> bool:
    return any(block.kind != "heading" and block.text.strip() for block in blocks)


def _title_words(title: str) -> set[str]:
    return {w for w in _WORD_RE.findall(title.lower()) if len(w) > 2}


def _keeps_name(shown: Shown, blocks: Sequence[Block]) -> bool:
    """A generated name stays while the text is the same, or still holds every word of the name."""
    if same_words(shown.blocks, blocks):
        return True
    text = {w.lower() for w in words_of(blocks)}
    return _title_words(shown.title) <= text


def lay_out(layout: Layout, analysis: Analysis) -> Revision:
    """Lay a revision's analysis onto a publication's posted slots, by content."""
    live = [s for s in layout.slots if not s.removed]
    old_blocks = [(shown.slot, block) for shown in live for block in shown.blocks]
    new_blocks = [(section.index, block) for section in analysis.sections for block in section.blocks]
    aligned = align([_key(b) for _, b in old_blocks], [_key(b) for _, b in new_blocks])

    # A new section none of whose text was posted is an added section.
    added_sections: set[int] = set()
    position = 0
    spans: dict[int, tuple[int, int]] = {}
    for section in analysis.sections:
        start, end = position, position + len(section.blocks)
        spans[section.index] = (start, end)
        position = end
        pairs = zip(new_blocks[start:end], aligned[start:end], strict=True)
        if not any(i is not None and block.kind != "heading" for (_, block), i in pairs):
            added_sections.add(section.index)

    # Every other new block goes to a slot: its old counterpart's, else its nearest aligned
    # neighbour's within the same new section (the one before it, else the one after).
    owner: list[int | None] = [None] * len(new_blocks)
    for section in analysis.sections:
        if section.index in added_sections:
            continue
        start, end = spans[section.index]
        slots = [old_blocks[i][0] if i is not None else None for i in aligned[start:end]]
        previous: int | None = None
        for offset, slot in enumerate(slots):
            if slot is not None:
                previous = slot
            owner[start + offset] = previous
        following: int | None = None
        for offset in range(len(slots) - 1, -1, -1):
            if slots[offset] is not None:
                following = slots[offset]
            if owner[start + offset] is None:
                owner[start + offset] = following

    blocks_by_slot: dict[int, list[Block]] = {s.slot: [] for s in live}
    for (_, block), slot in zip(new_blocks, owner, strict=True):
        if slot is not None:
            blocks_by_slot[slot].append(block)

    parts: list[Part] = []
    for shown in layout.slots:
        if shown.removed:
            parts.append(Part(shown.slot, shown.title, shown.heading, shown.blocks, removed=True))
            continue
        blocks = blocks_by_slot[shown.slot]
        if not _has_text(blocks):
            parts.append(Part(shown.slot, shown.title, shown.heading, shown.blocks, removed=True))
            continue
        if same_words(shown.blocks, blocks):
            # Only markup or spacing changed: nothing visible changes.
            parts.append(Part(shown.slot, shown.title, shown.heading, shown.blocks))
            continue
        title = shown.title
        if shown.heading and blocks[0].kind == "heading" and collapse(blocks[0].text):
            title = collapse(blocks[0].text)  # the author's heading, as the author now writes it
        elif not shown.heading and not _keeps_name(shown, blocks):
            title = ""  # named afresh below
        parts.append(Part(shown.slot, title, shown.heading, tuple(blocks)))

    # Added sections after every posted part are appended in order; others are only announced.
    last_owned = max((j for j, slot in enumerate(owner) if slot is not None), default=-1)
    number = max((s.slot for s in layout.slots), default=0)
    unplaced: list[str] = []
    for section in analysis.sections:
        if section.index not in added_sections:
            continue
        start, _ = spans[section.index]
        if start > last_owned:
            number += 1
            parts.append(Part(number, section.title, section.from_heading, section.blocks, added=True))
        else:
            unplaced.append(section.title)
    return Revision(tuple(_named(parts)), tuple(unplaced))


def _named(parts: list[Part]) -> list[Part]:
    """Fill the names left empty: generated from the text, distinct from the names kept."""
    if all(part.title for part in parts):
        return parts
    live = [part for part in parts if not part.removed]
    blocks = [block for part in live for block in part.blocks]
    spans: list[tuple[int, int]] = []
    at = 0
    for part in live:
        spans.append((at, at + len(part.blocks)))
        at += len(part.blocks)
    names = name_sections(blocks, spans, fixed=[part.title or None for part in live])
    fresh = {part.slot: name for part, name in zip(live, names, strict=True)}
    out: list[Part] = []
    for part in parts:
        if not part.title:
            part = replace(part, title=fresh.get(part.slot) or f"Section {part.slot}")
        out.append(part)
    return out
