"""Free-text /related: how well each way of finding candidates keeps the exact ranking's best posts, and its time.

A free-text /related scores a few dozen candidates exactly (the tf-idf cosine of ``bot.related``, from their
stored stem counts) and shows the best. The candidates were the best of FTS5's BM25 over the words' postings
(bounded by ``POSTING_BUDGET``); they are now the heaviest posts of each stem's champion list
(``stem_champions``), with the postings ranked only when the lists hold fewer posts than asked. The exact
ranking scores every post of the archive; a way of finding candidates is as good as the share of the exact top
5 its candidates hold (text similarity only: labels and dates are the same for every way).

Queries: 1 to 3 words drawn from the titles of the archive's own posts (a fixed seed), as readers type topics.
Reported side by side in one run, for each way: the mean share of the exact top 5 found, the share of queries
whose top 5 is the exact one, and the candidate step's time (p50 / p99, ms, in this process).

    python -m bench.related_text                      # ../shared/corpora/marcusoft-posts, ingested here
    python -m bench.related_text --corpus ../shared/corpora/socialmemorycomplex-posts
    python -m bench.related_text --database bench/out/archive-10000-s11-w1500-feed.sqlite3   # a stored archive

Always exits 0 (a report, not a gate); without the corpus it says so and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.related_quality import CORPUS, ingest
from bot import related
from bot.essays.terms import text_terms
from bot.essays.text import content_words
from bot.store import Store, open_store
from bot.store.scope import ALL_SERVERS

QUERIES = 300
TOP = 5

Finder = Callable[[Store, dict[int, "related._Candidate"], "related._Query"], Awaitable[object]]


@dataclass(slots=True)
class Way:
    name: str
    overlap: list[float]
    exact: list[bool]
    times: list[float]


async def _fts(store: Store, found: dict[int, related._Candidate], query: related._Query) -> None:
    await related._add_text_candidates(store, found, query, before=None, target_id=None, guild_id=ALL_SERVERS)


async def _champions(store: Store, found: dict[int, related._Candidate], query: related._Query) -> None:
    await related._add_champion_candidates(store, found, query, before=None, guild_id=ALL_SERVERS)


async def _bot(store: Store, found: dict[int, related._Candidate], query: related._Query) -> None:
    """What ``related_to_text`` does: the lists, and the postings when the lists hold too few (its rule)."""
    await related.add_free_text_candidates(store, found, query, before=None, guild_id=ALL_SERVERS, limit=TOP)


WAYS: dict[str, Finder] = {"FTS5 postings (before)": _fts, "champion lists only": _champions, "the bot (now)": _bot}


def draw_queries(titles: Sequence[str], count: int, seed: int = 3) -> list[str]:
    """``count`` queries of 1 to 3 content words of a random title (one word half the time)."""
    rng = random.Random(seed)
    queries: list[str] = []
    while len(queries) < count and titles:
        found = content_words(rng.choice(titles))
        if found:
            queries.append(" ".join(rng.sample(found, min(len(found), rng.choice((1, 1, 2, 3))))))
    return queries


def _percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


async def measure(store: Store, queries: Sequence[str]) -> tuple[int, list[Way]]:
    """Each way's share of the exact top 5, over the queries that have an exact answer."""
    span = await store.archive_span()
    vectors = await store.term_vectors(await store.all_essay_ids())
    ways = [Way(name, [], [], []) for name in WAYS]
    asked = 0
    for text in queries:
        query = await related._query(store, text_terms([(text, 1)]), span.essays, stored=False)
        similarity = dict(zip(vectors, related._similarities(query, list(vectors.values())), strict=True))
        exact = [i for i in sorted(similarity, key=lambda i: (-similarity[i], i))[:TOP] if similarity[i] > 0]
        if not exact:
            continue
        asked += 1
        for way, finder in zip(ways, WAYS.values(), strict=True):
            found: dict[int, related._Candidate] = {}
            started = time.perf_counter()
            await finder(store, found, query)
            way.times.append((time.perf_counter() - started) * 1000)
            best = [i for i in sorted(found, key=lambda i: (-similarity.get(i, 0.0), i))[:TOP] if similarity.get(i)]
            way.overlap.append(len(set(best) & set(exact)) / len(exact))
            way.exact.append(set(best) == set(exact))
    return asked, ways


def format_report(source: str, essays: int, asked: int, ways: Sequence[Way]) -> str:
    lines = [
        f"{source}: {essays:,} posts, {asked} free-text queries with an answer (title words, 1-3)",
        f"{'candidates':28} {'share of exact top 5':>21} {'exact top 5':>12} {'p50 ms':>8} {'p99 ms':>8}",
    ]
    for way in ways:
        lines.append(
            f"{way.name:28} {statistics.fmean(way.overlap):21.3f} {statistics.fmean(way.exact):12.3f} "
            f"{_percentile(way.times, 0.5):8.2f} {_percentile(way.times, 0.99):8.2f}"
        )
    return "\n".join(lines)


async def run(corpus: Path | None, database: Path | None, queries: int) -> str:
    with tempfile.TemporaryDirectory(prefix="related-text-") as workdir:
        path = Path(workdir) / "archive.sqlite3"
        if database is not None:
            shutil.copy(database, path)  # the copy is migrated and placed in the lists if it needs to be
        async with await open_store(path) as store:
            if database is None and corpus is not None:
                await ingest(store, corpus)
            await related._ensure_terms(store)
            briefs = await store.briefs(await store.all_essay_ids(), guild_id=ALL_SERVERS)
            titles = [brief.title for brief in briefs.values()]
            asked, ways = await measure(store, draw_queries(titles, queries))
            return format_report(str(database or corpus), len(titles), asked, ways)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.related_text", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="folder of posts to ingest (default: marcusoft)")
    parser.add_argument("--database", type=Path, help="a stored SQLite archive instead of a corpus (copied first)")
    parser.add_argument("--queries", type=int, default=QUERIES)
    args = parser.parse_args(argv)
    if args.database is None and not args.corpus.is_dir():
        print(f"no corpus at {args.corpus}: nothing to measure")
        return 0
    print(asyncio.run(run(args.corpus, args.database, args.queries)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
