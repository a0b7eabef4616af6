"""Correction notices: what a section thread is told when the author changed its text.

A notice says truthfully what changed since the thread's last notice: the sentence before and
after (with the changed words in view), a sentence added or removed, or, when there is more
than a few of those, how many paragraphs were rewritten, added and removed.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.essays.model import Block
from bot.essays.text import sentences
from bot.publishing.matching import align, same_words
from bot.publishing.render import MESSAGE_LIMIT, collapse, discord_length, escape_markdown, shorten

logger = logging.getLogger(__name__)

# More sentence changes than this are summed up by paragraphs: a notice is read, not audited.
MAX_SENTENCE_CHANGES = 3
# Words kept on each side of a changed stretch when a long sentence is shown.
CONTEXT_WORDS = 10
ITEM_LIMIT = 400
TITLE_LIMIT = 200
_TOKEN_RE = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class Change:
    """One change in a section's text: ``before`` → ``after``; one side empty for an addition or removal."""

    before: str
    after: str


def _sentences(blocks: Sequence[Block]) -> list[str]:
    return [collapse(s) for block in blocks if block.kind != "heading" for s in sentences(block.text)]


def _paragraphs(blocks: Sequence[Block]) -> list[str]:
    return [collapse(block.text) for block in blocks if block.kind != "heading" and block.text.strip()]


def sentence_changes(old: Sequence[Block], new: Sequence[Block]) -> list[Change]:
    """The changed sentences, in order: an edited sentence as a pair, added and removed ones alone."""
    before, after = _sentences(old), _sentences(new)
    changes: list[Change] = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        olds, news = before[i1:i2], after[j1:j2]
        paired = align(olds, news)
        used = {i for i in paired if i is not None}
        for i, sentence in enumerate(olds):
            if i not in used:
                changes.append(Change(sentence, ""))
        for j, sentence in enumerate(news):
            match = paired[j]
            changes.append(Change(olds[match] if match is not None else "", sentence))
    return changes


def paragraph_counts(old: Sequence[Block], new: Sequence[Block]) -> tuple[int, int, int]:
    """(rewritten, added, removed) paragraphs."""
    before, after = _paragraphs(old), _paragraphs(new)
    paired = align(before, after)
    rewritten = sum(1 for j, i in enumerate(paired) if i is not None and before[i] != after[j])
    added = sum(1 for i in paired if i is None)
    removed = len(before) - sum(1 for i in paired if i is not None)
    return rewritten, added, removed


def _window(tokens: list[str], start: int, end: int) -> str:
    """The tokens [start, end) with CONTEXT_WORDS either side, "…" where cut."""
    left = max(0, start - CONTEXT_WORDS)
    right = min(len(tokens), end + CONTEXT_WORDS)
    text = " ".join(tokens[left:right])
    return ("…" if left > 0 else "") + text + ("…" if right < len(tokens) else "")


def _crop_pair(before: str, after: str) -> tuple[str, str]:
    """Both sentences cut to the stretch that changed, with some words around it."""
    a, b = _TOKEN_RE.findall(before), _TOKEN_RE.findall(after)
    blocks = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    changed = [op for op in blocks if op[0] != "equal"]
    if not changed:
        return before, after
    a_start, a_end = changed[0][1], changed[-1][2]
    b_start, b_end = changed[0][3], changed[-1][4]
    return _window(a, a_start, a_end), _window(b, b_start, b_end)


def _quoted(text: str) -> str:
    return f"“{escape_markdown(shorten(text, ITEM_LIMIT))}”"


def change_lines(old: Sequence[Block], new: Sequence[Block]) -> list[str]:
    """What changed in a section's text (headings aside), as the notice's lines; empty when only
    markup or spacing did."""
    old = [block for block in old if block.kind != "heading"]
    new = [block for block in new if block.kind != "heading"]
    if same_words(old, new):
        return []
    changes = sentence_changes(old, new)
    if 0 < len(changes) <= MAX_SENTENCE_CHANGES:
        lines: list[str] = []
        for change in changes:
            if change.before and change.after:
                before, after = _crop_pair(change.before, change.after)
                lines.append(f"- {_quoted(before)} now reads {_quoted(after)}")
            elif change.after:
                lines.append(f"- Added: {_quoted(change.after)}")
            else:
                lines.append(f"- Removed: {_quoted(change.before)}")
        return lines
    rewritten, added, removed = paragraph_counts(old, new)
    parts = [
        f"{count} paragraph{'s' if count != 1 else ''} {verb}"
        for count, verb in ((rewritten, "rewritten"), (added, "added"), (removed, "removed"))
        if count
    ]
    if not parts:
        return ["- The wording changed throughout."]
    return ["- " + ", ".join(parts) + "."]


def _essay(title: str) -> str:
    return f"*{escape_markdown(shorten(collapse(title), TITLE_LIMIT))}*" if collapse(title) else "the essay"


def revised_notice(
    essay_title: str,
    old: Sequence[Block],
    new: Sequence[Block],
    *,
    old_heading: str | None = None,
    new_heading: str | None = None,
) -> str | None:
    """The notice for a section whose text or heading changed; None when nothing visible did."""
    lines = change_lines(old, new)
    heading_changed = (
        old_heading is not None and new_heading is not None and collapse(old_heading) != collapse(new_heading)
    )
    if not lines and not heading_changed:
        return None
    if lines:
        head = (
            f"**Correction:** the author revised this section of {_essay(essay_title)}; "
            "the text above now shows the new version."
        )
    else:
        head = f"**Correction:** the author revised {_essay(essay_title)}."
    out = [head]
    if heading_changed:
        assert old_heading is not None and new_heading is not None
        out.append(f"- The section's heading {_quoted(old_heading)} is now {_quoted(new_heading)}.")
    out.extend(lines)
    return _fit("\n".join(out))


def removed_notice(essay_title: str) -> str:
    """The notice for a section the author took out of the essay."""
    return _fit(
        f"**Correction:** the author removed this section from {_essay(essay_title)}. "
        "The text above is kept as it was posted, and this thread is now archived."
    )


def _fit(text: str) -> str:
    return text if discord_length(text) <= MESSAGE_LIMIT else shorten(text, MESSAGE_LIMIT)
