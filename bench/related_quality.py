"""Related-post quality on a real blog archive, against a plain TF-IDF baseline.

The archive is ``../shared/corpora/marcusoft-posts`` beside the repository (1,270 Jekyll
posts with tags). It goes through the project's intake (``load_source``, ``entry_to_essay``,
``store_essay``) twice, into two temporary databases: once as it is (**labels visible**) and
once with every post's labels removed before it is stored (**labels withheld**: the bot never
sees them; they are only used to score). For every post, ``related_to_essay(..., any_time=True)``
— what ``related --all --any-time`` prints — is scored by precision@5: the share of its top 5
that share a tag with it, **a missing result counting as a miss** (a post with 2 good results
scores 0.4). Posts that share a tag are the ground truth.

Beside it, in the same run and with the same metric, a plain TF-IDF cosine baseline (our own
small implementation: sublinear tf, smooth idf, L2, top 5, no threshold) over title and body,
and with labels visible over title, body and labels; with labels withheld also the project's
ranking without its stored neighbourhoods (no shared-neighbour weight, no neighbour candidates),
to show what they add.

Reported for all posts, for the posts before ``--split-year`` (2012: the posts the weights were
chosen on) and for the posts from then on (reported, never tuned on).

    python -m bench.related_quality           # table
    python -m bench.related_quality --json    # the same numbers as JSON
    python -m bench.related_quality --corpus ../shared/corpora/socialmemorycomplex-posts --show 8

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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import date
from pathlib import Path

from bot import related
from bot.essays.text import content_words
from bot.intake import IntakeError, entry_to_essay, load_source, store_essay
from bot.store import EssayRow, Store, open_store

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "marcusoft-posts"
TOP_K = 5
TARGET_PRECISION = 0.87
# "Specific" tags are held by at most this share of the posts: sharing one of those is a
# stricter test than sharing a tag like "life of a consultant", on 38% of the archive.
SPECIFIC_SHARE = 0.10
SPLIT_YEAR = 2012
REASON_KINDS = ("referenced", "shares labels", "both discuss", "both close to", "also quotes")


@dataclass(slots=True)
class Score:
    method: str
    labels: str  # "visible" or "withheld"
    posts: str  # "all", "tune (< split)" or "report (>= split)"
    precision_at_5: float
    scored_posts: int
    specific_precision_at_5: float
    specific_scored_posts: int
    coverage: float  # posts with at least one result
    full_coverage: float  # posts with TOP_K results
    mean_results: float


@dataclass(slots=True)
class Latency:
    queries: int
    p50_ms: float
    p99_ms: float
    max_ms: float


@dataclass(slots=True)
class Report:
    corpus: str
    posts_read: int
    posts_stored: int
    tagged_posts: int
    read_seconds: float
    store_seconds: float
    split_year: int
    scores: list[Score]
    latency: dict[str, Latency]
    reason_mix: dict[str, dict[str, float]]
    samples: list[str]


# --------------------------------------------------------------------- metric


def norm_tags(labels: Sequence[str]) -> frozenset[str]:
    return frozenset(label.strip().lower() for label in labels if label.strip())


def precision_at_k(rankings: dict[str, list[str]], tags: dict[str, frozenset[str]], *, k: int = TOP_K) -> list[float]:
    """Precision@k of each post with a tag: the share of k slots filled by a post sharing a tag.

    A missing result is a miss: a post with fewer than k results cannot score 1.
    """
    precisions: list[float] = []
    for key, ranked in rankings.items():
        own = tags.get(key, frozenset())
        if own:
            precisions.append(sum(1 for other in ranked[:k] if own & tags.get(other, frozenset())) / k)
    return precisions


def specific_tags(tags: dict[str, frozenset[str]], *, share: float = SPECIFIC_SHARE) -> dict[str, frozenset[str]]:
    """Each post's tags held by at most ``share`` of the posts."""
    counts = Counter(tag for own in tags.values() for tag in own)
    limit = share * len(tags)
    return {key: frozenset(t for t in own if counts[t] <= limit) for key, own in tags.items()}


def score_rankings(
    method: str,
    rankings: dict[str, list[str]],
    tags: dict[str, frozenset[str]],
    *,
    labels: str = "visible",
    posts: str = "all",
    keys: set[str] | None = None,
    k: int = TOP_K,
) -> Score:
    """Mean precision@k over the posts with a tag (and on specific tags only); coverage over all.

    With ``keys``, only those posts are scored as targets (their results may be any post);
    specific tags are always judged on the whole archive.
    """
    specific_all = specific_tags(tags)
    chosen = {key: ranked for key, ranked in rankings.items() if keys is None or key in keys}
    precisions = precision_at_k(chosen, tags, k=k)
    specific = precision_at_k(chosen, specific_all, k=k)
    lengths = [len(ranked[:k]) for ranked in chosen.values()]
    return Score(
        method=method,
        labels=labels,
        posts=posts,
        precision_at_5=statistics.fmean(precisions) if precisions else 0.0,
        scored_posts=len(precisions),
        specific_precision_at_5=statistics.fmean(specific) if specific else 0.0,
        specific_scored_posts=len(specific),
        coverage=sum(1 for n in lengths if n) / len(chosen) if chosen else 0.0,
        full_coverage=sum(1 for n in lengths if n >= k) / len(chosen) if chosen else 0.0,
        mean_results=statistics.fmean(lengths) if lengths else 0.0,
    )


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile; good enough for a few hundred samples."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))
    return ordered[index]


# ------------------------------------------------------------------- baseline


def tfidf_rankings(
    docs: dict[str, str], *, k: int = TOP_K, query_terms: int = 60, dates: dict[str, date | None] | None = None
) -> dict[str, list[str]]:
    """Top-k neighbours of each document by TF-IDF cosine (sublinear tf, smooth idf, L2).

    With ``dates``, a dated document's neighbours are only documents dated before it (as the
    bot's /related without ``any_time``).

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
        known = dates or {}
        cutoff = known.get(key)
        for term, weight in heaviest:
            for other, other_weight in postings[term]:
                if other == key or (cutoff is not None and not _dated_before(known.get(other), cutoff)):
                    continue
                scores[other] = scores.get(other, 0.0) + weight * other_weight
        best = sorted(scores.items(), key=lambda item: item[1], reverse=True)[:k]
        rankings[key] = [other for other, _ in best]
    return rankings


def _dated_before(when: date | None, cutoff: date) -> bool:
    return when is not None and when < cutoff


def attainable_earlier(rows: Sequence[EssayRow], tags: dict[str, frozenset[str]], *, k: int = TOP_K) -> set[str]:
    """Posts with at least ``k`` earlier posts sharing a tag: those where an earlier-only P@5 of 1 is possible."""
    found: set[str] = set()
    for row in rows:
        own, day = tags.get(row.essay.key, frozenset()), row.essay.published
        if not own or day is None:
            continue
        earlier = sum(
            1
            for other in rows
            if other.essay.published is not None
            and other.essay.published.date() < day.date()
            and own & tags.get(other.essay.key, frozenset())
        )
        if earlier >= k:
            found.add(row.essay.key)
    return found


# ---------------------------------------------------------------------- runs


async def ingest(store: Store, corpus: Path, *, withhold_labels: bool = False) -> tuple[int, int, float, float]:
    """Read and store the corpus through the intake: (read, stored, read seconds, store seconds).

    With ``withhold_labels`` every post is stored without its labels, as on a blog that has none.
    """
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
        if withhold_labels:
            essay = replace(essay, labels=())
        await store_essay(store, essay)
        stored += 1
    return len(loaded.entries), stored, read_seconds, time.perf_counter() - started


async def project_rankings(
    store: Store, rows: Sequence[EssayRow], *, any_time: bool = True
) -> tuple[dict[str, list[str]], list[float], dict[str, list[related.RelatedPost]]]:
    rankings: dict[str, list[str]] = {}
    timings: list[float] = []
    found: dict[str, list[related.RelatedPost]] = {}
    for row in rows:
        started = time.perf_counter()
        results = await related.related_to_essay(store, row, guild_id=None, limit=TOP_K, any_time=any_time)
        timings.append(time.perf_counter() - started)
        rankings[row.essay.key] = [r.key for r in results]
        found[row.essay.key] = results
    return rankings, timings, found


@contextmanager
def without_shared_neighbours() -> Iterator[None]:
    """The project's ranking with shared neighbours given no weight and stored neighbours no candidates."""
    saved = related.SHARED_WEIGHT, related.NEIGHBOUR_CANDIDATES
    related.SHARED_WEIGHT, related.NEIGHBOUR_CANDIDATES = 0.0, 0
    try:
        yield
    finally:
        related.SHARED_WEIGHT, related.NEIGHBOUR_CANDIDATES = saved


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


async def _stored_rows(store: Store) -> list[EssayRow]:
    return [r for r in [await store.get_essay_by_id(i) for i in await store.all_essay_ids()] if r]


def _latency(timings: Sequence[float]) -> Latency:
    ms = [t * 1000 for t in timings]
    return Latency(len(ms), percentile(ms, 0.5), percentile(ms, 0.99), max(ms) if ms else 0.0)


async def run(corpus: Path, *, progress: Callable[[str], None], show: int = 0, split_year: int = SPLIT_YEAR) -> Report:
    scores: list[Score] = []
    latency: dict[str, Latency] = {}
    mixes: dict[str, dict[str, float]] = {}
    shown: list[str] = []
    with tempfile.TemporaryDirectory(prefix="marginalia-bench-") as tmp:
        for labels in ("visible", "withheld"):
            async with await open_store(Path(tmp) / f"{labels}.sqlite3") as store:
                progress(f"ingesting {corpus} (labels {labels}) ...")
                read, stored, read_s, store_s = await ingest(store, corpus, withhold_labels=labels == "withheld")
                if labels == "visible":
                    ingest_numbers = (read, stored, read_s, store_s)
                    rows = await _stored_rows(store)
                    tags = {r.essay.key: norm_tags(r.essay.labels) for r in rows}
                else:
                    rows = await _stored_rows(store)
                progress(f"ranking {len(rows)} posts (labels {labels}) ...")
                ranked, timings, found = await project_rankings(store, rows)
                if labels == "withheld":
                    # The same ranking without the shared-neighbour signal, to show what it adds.
                    with without_shared_neighbours():
                        alone, _, _ = await project_rankings(store, rows)
                    # What /related answers by default: earlier posts only.
                    progress(f"ranking {len(rows)} posts, earlier posts only (labels {labels}) ...")
                    earlier_ranked, earlier_timings, _ = await project_rankings(store, rows, any_time=False)
                    latency[f"{labels}, earlier posts only"] = _latency(earlier_timings)
            latency[labels] = _latency(timings)
            mixes[labels] = reason_mix(found)
            if labels == "withheld":
                shown = samples(rows, found, show)
            progress(f"tf-idf baseline (labels {labels}) ...")
            # With labels visible the baseline reads them too, as words beside the title and body.
            docs = {
                r.essay.key: "\n\n".join([r.essay.title, r.essay.body_text, *sorted(tags.get(r.essay.key, ()))])
                if labels == "visible"
                else r.essay.title + "\n\n" + r.essay.body_text
                for r in rows
            }
            baseline = tfidf_rankings(docs)
            early = {r.essay.key for r in rows if r.essay.published and r.essay.published.year < split_year}
            late = {r.essay.key for r in rows if r.essay.key not in early}
            methods = [("project", ranked), ("tf-idf cosine baseline", baseline)]
            if labels == "withheld":
                methods.insert(1, ("project, no neighbourhoods", alone))
            for method, rankings in methods:
                for posts, keys in (
                    ("all", None),
                    (f"tune (< {split_year})", early),
                    (f"report (>= {split_year})", late),
                ):
                    scores.append(score_rankings(method, rankings, tags, labels=labels, posts=posts, keys=keys))
            if labels == "withheld":
                # Scored only where 5 earlier posts share a tag, so that a perfect answer scores 1.
                dates = {r.essay.key: r.essay.published.date() if r.essay.published else None for r in rows}
                earlier_baseline = tfidf_rankings(docs, dates=dates)
                attainable = attainable_earlier(rows, tags)
                for method, rankings in (
                    ("project, earlier posts", earlier_ranked),
                    ("tf-idf, earlier posts", earlier_baseline),
                ):
                    for posts, keys in (
                        ("all", attainable),
                        (f"tune (< {split_year})", attainable & early),
                        (f"report (>= {split_year})", attainable & late),
                    ):
                        scores.append(score_rankings(method, rankings, tags, labels=labels, posts=posts, keys=keys))
    read, stored, read_s, store_s = ingest_numbers
    return Report(
        corpus=str(corpus),
        posts_read=read,
        posts_stored=stored,
        tagged_posts=sum(1 for t in tags.values() if t),
        read_seconds=read_s,
        store_seconds=store_s,
        split_year=split_year,
        scores=scores,
        latency=latency,
        reason_mix=mixes,
        samples=shown,
    )


def format_report(report: Report) -> str:
    lines = [
        f"corpus: {report.corpus}",
        f"ingest: {report.posts_read} posts read in {report.read_seconds:.1f} s, "
        f"{report.posts_stored} stored in {report.store_seconds:.1f} s "
        f"({report.posts_stored / max(report.store_seconds, 1e-9):.0f} posts/s); {report.tagged_posts} with tags",
        "",
        f"{'labels':<9} {'method':<27} {'posts':<16} {'P@5':>6} {'P@5 specific':>13} {'≥1 result':>10} "
        f"{'5 results':>10} {'results/post':>13}",
    ]
    for s in report.scores:
        lines.append(
            f"{s.labels:<9} {s.method:<27} {s.posts:<16} {s.precision_at_5:>6.3f} {s.specific_precision_at_5:>13.3f} "
            f"{s.coverage:>10.1%} {s.full_coverage:>10.1%} {s.mean_results:>13.2f}"
        )
    lines += [
        "",
        f"P@5 counts a missing result as a miss, over posts with a tag; 'P@5 specific' counts only tags on "
        f"<= {SPECIFIC_SHARE:.0%} of posts; target P@5 >= {TARGET_PRECISION} with labels withheld; "
        f"'earlier posts' (/related's default) only over posts with >= {TOP_K} earlier posts sharing a tag",
    ]
    for labels, mix in report.reason_mix.items():
        lines.append(
            f"reasons of returned posts (labels {labels}): " + ", ".join(f"{k} {v:.0%}" for k, v in mix.items())
        )
    for labels, lat in report.latency.items():
        lines.append(
            f"related latency, labels {labels}, over {lat.queries} queries: p50 {lat.p50_ms:.1f} ms, "
            f"p99 {lat.p99_ms:.1f} ms, max {lat.max_ms:.1f} ms"
        )
    if report.samples:
        lines += ["", "samples (labels withheld; the labels shown were not seen by the bot):", *report.samples]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.related_quality", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="folder of Markdown posts with tags")
    parser.add_argument("--show", type=int, default=0, metavar="N", help="also print N targets with their results")
    parser.add_argument("--split-year", type=int, default=SPLIT_YEAR, help="tune on posts before it, report after")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"skipped: corpus not found at {args.corpus}")
        return 0

    def progress(message: str) -> None:
        print(message, file=sys.stderr)

    report = asyncio.run(run(args.corpus, progress=progress, show=args.show, split_year=args.split_year))
    print(json.dumps(asdict(report), indent=2) if args.json else format_report(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
