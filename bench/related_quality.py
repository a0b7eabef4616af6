"""Related-post quality on a real blog archive, against a plain TF-IDF baseline.

The archive is ``../shared/corpora/marcusoft-posts`` beside the repository (1,270 Jekyll
posts with tags). Every post goes through the project's intake (``load_source``,
``entry_to_essay``, ``store_essay``) into a temporary database; then, for every post,
``related_to_essay(..., any_time=True)`` — what ``related --all --any-time`` prints — is
scored by precision@5: the share of its top-5 results that share a tag with it. Posts that
share a tag are the ground truth; a post with no result counts for coverage, not precision.

Beside it, in the same run and with the same metric:

* ``tf-idf cosine``: a plain TF-IDF cosine over title and body (no tags), our own small
  implementation with sparse dicts, top 5 by cosine, no threshold;
* ``project, no labels``: the project's ranking with the shared-labels signal switched off,
  to show what text similarity and references carry on their own.

    python -m bench.related_quality           # table
    python -m bench.related_quality --json    # the same numbers as JSON

Always exits 0 (a report, not a gate); without the corpus it says so and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from bot import related
from bot.essays.text import content_words
from bot.intake import IntakeError, entry_to_essay, load_source, store_essay
from bot.store import EssayRow, Store

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "marcusoft-posts"
TOP_K = 5
TARGET_PRECISION = 0.87
# "Specific" tags are held by at most this share of the posts: sharing one of those is a
# stricter test than sharing a tag like "life of a consultant", on 38% of the archive.
SPECIFIC_SHARE = 0.10
REASON_KINDS = ("referenced", "shares labels", "similar wording", "also quotes")


@dataclass(slots=True)
class Score:
    method: str
    precision_at_5: float
    coverage: float
    scored_posts: int
    mean_results: float
    specific_precision_at_5: float
    specific_scored_posts: int


@dataclass(slots=True)
class Latency:
    queries: int
    p50_ms: float
    p99_ms: float
    max_ms: float


@dataclass(slots=True)
class Report:
    posts_read: int
    posts_stored: int
    read_seconds: float
    store_seconds: float
    scores: list[Score]
    latency: Latency
    reason_mix: dict[str, float]
    samples: list[str]


# --------------------------------------------------------------------- metric


def norm_tags(labels: Sequence[str]) -> frozenset[str]:
    return frozenset(label.strip().lower() for label in labels if label.strip())


def precision_at_k(rankings: dict[str, list[str]], tags: dict[str, frozenset[str]], *, k: int = TOP_K) -> list[float]:
    """Precision@k of each post with a tag and a result: the share of its top k sharing a tag."""
    precisions: list[float] = []
    for key, ranked in rankings.items():
        top = ranked[:k]
        own = tags.get(key, frozenset())
        if own and top:
            precisions.append(sum(1 for other in top if own & tags.get(other, frozenset())) / len(top))
    return precisions


def specific_tags(tags: dict[str, frozenset[str]], *, share: float = SPECIFIC_SHARE) -> dict[str, frozenset[str]]:
    """Each post's tags held by at most ``share`` of the posts."""
    counts = Counter(tag for own in tags.values() for tag in own)
    limit = share * len(tags)
    return {key: frozenset(t for t in own if counts[t] <= limit) for key, own in tags.items()}


def score_rankings(
    method: str, rankings: dict[str, list[str]], tags: dict[str, frozenset[str]], *, k: int = TOP_K
) -> Score:
    """Mean precision@k over posts with a tag and a result (and on specific tags only); coverage over all."""
    precisions = precision_at_k(rankings, tags, k=k)
    specific = precision_at_k(rankings, specific_tags(tags), k=k)
    lengths = [len(ranked[:k]) for ranked in rankings.values()]
    return Score(
        method=method,
        precision_at_5=statistics.fmean(precisions) if precisions else 0.0,
        coverage=sum(1 for n in lengths if n) / len(rankings) if rankings else 0.0,
        scored_posts=len(precisions),
        mean_results=statistics.fmean(lengths) if lengths else 0.0,
        specific_precision_at_5=statistics.fmean(specific) if specific else 0.0,
        specific_scored_posts=len(specific),
    )


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile; good enough for a few hundred samples."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))
    return ordered[index]


# ------------------------------------------------------------------- baseline


def tfidf_rankings(docs: dict[str, str], *, k: int = TOP_K, query_terms: int = 60) -> dict[str, list[str]]:
    """Top-k neighbours of each document by TF-IDF cosine (sublinear tf, smooth idf, L2).

    Scoring goes through an inverted index. Each query vector keeps only its
    ``query_terms`` heaviest terms: those carry nearly all of a cosine, and it keeps
    the baseline to seconds in pure Python.
    """
    counts = {key: Counter(w for w in content_words(text) if len(w) > 2) for key, text in docs.items()}
    df: Counter[str] = Counter()
    for counter in counts.values():
        df.update(counter.keys())
    n = len(docs)
    idf = {term: math.log((1 + n) / (1 + d)) + 1.0 for term, d in df.items()}
    vectors: dict[str, dict[str, float]] = {}
    postings: dict[str, list[tuple[str, float]]] = {}
    for key, counter in counts.items():
        raw = {t: (1.0 + math.log(c)) * idf[t] for t, c in counter.items()}
        length = math.sqrt(sum(v * v for v in raw.values())) or 1.0
        vector = {t: v / length for t, v in raw.items()}
        vectors[key] = vector
        for term, weight in vector.items():
            postings.setdefault(term, []).append((key, weight))
    rankings: dict[str, list[str]] = {}
    for key, vector in vectors.items():
        heaviest = sorted(vector.items(), key=lambda item: item[1], reverse=True)[:query_terms]
        scores: dict[str, float] = {}
        for term, weight in heaviest:
            for other, other_weight in postings[term]:
                if other != key:
                    scores[other] = scores.get(other, 0.0) + weight * other_weight
        best = sorted(scores.items(), key=lambda item: item[1], reverse=True)[:k]
        rankings[key] = [other for other, _ in best]
    return rankings


# ---------------------------------------------------------------------- runs


async def ingest(store: Store, corpus: Path) -> tuple[int, int, float, float]:
    """Read and store the corpus through the intake: (read, stored, read seconds, store seconds)."""
    started = time.perf_counter()
    loaded = await load_source(str(corpus), None)
    read_seconds = time.perf_counter() - started
    stored = 0
    started = time.perf_counter()
    for entry in loaded.entries:
        try:
            essay = entry_to_essay(entry)
        except IntakeError:
            continue
        await store_essay(store, essay)
        stored += 1
    return len(loaded.entries), stored, read_seconds, time.perf_counter() - started


async def project_rankings(
    store: Store, rows: Sequence[EssayRow]
) -> tuple[dict[str, list[str]], list[float], dict[str, list[related.RelatedPost]]]:
    rankings: dict[str, list[str]] = {}
    timings: list[float] = []
    found: dict[str, list[related.RelatedPost]] = {}
    for row in rows:
        started = time.perf_counter()
        results = await related.related_to_essay(store, row, limit=TOP_K, any_time=True)
        timings.append(time.perf_counter() - started)
        rankings[row.essay.key] = [r.key for r in results]
        found[row.essay.key] = results
    return rankings, timings, found


def reason_mix(found: dict[str, list[related.RelatedPost]]) -> dict[str, float]:
    """The share of returned posts carrying each kind of reason (a post may carry several)."""
    results = [r for posts in found.values() for r in posts]
    if not results:
        return {}
    return {
        kind: sum(1 for r in results if any(reason.startswith(kind) for reason in r.reasons)) / len(results)
        for kind in REASON_KINDS
    }


def samples(rows: Sequence[EssayRow], found: dict[str, list[related.RelatedPost]], count: int) -> list[str]:
    """A few targets with their results and reasons, spread through the archive, to eyeball."""
    lines: list[str] = []
    for row in rows[:: max(1, len(rows) // max(count, 1))][:count]:
        lines.append(f"{row.essay.title} [{', '.join(row.essay.labels)}]")
        for r in found.get(row.essay.key, []):
            lines.append(f"    {r.score:.2f} {r.title} — {'; '.join(r.reasons)}")
        if not found.get(row.essay.key):
            lines.append("    (nothing above the threshold)")
    return lines


async def without_labels(store: Store, rows: Sequence[EssayRow]) -> dict[str, list[str]]:
    """The project's ranking with the shared-labels signal weighed at zero."""
    saved = related.LABEL_WEIGHT
    related.LABEL_WEIGHT = 0.0
    try:
        rankings, _, _ = await project_rankings(store, rows)
    finally:
        related.LABEL_WEIGHT = saved
    return rankings


async def run(corpus: Path, *, progress: Callable[[str], None], show: int = 0) -> Report:
    with tempfile.TemporaryDirectory(prefix="marginalia-bench-") as tmp:
        async with await Store.open(Path(tmp) / "bench.sqlite3") as store:
            progress(f"ingesting {corpus} ...")
            read, stored, read_s, store_s = await ingest(store, corpus)
            rows = [r for r in [await store.get_essay_by_id(i) for i in await store.all_essay_ids()] if r]
            tags = {r.essay.key: norm_tags(r.essay.labels) for r in rows}
            progress(f"ranking {len(rows)} posts ...")
            ranked, timings, found = await project_rankings(store, rows)
            no_labels = await without_labels(store, rows)
            progress("tf-idf baseline ...")
            baseline = tfidf_rankings({r.essay.key: r.essay.title + "\n\n" + r.essay.body_text for r in rows})
    ms = [t * 1000 for t in timings]
    return Report(
        posts_read=read,
        posts_stored=stored,
        read_seconds=read_s,
        store_seconds=store_s,
        scores=[
            score_rankings("project (related --all --any-time)", ranked, tags),
            score_rankings("project, no labels signal", no_labels, tags),
            score_rankings("tf-idf cosine baseline (title+body)", baseline, tags),
        ],
        latency=Latency(len(ms), percentile(ms, 0.5), percentile(ms, 0.99), max(ms) if ms else 0.0),
        reason_mix=reason_mix(found),
        samples=samples(rows, found, show),
    )


def format_report(report: Report) -> str:
    lines = [
        f"corpus: {CORPUS}",
        f"ingest: {report.posts_read} posts read in {report.read_seconds:.1f} s, "
        f"{report.posts_stored} stored in {report.store_seconds:.1f} s "
        f"({report.posts_stored / max(report.store_seconds, 1e-9):.0f} posts/s)",
        "",
        f"{'method':<38} {'P@5':>6} {'coverage':>9} {'scored':>7} {'results/post':>13} {'P@5 specific':>13}",
    ]
    for s in report.scores:
        lines.append(
            f"{s.method:<38} {s.precision_at_5:>6.3f} {s.coverage:>9.1%} {s.scored_posts:>7} "
            f"{s.mean_results:>13.2f} {s.specific_precision_at_5:>7.3f} ({s.specific_scored_posts})"
        )
    lat = report.latency
    mix = ", ".join(f"{kind} {share:.0%}" for kind, share in report.reason_mix.items())
    lines += [
        "",
        f"target P@5 >= {TARGET_PRECISION}; 'P@5 specific' counts only tags on <= {SPECIFIC_SHARE:.0%} of posts",
        f"reasons of returned posts: {mix}",
        f"related latency over {lat.queries} queries: p50 {lat.p50_ms:.1f} ms, p99 {lat.p99_ms:.1f} ms, "
        f"max {lat.max_ms:.1f} ms",
    ]
    if report.samples:
        lines += ["", "samples:", *report.samples]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.related_quality", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="folder of Markdown posts with tags")
    parser.add_argument("--show", type=int, default=0, metavar="N", help="also print N targets with their results")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"skipped: corpus not found at {args.corpus}")
        return 0

    def progress(message: str) -> None:
        print(message, file=sys.stderr)

    report = asyncio.run(run(args.corpus, progress=progress, show=args.show))
    print(json.dumps(asdict(report), indent=2) if args.json else format_report(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
