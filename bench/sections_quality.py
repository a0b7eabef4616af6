"""Sections on real text: boundaries on spliced documents, headings kept, thread names.

Reads the real blog archives in ``../shared/corpora`` through the project's own intake
(``read_path`` + ``entry_to_essay``) and reports, in one run:

* **Boundaries** on spliced documents: each document joins 3 to 5 runs of consecutive
  paragraphs (no headings) taken from different real posts; the true boundaries are the
  splice points. Pk and WindowDiff (k = half the mean true section length, in words) for the
  project (``find_sections``), equal parts with the true count, and nltk's TextTiling (with
  the ``bench`` extra). Tuning part: ``marcusoft-posts``; report part: ``socialmemorycomplex-posts``
  (the genre the bot serves), so the rules are measured on text they were not tuned on.
* **Heading recall** on the real posts that have headings: the share of headings that start
  a section (a run of headings counts once; the first heading may share its section with an
  introduction shorter than ``MIN_INTRO_WORDS``), beside the share of posts with more headed
  parts than ``MAX_SECTIONS`` (which must group parts).
* **Thread names** against ``bench/labels/section_names.json`` (46 sections of real posts, named
  by hand before any generated name was seen; the naming was then developed on it) and
  ``bench/labels/section_names_heldout.json`` (26 sections of six other posts, named by a second
  labeller before any generated name for them was seen: the clean check), for the project and
  for YAKE (with the ``bench`` extra), with the time per essay. A generated name is accepted
  when it shares enough content-word stems with the hand-written one (Dice ≥ ``ACCEPT_DICE``;
  own stemmer and stopwords, independent of the project's). Every pair is printed.

    python -m bench.sections_quality [--docs 60] [--seed 16] [--show N] [--json]

Without the corpora it prints ``skipped: ...`` and exits 0.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.quality import pk_errors
from bot.essays.model import Block
from bot.essays.section_titles import name_sections
from bot.essays.sections import MIN_INTRO_WORDS, find_sections
from bot.essays.sources import read_path
from bot.essays.text import STOPWORDS
from bot.intake import IntakeError, entry_to_essay

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
LABELS = Path(__file__).resolve().parent / "labels" / "section_names.json"
# Named by a second labeller after the naming code was developed on LABELS: the clean check.
HELDOUT_LABELS = Path(__file__).resolve().parent / "labels" / "section_names_heldout.json"
TUNE_ARCHIVE = "marcusoft-posts"
REPORT_ARCHIVE = "socialmemorycomplex-posts"
MAX_SECTIONS = 10
# Each spliced run: consecutive blocks of one post, between these many words.
RUN_MIN_WORDS = 150
RUN_MAX_WORDS = 600
ACCEPT_DICE = 0.4

_WORD_RE = re.compile(r"[a-z]+(?:'[a-z]+)?")
# The scorer's own stopwords, so the yardstick does not bend with the project's list.
_NAME_STOPWORDS = frozenset(
    """a an and are as at be by for from has have how in is it its of on or the their this to was what
    when where which who why with not no do does about into than then there these those we you our your
    i my me us they them he she his her here now more most very can will would should just also""".split()
)


@dataclass(frozen=True, slots=True)
class Post:
    archive: str
    name: str
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class Doc:
    blocks: tuple[Block, ...]
    starts: tuple[int, ...]  # true section starts (block indexes), the first is 0


@dataclass(slots=True)
class Score:
    pk_errors: int = 0
    pk_probes: int = 0
    wd_errors: int = 0
    wd_probes: int = 0
    count_diff: int = 0
    docs: int = 0
    seconds: float = 0.0
    # Sections and words, true and predicted: the mean section length each finds.
    gold_sections: int = 0
    pred_sections: int = 0
    words: int = 0

    def add(self, word_counts: Sequence[int], gold: Sequence[int], pred: Sequence[int]) -> None:
        reference = segment_ids(word_counts, gold)
        hypothesis = segment_ids(word_counts, pred)
        k = max(1, round(len(reference) / len(gold) / 2))
        errors, probes = pk_errors(reference, hypothesis, k)
        self.pk_errors += errors
        self.pk_probes += probes
        errors, probes = windowdiff_errors(reference, hypothesis, k)
        self.wd_errors += errors
        self.wd_probes += probes
        self.count_diff += abs(len(gold) - len(pred))
        self.docs += 1
        self.gold_sections += len(gold)
        self.pred_sections += len(pred)
        self.words += len(reference)

    def summary(self) -> dict[str, float]:
        return {
            "pk": round(self.pk_errors / max(1, self.pk_probes), 3),
            "windowdiff": round(self.wd_errors / max(1, self.wd_probes), 3),
            "mean_count_diff": round(self.count_diff / max(1, self.docs), 2),
            "gold_section_words": round(self.words / max(1, self.gold_sections)),
            "section_words": round(self.words / max(1, self.pred_sections)),
            "ms_per_doc": round(1000 * self.seconds / max(1, self.docs), 2),
            "docs": self.docs,
        }


# ---------------------------------------------------------------------------
# Reading the archives


def load_posts(archive: str) -> list[Post]:
    found = read_path(CORPORA / archive)
    posts: list[Post] = []
    for path, entry in found.entries:
        try:
            essay = entry_to_essay(entry)
        except IntakeError:
            continue  # an image- or video-only post
        posts.append(Post(archive, path.name, essay.title, essay.blocks))
    return posts


def words(block: Block) -> int:
    return len(block.text.split())


# ---------------------------------------------------------------------------
# Spliced documents


def _is_prose(block: Block) -> bool:
    # Code listings (kept as paragraphs with their line breaks) are not essay prose.
    return block.kind != "heading" and block.text.count("\n") < 2


def _opens_unclosed_quote(text: str) -> bool:
    return text[:1] in '“"' and text.count("”") + text.count('"') % 2 < 1


def prose_runs(post: Post) -> list[tuple[int, int]]:
    """Maximal runs of prose blocks, trimmed so they neither start nor end mid-passage."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for index, block in enumerate([*post.blocks, Block("heading", "end")]):
        if _is_prose(block):
            if start is None:
                start = index
            continue
        if start is not None:
            begin, end = start, index
            # Not starting inside a list or a quotation; not ending on an introduction ("…:").
            while begin < end and post.blocks[begin].kind != "paragraph":
                begin += 1
            while end > begin and (
                post.blocks[end - 1].text.rstrip().endswith(":") or _opens_unclosed_quote(post.blocks[end - 1].text)
            ):
                end -= 1
            if sum(words(b) for b in post.blocks[begin:end]) >= RUN_MIN_WORDS:
                runs.append((begin, end))
            start = None
    return runs


def _take_run(post: Post, run: tuple[int, int], rng: random.Random) -> list[Block]:
    """A stretch of consecutive paragraphs from the run, RUN_MIN_WORDS to RUN_MAX_WORDS long."""
    begin, end = run
    starts = [i for i in range(begin, end) if post.blocks[i].kind == "paragraph"]
    rng.shuffle(starts)
    target = rng.randint(RUN_MIN_WORDS + 50, RUN_MAX_WORDS)
    for first in starts:
        taken: list[Block] = []
        total = 0
        for block in post.blocks[first:end]:
            if total >= target:
                break
            taken.append(block)
            total += words(block)
        while taken and (taken[-1].text.rstrip().endswith(":") or taken[-1].kind != "paragraph"):
            total -= words(taken.pop())
        if total >= RUN_MIN_WORDS:
            return taken
    return []


def spliced_docs(posts: Sequence[Post], count: int, seed: int) -> list[Doc]:
    rng = random.Random(seed)
    pool = [(post, run) for post in posts for run in prose_runs(post)]
    docs: list[Doc] = []
    while len(docs) < count:
        parts = rng.randint(3, 5)
        chosen: list[tuple[Post, tuple[int, int]]] = []
        used: set[str] = set()
        while len(chosen) < parts:
            post, run = rng.choice(pool)
            if post.name not in used:
                used.add(post.name)
                chosen.append((post, run))
        blocks: list[Block] = []
        starts: list[int] = []
        for post, run in chosen:
            taken = _take_run(post, run, rng)
            if taken:
                starts.append(len(blocks))
                blocks.extend(taken)
        if len(starts) >= 3:
            docs.append(Doc(tuple(blocks), tuple(starts)))
    return docs


# ---------------------------------------------------------------------------
# Scores


def segment_ids(word_counts: Sequence[int], starts: Sequence[int]) -> list[int]:
    boundaries = set(starts) - {0}
    ids: list[int] = []
    segment = 0
    for index, count in enumerate(word_counts):
        if index in boundaries:
            segment += 1
        ids.extend([segment] * max(1, count))
    return ids


def windowdiff_errors(reference: Sequence[int], hypothesis: Sequence[int], k: int) -> tuple[int, int]:
    """Pevzner and Hearst's WindowDiff as (windows whose boundary counts differ, windows)."""
    probes = max(0, len(reference) - k)
    errors = sum((reference[i + k] - reference[i]) != (hypothesis[i + k] - hypothesis[i]) for i in range(probes))
    return errors, probes


# ---------------------------------------------------------------------------
# Methods


def project_starts(blocks: Sequence[Block], _: int) -> list[int]:
    return [section.start for section in find_sections(blocks, max_sections=MAX_SECTIONS)]


def equal_starts(blocks: Sequence[Block], parts: int) -> list[int]:
    """Cut into ``parts`` runs of about equal words (the true count is given: a generous baseline)."""
    total = sum(words(b) for b in blocks)
    starts = [0]
    running = 0
    for index, block in enumerate(blocks):
        if index and running >= total * len(starts) / parts and len(starts) < parts:
            starts.append(index)
        running += words(block)
    return starts


def texttiling_method() -> Callable[[Sequence[Block], int], list[int]] | None:
    try:
        import numpy  # noqa: F401  (TextTiling smooths with numpy but does not declare it)
        from nltk.tokenize.texttiling import TextTilingTokenizer  # type: ignore[import-untyped]
    except ImportError:
        return None
    tiler = TextTilingTokenizer(stopwords=sorted(STOPWORDS))

    def run(blocks: Sequence[Block], _: int) -> list[int]:
        texts = [" ".join(block.text.split()) for block in blocks]
        offsets = list(itertools.accumulate((len(t) + 2 for t in texts), initial=0))
        text = "\n\n".join(texts)
        try:
            segments = tiler.tokenize(text)
        except ValueError:
            return [0]
        starts = [0]
        position = 0
        for segment in segments[:-1]:
            position += len(segment)
            # The block whose text begins nearest after this cut.
            index = min(range(len(offsets) - 1), key=lambda i: abs(offsets[i] - position))
            if index > starts[-1]:
                starts.append(index)
        return starts

    return run


@dataclass(frozen=True, slots=True)
class TfidfGap:
    """A TF-IDF lexical-gap segmenter, the classic baseline (Hearst's depth scores over cosine gaps).

    Block vectors are sublinear tf times idf, the idf fitted on every post of the archive part
    (more than the project sees: it reads one essay at a time). At each gap between blocks the
    ``WINDOW_WORDS`` before and after are compared by cosine; a gap's depth is how far its
    similarity sits below the nearest peaks on both sides. ``true_count`` takes the deepest
    gaps up to the true number of sections (a generous oracle); otherwise every gap deeper than
    mean - sd/2 (Hearst's cutoff) is a boundary, deepest first, none within ``MIN_WORDS`` of
    another. Window and spacing were chosen on the tune part (100/200/300 words; 200 was best).
    """

    idf: dict[str, float]
    unseen: float
    true_count: bool

    WINDOW_WORDS = 200
    MIN_WORDS = 150

    @classmethod
    def fit(cls, posts: Sequence[Post], *, true_count: bool) -> TfidfGap:
        frequency: Counter[str] = Counter()
        for post in posts:
            frequency.update({word for block in post.blocks for word in _gap_words(block.text)})
        size = len(posts)
        idf = {word: math.log((1 + size) / (1 + count)) + 1 for word, count in frequency.items()}
        return cls(idf, math.log(1 + size) + 1, true_count)

    def _vector(self, blocks: Sequence[Block]) -> dict[str, float]:
        counts = Counter(word for block in blocks for word in _gap_words(block.text))
        return {word: (1 + math.log(count)) * self.idf.get(word, self.unseen) for word, count in counts.items()}

    def __call__(self, blocks: Sequence[Block], parts: int) -> list[int]:
        sizes = [words(block) for block in blocks]
        similarity: list[float] = []
        for gap in range(1, len(blocks)):
            begin, taken = gap, 0
            while begin > 0 and taken < self.WINDOW_WORDS:
                begin -= 1
                taken += sizes[begin]
            end, taken = gap, 0
            while end < len(blocks) and taken < self.WINDOW_WORDS:
                taken += sizes[end]
                end += 1
            similarity.append(_cosine(self._vector(blocks[begin:gap]), self._vector(blocks[gap:end])))
        if not similarity:
            return [0]
        depth = [_depth(similarity, index) for index in range(len(similarity))]
        ranked = sorted(range(len(depth)), key=lambda index: -depth[index])
        if not self.true_count:
            cutoff = statistics.fmean(depth) - statistics.pstdev(depth) / 2
            ranked = [index for index in ranked if depth[index] > cutoff]
        chosen: list[int] = []
        for index in ranked:
            if self.true_count and len(chosen) >= parts - 1:
                break
            if all(sum(sizes[min(index, other) + 1 : max(index, other) + 1]) >= self.MIN_WORDS for other in chosen):
                chosen.append(index)
        return [0, *sorted(index + 1 for index in chosen)]


def _gap_words(text: str) -> list[str]:
    found = _WORD_RE.findall(text.lower().replace("’", "'"))
    return [word for word in found if len(word) > 2 and word not in STOPWORDS]


def _cosine(left: dict[str, float], right: dict[str, float]) -> float:
    dot = sum(value * right[word] for word, value in left.items() if word in right)
    norms = math.sqrt(sum(v * v for v in left.values())) * math.sqrt(sum(v * v for v in right.values()))
    return dot / norms if norms else 0.0


def _depth(similarity: Sequence[float], index: int) -> float:
    """Hearst's depth: the climb from this gap to the nearest peak on each side."""
    left = right = similarity[index]
    position = index
    while position > 0 and similarity[position - 1] >= left:
        position -= 1
        left = similarity[position]
    position = index
    while position + 1 < len(similarity) and similarity[position + 1] >= right:
        position += 1
        right = similarity[position]
    return (left - similarity[index]) + (right - similarity[index])


def evaluate_boundaries(docs: Sequence[Doc], posts: Sequence[Post]) -> dict[str, dict[str, float]]:
    methods: dict[str, Callable[[Sequence[Block], int], list[int]]] = {
        "project (find_sections)": project_starts,
        "equal parts, true count": equal_starts,
        "TF-IDF gap, depth cutoff": TfidfGap.fit(posts, true_count=False),
        "TF-IDF gap, true count": TfidfGap.fit(posts, true_count=True),
    }
    tiling = texttiling_method()
    if tiling is not None:
        methods["nltk TextTiling"] = tiling
    results: dict[str, dict[str, float]] = {}
    for label, method in methods.items():
        score = Score()
        for doc in docs:
            started = time.perf_counter()
            predicted = method(doc.blocks, len(doc.starts))
            score.seconds += time.perf_counter() - started
            score.add([words(b) for b in doc.blocks], doc.starts, predicted)
        results[label] = score.summary()
    if tiling is None:
        results["nltk TextTiling"] = {"skipped": 1.0}
    return results


# ---------------------------------------------------------------------------
# Headings


@dataclass(slots=True)
class HeadingScore:
    posts: int = 0
    headings: int = 0
    recalled: int = 0
    over_limit_posts: int = 0
    headings_within_limit: int = 0
    recalled_within_limit: int = 0
    cuts: int = 0
    cuts_at_headings: int = 0

    def summary(self) -> dict[str, float]:
        return {
            "posts": self.posts,
            "headings": self.headings,
            "recall": round(self.recalled / max(1, self.headings), 3),
            "recall_posts_within_max_sections": round(
                self.recalled_within_limit / max(1, self.headings_within_limit), 3
            ),
            "posts_over_max_sections": self.over_limit_posts,
            "cuts_at_headings": round(self.cuts_at_headings / max(1, self.cuts), 3),
        }


def heading_recall(posts: Sequence[Post]) -> dict[str, float]:
    score = HeadingScore()
    for post in posts:
        blocks = post.blocks
        # A run of headings ("Part One" above "The budget") is one heading; so is one at the very end.
        heads = [
            i
            for i, block in enumerate(blocks)
            if block.kind == "heading" and (i == 0 or blocks[i - 1].kind != "heading") and i + 1 < len(blocks)
        ]
        heads = [i for i in heads if any(b.kind != "heading" for b in blocks[i:])]
        if not heads:
            continue
        starts = {section.start for section in find_sections(blocks, max_sections=MAX_SECTIONS)}
        intro = sum(words(b) for b in blocks[: heads[0]])
        recalled = sum(1 for i in heads if i in starts or (i == heads[0] and 0 in starts and intro < MIN_INTRO_WORDS))
        parts = len(heads) + (1 if intro >= MIN_INTRO_WORDS else 0)
        score.posts += 1
        score.headings += len(heads)
        score.recalled += recalled
        if parts > MAX_SECTIONS:
            score.over_limit_posts += 1
        else:
            score.headings_within_limit += len(heads)
            score.recalled_within_limit += recalled
        heading_runs = {
            j for i in heads for j in range(i, len(blocks)) if all(b.kind == "heading" for b in blocks[i : j + 1])
        }
        inner = starts - {0}
        score.cuts += len(inner)
        score.cuts_at_headings += len(inner & heading_runs)
    return score.summary()


# ---------------------------------------------------------------------------
# Thread names


def name_stems(name: str) -> set[str]:
    stems: set[str] = set()
    for word in _WORD_RE.findall(name.lower().replace("’", "'")):
        word = word.removesuffix("'s")
        if word in _NAME_STOPWORDS or len(word) < 3:
            continue
        for suffix in ("ies", "ing", "ed", "es", "s", "ly"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)] + ("y" if suffix == "ies" else "")
                break
        stems.add(word.rstrip("e"))
    return stems


def dice(left: set[str], right: set[str]) -> float:
    return 2 * len(left & right) / (len(left) + len(right)) if left and right else 0.0


@dataclass(slots=True)
class NamePair:
    post: str
    start: int
    human: str
    generated: str
    dice: float

    @property
    def accepted(self) -> bool:
        return self.dice >= ACCEPT_DICE


def _starts_with(block: Block, first_words: str) -> bool:
    wanted = _WORD_RE.findall(first_words.lower().replace("’", "'"))
    return _WORD_RE.findall(block.text.lower().replace("’", "'"))[: len(wanted)] == wanted


Namer = Callable[[Sequence[Block], Sequence[tuple[int, int]]], list[str]]


def project_namer(blocks: Sequence[Block], spans: Sequence[tuple[int, int]]) -> list[str]:
    return name_sections(blocks, spans)


def yake_namer() -> Namer | None:
    """YAKE (Campos et al. 2020), the keyword extractor the issue names, on each section alone.

    Its best key phrase (up to 3 words) not already used in the essay, in sentence case. Needs
    the ``bench`` extra (``yake``); None without it.
    """
    try:
        import yake  # type: ignore[import-untyped]
    except ImportError:
        return None
    extractor = yake.KeywordExtractor(lan="en", n=3, top=10)

    def run(blocks: Sequence[Block], spans: Sequence[tuple[int, int]]) -> list[str]:
        names: list[str] = []
        for start, end in spans:
            text = "\n\n".join(block.text for block in blocks[start:end])
            phrases = [phrase for phrase, _ in extractor.extract_keywords(text)]
            fresh = [phrase for phrase in phrases if phrase.lower() not in {name.lower() for name in names}]
            name = fresh[0] if fresh else " ".join(text.split()[:4])
            names.append(name[:1].upper() + name[1:])
        return names

    return run


@dataclass(slots=True)
class NameScore:
    """One naming method on one label set."""

    pairs: list[NamePair] = field(default_factory=list)
    seconds: float = 0.0
    essays: int = 0

    def summary(self) -> dict[str, float]:
        summary = name_shape(self.pairs)
        summary["ms_per_essay"] = round(1000 * self.seconds / max(1, self.essays), 2)
        return summary


def name_pairs(labels_path: Path, posts: dict[tuple[str, str], Post], namer: Namer) -> NameScore:
    labels = json.loads(labels_path.read_text(encoding="utf-8"))
    score = NameScore()
    for item in labels["posts"]:
        post = posts[(item["archive"], item["file"])]
        # The author's headings are removed: the names must come from the sections' own words.
        blocks = [block for block in post.blocks if block.kind != "heading"]
        starts: list[int] = []
        for section in item["sections"]:
            begin = starts[-1] + 1 if starts else 0
            found = next(
                (i for i in range(begin, len(blocks)) if _starts_with(blocks[i], section["first_words"])), None
            )
            if found is None:
                raise ValueError(f"{item['file']}: no block starts with {section['first_words']!r}")
            starts.append(found)
        starts[0] = 0
        spans = list(itertools.pairwise([*starts, len(blocks)]))
        started = time.perf_counter()
        generated = namer(blocks, spans)
        score.seconds += time.perf_counter() - started
        score.essays += 1
        for (start, _), section, name in zip(spans, item["sections"], generated, strict=True):
            human = section["name"]
            score.pairs.append(NamePair(item["file"], start, human, name, dice(name_stems(human), name_stems(name))))
    return score


def name_shape(pairs: Sequence[NamePair]) -> dict[str, float]:
    generated = [pair.generated for pair in pairs]
    glued = [name for name in generated if re.fullmatch(r"\S+(?: \S+)? and \S+(?: \S+)?", name)]
    lengths = [len(name.split()) for name in generated]
    return {
        "names": len(generated),
        "accepted": sum(pair.accepted for pair in pairs),
        "acceptance": round(sum(pair.accepted for pair in pairs) / max(1, len(pairs)), 3),
        "two_to_six_words": round(sum(2 <= n <= 6 for n in lengths) / max(1, len(lengths)), 3),
        "glued_by_and": len(glued),
    }


# ---------------------------------------------------------------------------


@dataclass(slots=True)
class Report:
    boundaries: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    headings: dict[str, dict[str, float]] = field(default_factory=dict)
    # label set -> method -> score
    names: dict[str, dict[str, NameScore]] = field(default_factory=dict)


def run(docs_per_part: int, seed: int) -> Report | None:
    if not CORPORA.is_dir():
        return None
    report = Report()
    everything: dict[tuple[str, str], Post] = {}
    for part, archive in (("tune", TUNE_ARCHIVE), ("report", REPORT_ARCHIVE)):
        posts = load_posts(archive)
        everything.update({(post.archive, post.name): post for post in posts})
        docs = spliced_docs(posts, docs_per_part, seed)
        report.boundaries[f"{part}: {archive}"] = evaluate_boundaries(docs, posts)
        report.headings[archive] = heading_recall(posts)
    namers: dict[str, Namer | None] = {"project (name_sections)": project_namer, "YAKE": yake_namer()}
    for labels_path in (LABELS, HELDOUT_LABELS):
        report.names[labels_path.name] = {
            label: name_pairs(labels_path, everything, namer) for label, namer in namers.items() if namer is not None
        }
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=60, help="spliced documents per part (default 60)")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--show", type=int, default=-1, help="name pairs to print (default all)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = run(args.docs, args.seed)
    if report is None:
        print(f"skipped: corpus not found at {CORPORA}")
        return 0
    if args.json:
        payload: dict[str, Any] = {
            "boundaries": report.boundaries,
            "headings": report.headings,
            "names": {
                labels: {
                    label: {
                        **score.summary(),
                        "pairs": [
                            {"post": p.post, "human": p.human, "generated": p.generated, "dice": round(p.dice, 2)}
                            for p in score.pairs
                        ],
                    }
                    for label, score in methods.items()
                }
                for labels, methods in report.names.items()
            },
        }
        print(json.dumps(payload, indent=2))
        return 0
    print(
        f"Spliced documents: {args.docs} per part, 3-5 runs of {RUN_MIN_WORDS}-{RUN_MAX_WORDS} words, seed {args.seed}"
    )
    for part, methods in report.boundaries.items():
        gold_words = next(iter(methods.values())).get("gold_section_words", 0)
        print(f"\n{part} (true sections: {gold_words:.0f} words on average)")
        print(f"  {'method':<28}{'Pk':>8}{'WinDiff':>9}{'|Δn|':>7}{'words/sec':>11}{'ms/doc':>9}")
        for label, summary in methods.items():
            if "skipped" in summary:
                print(f"  {label:<28}  skipped (pip install -e '.[bench]')")
                continue
            print(
                f"  {label:<28}{summary['pk']:>8.3f}{summary['windowdiff']:>9.3f}"
                f"{summary['mean_count_diff']:>7.2f}{summary['section_words']:>11.0f}{summary['ms_per_doc']:>9.2f}"
            )
    print(f"\nHeadings (MAX_SECTIONS={MAX_SECTIONS})")
    for archive, summary in report.headings.items():
        print(
            f"  {archive:<28} posts {summary['posts']:>4}  headings {summary['headings']:>5}"
            f"  recall {summary['recall']:.3f}"
            f"  (posts within the limit {summary['recall_posts_within_max_sections']:.3f}; "
            f"{summary['posts_over_max_sections']} posts over it)  cuts at headings {summary['cuts_at_headings']:.3f}"
        )
    print(f"\nThread names (accepted: content-stem Dice >= {ACCEPT_DICE} with the hand-written name)")
    print(f"  {'labels':<30}{'method':<26}{'accepted':>10}{'rate':>7}{'2-6 words':>11}{'X and Y':>9}{'ms/essay':>10}")
    for labels, methods in report.names.items():
        for label, score in methods.items():
            summary = score.summary()
            print(
                f"  {labels:<30}{label:<26}{summary['accepted']:>5.0f}/{summary['names']:<4.0f}"
                f"{summary['acceptance']:>7.0%}{summary['two_to_six_words']:>11.0%}{summary['glued_by_and']:>9.0f}"
                f"{summary['ms_per_essay']:>10.2f}"
            )
    if "YAKE" not in next(iter(report.names.values()), {}):
        print("  YAKE skipped (pip install -e '.[bench]')")
    for labels, methods in report.names.items():
        for label, score in methods.items():
            shown = score.pairs if args.show < 0 else score.pairs[: args.show]
            if shown:
                print(f"\n  {labels}, {label}: human | generated")
            for pair in shown:
                mark = "ok" if pair.accepted else "--"
                print(f"    {mark} {pair.dice:.2f}  {pair.human!r:<48} | {pair.generated!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
