"""The margin between the two backends' search answers on real text: SQLite (FTS5, bm25) beside PostgreSQL
(tsvector/GIN, ts_rank_cd), the same archive, the same queries.

Each corpus (``../shared/corpora/marcusoft-posts`` and ``socialmemorycomplex-posts`` beside the repository)
goes through the project's intake (``bench.related_quality.ingest``: ``load_source``, ``entry_to_essay``,
``store_essay``) into a fresh SQLite file and a fresh PostgreSQL database, with every post's labels
withheld (the bot never sees them; they only score /related). Then the same lookups run on both:

* /quote and /figures: ``bot.lookup.search_quotes`` / ``search_figures`` across the archive, for a seeded
  set of queries made of one or two words of a quote or a figure the analysis finds in a post chosen at
  random (the corpus's own words, so most queries find something);
* /related by text: ``related_to_text`` for one to three words of a random post's title and body;
* /related of each post: ``related_to_essay(..., any_time=True)`` as ``bench.related_quality`` runs it,
  scored by precision@5 against the posts' own tags (its ``score_rankings``), on both backends.

For each lookup: how often both backends find nothing, how often only one does, the mean Jaccard overlap
of the top 5 answers (queries where either finds something), and how often the first answer is the same.

    python -m bench.backend_margin --database-url 'postgresql://me@/postgres?host=/run/postgresql'
    python -m bench.backend_margin            # a throwaway local server (tests/pg_server.py) if one can be had

Always exits 0 (a report, not a gate); without a corpus or a PostgreSQL server it says so and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Hashable, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench import pg
from bench.related_quality import TOP_K, ingest, norm_tags, project_rankings, score_rankings
from bot import lookup
from bot.essays.analysis import analyse
from bot.essays.model import Essay
from bot.essays.text import STOPWORDS
from bot.intake import IntakeError, entry_to_essay, load_source
from bot.related import related_to_text
from bot.store import Store, open_store

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
DEFAULT_CORPORA = ("marcusoft-posts", "socialmemorycomplex-posts")
QUERIES = 200
SEED = 21
MAX_SECTIONS = 10  # as the bot runs by default (bot/config.py)
MIN_WORD = 4  # query words: letters only, at least this long, no stopword
_LETTERS = re.compile(r"[^\W\d_]+")


# --------------------------------------------------------------------- the queries


@dataclass(slots=True)
class Queries:
    quote: list[str] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)


def content_words(text: str) -> list[str]:
    """The words of ``text`` a reader would search for: letters only, long enough, no stopword; in order."""
    found: list[str] = []
    for word in _LETTERS.findall(text.lower()):
        if len(word) >= MIN_WORD and word not in STOPWORDS and word not in found:
            found.append(word)
    return found


def pick_words(words: Sequence[str], rng: random.Random, most: int) -> str | None:
    if not words:
        return None
    return " ".join(rng.sample(list(words), min(len(words), rng.randint(1, most))))


def draw_queries(essays: Sequence[Essay], count: int, seed: int) -> Queries:
    """``count`` queries of each kind from the posts' own quotes, figures and text, chosen by a seeded RNG."""
    rng = random.Random(seed)
    queries = Queries()
    for _ in range(count * 50):
        if min(len(queries.quote), len(queries.figures), len(queries.related)) >= count:
            break
        essay = rng.choice(essays)
        if len(queries.related) < count:
            text = essay.title + " " + " ".join(block.text for block in essay.blocks[:4])
            if (query := pick_words(content_words(text), rng, 3)) is not None:
                queries.related.append(query)
        if len(queries.quote) >= count and len(queries.figures) >= count:
            continue
        analysis = analyse(essay, max_sections=MAX_SECTIONS)
        if analysis.quotes and len(queries.quote) < count:
            quote = rng.choice(analysis.quotes)
            if (query := pick_words(content_words(quote.text), rng, 2)) is not None:
                queries.quote.append(query)
        if analysis.figures and len(queries.figures) < count:
            figure = rng.choice(analysis.figures)
            words = content_words(" ".join(filter(None, (figure.subject, figure.text, figure.context))))
            if (query := pick_words(words, rng, 2)) is not None:
                queries.figures.append(query)
    return queries


# --------------------------------------------------------------------- the answers


Answer = list[Hashable]


async def quote_answers(store: Store, queries: Sequence[str]) -> list[Answer]:
    answers: list[Answer] = []
    for query in queries:
        hits = await lookup.search_quotes(store, query, guild_id=None, limit=TOP_K)
        answers.append([(ref.key, quote.section, quote.text) for quote, ref in hits])
    return answers


async def figure_answers(store: Store, queries: Sequence[str]) -> list[Answer]:
    answers: list[Answer] = []
    for query in queries:
        hits = await lookup.search_figures(store, query, guild_id=None, limit=TOP_K)
        answers.append([(ref.key, figure.section, figure.text, figure.context) for figure, ref in hits])
    return answers


async def related_answers(store: Store, queries: Sequence[str]) -> list[Answer]:
    return [[post.key for post in await related_to_text(store, query, guild_id=None)] for query in queries]


@dataclass(slots=True)
class Agreement:
    lookup: str
    queries: int
    both_empty: int
    one_empty: int
    mean_results_sqlite: float
    mean_results_postgres: float
    top5_jaccard: float  # mean over the queries where either backend answers
    same_first: float  # share of those queries whose first answer is the same


def agreement(name: str, sqlite: Sequence[Answer], postgres: Sequence[Answer]) -> Agreement:
    """How alike two backends' answers to the same queries are (top ``TOP_K``)."""
    jaccards: list[float] = []
    same_first = 0
    both_empty = one_empty = 0
    for ours, theirs in zip(sqlite, postgres, strict=True):
        a, b = set(ours[:TOP_K]), set(theirs[:TOP_K])
        if not a and not b:
            both_empty += 1
            continue
        if not a or not b:
            one_empty += 1
        jaccards.append(len(a & b) / len(a | b))
        same_first += bool(ours and theirs and ours[0] == theirs[0])
    answered = len(jaccards)
    return Agreement(
        name,
        len(sqlite),
        both_empty,
        one_empty,
        statistics.fmean(len(x[:TOP_K]) for x in sqlite) if sqlite else 0.0,
        statistics.fmean(len(x[:TOP_K]) for x in postgres) if postgres else 0.0,
        statistics.fmean(jaccards) if jaccards else 0.0,
        same_first / answered if answered else 0.0,
    )


# --------------------------------------------------------------------- the run


@dataclass(slots=True)
class CorpusReport:
    corpus: str
    posts: int
    tagged_posts: int
    ingest_seconds: dict[str, float]
    agreements: list[Agreement]
    precision_at_5: dict[str, float]  # related of each post, labels withheld: backend -> P@5 (tagged posts)
    related_top5_jaccard: float  # the same related-of-each-post lists compared between backends


@asynccontextmanager
async def postgres_server(database_url: str | None) -> AsyncIterator[str | None]:
    """The server to use: the one given, else a throwaway local one, else None (with the reason said)."""
    if database_url is not None:
        yield database_url
        return
    try:
        from tests.pg_server import NoServer, PgServer
    except ImportError as exc:  # the bench run outside a checkout with its tests
        say(f"no PostgreSQL server given and no tests/pg_server.py to start one ({exc}); give --database-url")
        yield None
        return
    try:
        server = PgServer.start()
    except NoServer as exc:
        say(f"no PostgreSQL server: {exc}")
        yield None
        return
    try:
        yield server.url("postgres")
    finally:
        server.stop()


async def measure_corpus(
    corpus: Path, admin_url: str, *, queries: int, seed: int, progress: Callable[[str], None]
) -> CorpusReport:
    loaded = await load_source(str(corpus), None)
    essays: list[Essay] = []
    for entry in loaded.entries:
        try:
            essays.append(entry_to_essay(entry))
        except IntakeError:
            continue
    tags = {essay.key: norm_tags(essay.labels) for essay in essays}
    progress(f"{corpus.name}: {len(essays)} posts; drawing {queries} queries of each kind ...")
    asked = draw_queries(essays, queries, seed)
    name = f"marginalia_margin_{corpus.name.replace('-', '_')}"
    await pg.drop_database(admin_url, name)
    answers: dict[str, dict[str, list[Answer]]] = {}
    rankings: dict[str, dict[str, list[str]]] = {}
    seconds: dict[str, float] = {}
    precision: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="marginalia-margin-") as tmp:
        targets = {"sqlite": str(Path(tmp) / "margin.sqlite3"), "postgresql": await pg.create_database(admin_url, name)}
        try:
            for backend, target in targets.items():
                progress(f"{corpus.name}: ingesting into {backend} (labels withheld) ...")
                async with await open_store(target) as store:
                    _, _, _, seconds[backend] = await ingest(store, corpus, withhold_labels=True)
                    progress(f"{corpus.name}: lookups on {backend} ...")
                    answers[backend] = {
                        "/quote": await quote_answers(store, asked.quote),
                        "/figures": await figure_answers(store, asked.figures),
                        "/related (text)": await related_answers(store, asked.related),
                    }
                    rows = [r for r in [await store.get_essay_by_id(i) for i in await store.all_essay_ids()] if r]
                    rankings[backend], _, _ = await project_rankings(store, rows)
                    precision[backend] = score_rankings(backend, rankings[backend], tags).precision_at_5
        finally:
            await pg.drop_database(admin_url, name)
    agreements = [agreement(k, answers["sqlite"][k], answers["postgresql"][k]) for k in answers["sqlite"]]
    keys = sorted(rankings["sqlite"])
    essay_lists = agreement(
        "/related (each post)",
        [list(rankings["sqlite"][k]) for k in keys],
        [list(rankings["postgresql"].get(k, [])) for k in keys],
    )
    return CorpusReport(
        corpus.name,
        len(essays),
        sum(1 for t in tags.values() if t),
        seconds,
        [*agreements, essay_lists],
        precision,
        essay_lists.top5_jaccard,
    )


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def format_report(reports: Sequence[CorpusReport], queries: int, seed: int) -> str:
    lines = [f"{queries} queries of each kind, seed {seed}; top {TOP_K} answers compared (SQLite vs PostgreSQL)"]
    for r in reports:
        ingest_line = ", ".join(f"{b} {s:.0f} s" for b, s in r.ingest_seconds.items())
        lines += [
            "",
            f"{r.corpus}: {r.posts} posts ({r.tagged_posts} tagged); ingest {ingest_line}",
            f"{'lookup':<22} {'queries':>7} {'both none':>9} {'one none':>8} {'n sqlite':>8} {'n pg':>6} "
            f"{'top-5 Jaccard':>13} {'same 1st':>8}",
        ]
        for a in r.agreements:
            lines.append(
                f"{a.lookup:<22} {a.queries:>7} {a.both_empty:>9} {a.one_empty:>8} {a.mean_results_sqlite:>8.2f} "
                f"{a.mean_results_postgres:>6.2f} {a.top5_jaccard:>13.3f} {a.same_first:>8.3f}"
            )
        if r.tagged_posts:
            p = r.precision_at_5
            lines.append(
                f"/related of each post, labels withheld, P@{TOP_K} against the tags: "
                f"SQLite {p['sqlite']:.3f}, PostgreSQL {p['postgresql']:.3f} "
                f"(difference {p['postgresql'] - p['sqlite']:+.3f})"
            )
    return "\n".join(lines)


async def run(
    corpora: Sequence[Path], database_url: str | None, *, queries: int, seed: int
) -> list[CorpusReport] | None:
    present = [c for c in corpora if c.is_dir()]
    for missing in set(corpora) - set(present):
        say(f"corpus not found, skipped: {missing}")
    if not present:
        return []
    async with postgres_server(database_url) as admin_url:
        if admin_url is None:
            return None
        return [await measure_corpus(c, admin_url, queries=queries, seed=seed, progress=say) for c in present]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.backend_margin", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", type=pg.database_url_option, help=pg.DATABASE_URL_HELP)
    parser.add_argument("--corpus", type=Path, action="append", help="a corpus folder (repeatable); default: both")
    parser.add_argument("--queries", type=int, default=QUERIES, help=f"queries of each kind (default {QUERIES})")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--json", type=Path, help="also write the numbers as JSON to this file")
    args = parser.parse_args(argv)
    corpora = args.corpus or [CORPORA / name for name in DEFAULT_CORPORA]
    reports = asyncio.run(run(corpora, args.database_url, queries=args.queries, seed=args.seed))
    if not reports:
        print("nothing measured: " + ("no PostgreSQL server" if reports is None else "no corpus found"))
        return 0
    print(format_report(reports, args.queries, args.seed))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(r) for r in reports], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
