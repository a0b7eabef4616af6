"""Corrections on real text: which threads a small edit by the author would notify or rename.

Reads the real blog archives in ``../shared/corpora`` through the project's intake, analyses each
post (``MAX_SECTIONS`` = 10, as the bot runs), "publishes" it to a text channel (a layout with
made-up ids) and applies one edit of a known kind at a random place (seeded):

* ``word``: one word of a paragraph replaced;
* ``delete``: one paragraph deleted (not the only one of its section);
* ``insert``: a new paragraph inserted after one;
* ``remove``: a whole section (not the first) deleted.

The truth is known: only the section holding the edit changed (for ``remove``: that section is
gone and nothing else changed). For each edit the revised post is analysed afresh and the
correction planned (``plan_correction``); reported per kind: the share of edits whose notified
threads are exactly the true ones, the threads notified wrongly per edit, and the thread
renames per edit (none is right: no heading was touched). The baseline is the position-based
diff the bot used before: section i of the old analysis against section i of the new, notified
when its text or title differs, renamed when its title differs.

Nothing here is tuned: the one threshold (``SAME_PARAGRAPH``, a majority of words) was set
before this bench existed. Both archives are reported.

    python -m bench.corrections_quality [--posts 300] [--seed 22] [--json]

Without the corpora it prints ``skipped: ...`` and exits 0.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.essays.analysis import analyse
from bot.essays.model import Analysis, Block, Essay
from bot.essays.sources import read_path
from bot.intake import IntakeError, entry_to_essay
from bot.publishing.corrections import plan_correction
from bot.publishing.layout import initial_layout
from bot.publishing.plan import Destination
from bot.publishing.render import section_messages
from bot.store import StepRow

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
ARCHIVES = ("marcusoft-posts", "socialmemorycomplex-posts")
MAX_SECTIONS = 10
KINDS = ("word", "delete", "insert", "remove")
NOW = datetime(2026, 1, 1, tzinfo=UTC)
TEXT = Destination(1, 2, "text")
NEW_PARAGRAPH = (
    "A reader wrote in to point out that the figures in an earlier draft were out of date, and the "
    "paragraphs above have been brought up to date since."
)


@dataclass
class Tally:
    edits: int = 0
    exact: int = 0
    wrong_notices: int = 0
    renames: int = 0

    def row(self) -> dict[str, float]:
        n = max(1, self.edits)
        return {
            "edits": self.edits,
            "exact": round(self.exact / n, 3),
            "wrong_notices_per_edit": round(self.wrong_notices / n, 3),
            "renames_per_edit": round(self.renames / n, 3),
        }


def load(archive: str) -> list[Essay]:
    essays: list[Essay] = []
    for _, entry in read_path(CORPORA / archive).entries:
        try:
            essays.append(entry_to_essay(entry))
        except IntakeError:
            continue
    return essays


def fake_steps(analysis: Analysis) -> list[StepRow]:
    rows: list[StepRow] = [StepRow(1, 1, "card", None, None, "n", "done", 2, 10, None)]
    for section in analysis.sections:
        base = 1000 * section.index
        rows.append(StepRow(1, len(rows) + 1, "anchor", section.index, None, "n", "done", 2, base, None))
        rows.append(StepRow(1, len(rows) + 1, "thread", section.index, None, "n", "done", 2, base, base))
        for chunk in range(1, len(section_messages(section)) + 1):
            rows.append(
                StepRow(1, len(rows) + 1, "thread_text", section.index, chunk, "n", "done", base, base + chunk, None)
            )
    return rows


def section_of(analysis: Analysis, block: int) -> int:
    return next(s.index for s in analysis.sections if s.start <= block < s.end)


def edit(essay: Essay, analysis: Analysis, kind: str, rng: random.Random) -> tuple[Essay, set[int], int | None] | None:
    """The edited essay, the sections truly changed, and the section removed (for ``remove``)."""
    blocks = list(essay.blocks)
    paragraphs = [i for i, b in enumerate(blocks) if b.kind == "paragraph" and len(b.text.split()) >= 8]
    if kind == "remove":
        if len(analysis.sections) < 3:
            return None
        section = rng.choice(analysis.sections[1:])
        del blocks[section.start : section.end]
        return replace(essay, blocks=tuple(blocks)), set(), section.index
    if not paragraphs:
        return None
    at = rng.choice(paragraphs)
    section = section_of(analysis, at)
    if kind == "word":
        words = blocks[at].text.split()
        spot = rng.randrange(len(words))
        words[spot] = "remarkably" if words[spot] != "remarkably" else "notably"
        blocks[at] = Block(blocks[at].kind, " ".join(words))
    elif kind == "delete":
        own = [i for i in range(*_span(analysis, section)) if blocks[i].kind != "heading" and i != at]
        if not own:
            return None
        del blocks[at]
    else:
        blocks.insert(at + 1, Block("paragraph", NEW_PARAGRAPH))
    return replace(essay, blocks=tuple(blocks)), {section}, None


def _span(analysis: Analysis, index: int) -> tuple[int, int]:
    section = next(s for s in analysis.sections if s.index == index)
    return section.start, section.end


def _hash(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()


def baseline(old: Analysis, new: Analysis) -> tuple[set[int], set[int], int]:
    """The position-based diff: (notified, removed, renames)."""
    notified: set[int] = set()
    renames = 0
    for number, before in enumerate(old.sections):
        if number >= len(new.sections):
            continue
        after = new.sections[number]
        title_changed = " ".join(before.title.split()) != " ".join(after.title.split())
        renames += title_changed
        if title_changed or _hash(before.text) != _hash(after.text):
            notified.add(before.index)
    removed = {s.index for s in old.sections[len(new.sections) :]}
    return notified, removed, renames


def ours(essay: Essay, old: Analysis, new_essay: Essay, new: Analysis) -> tuple[set[int], set[int], int]:
    layout = initial_layout(essay, old, TEXT, fake_steps(old))
    plan = plan_correction(layout, new_essay, new, TEXT, NOW)
    removed = {s.slot for s in plan.target.slots if s.removed and s.slot is not None}
    notified = {s.slot for s in plan.steps if s.action == "notice" and s.slot is not None} - removed
    renames = sum(1 for s in plan.steps if s.action == "thread_patch" and s.slot not in removed)
    return notified, removed, renames


def run(archive: str, posts: int, seed: int) -> dict[str, dict[str, dict[str, float]]]:
    rng = random.Random(seed)
    essays = [e for e in load(archive) if len(e.blocks) >= 4]
    rng.shuffle(essays)
    tallies = {who: {kind: Tally() for kind in KINDS} for who in ("ours", "baseline")}
    used = 0
    for essay in essays:
        if used >= posts:
            break
        old = analyse(essay, max_sections=MAX_SECTIONS)
        if len(old.sections) < 2:
            continue
        used += 1
        for kind in KINDS:
            made = edit(essay, old, kind, rng)
            if made is None:
                continue
            new_essay, truth, gone = made
            new = analyse(new_essay, max_sections=MAX_SECTIONS)
            for who, (notified, removed, renames) in (
                ("ours", ours(essay, old, new_essay, new)),
                ("baseline", baseline(old, new)),
            ):
                tally = tallies[who][kind]
                tally.edits += 1
                expected_removed = {gone} if gone is not None else set()
                tally.exact += notified == truth and removed == expected_removed
                tally.wrong_notices += len(notified - truth) + len(removed - expected_removed)
                tally.renames += renames
    return {who: {kind: t.row() for kind, t in by_kind.items()} for who, by_kind in tallies.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.corrections_quality", description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=300, help="posts per archive (default 300)")
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args(argv)
    if not CORPORA.is_dir():
        print(f"skipped: no corpora at {CORPORA}")
        return 0
    report: dict[str, Any] = {archive: run(archive, args.posts, args.seed) for archive in ARCHIVES}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{'archive':<26} {'edit':<7} {'who':<9} {'edits':>6} {'exact':>6} {'wrong/edit':>11} {'renames/edit':>13}")
    for archive, by_who in report.items():
        for kind in KINDS:
            for who in ("ours", "baseline"):
                row = by_who[who][kind]
                print(
                    f"{archive:<26} {kind:<7} {who:<9} {row['edits']:>6} {row['exact']:>6.3f} "
                    f"{row['wrong_notices_per_edit']:>11.3f} {row['renames_per_edit']:>13.3f}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
