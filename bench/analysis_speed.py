"""Speed: essay analysis, ingest into SQLite, and related-post queries, on a generated archive.

* analysis: milliseconds per ~1,500-word generated essay for sections, quotes, figures and
  references separately (each on the same sections, as ``analyse`` runs them) and for the
  whole ``analyse``; beside it, when nltk is installed, nltk's TextTilingTokenizer on the same
  essays as a baseline for the sections step (given our stopword list, so no corpus download);
* ingest: Markdown files written by ``bench.generate`` read through ``load_source`` and stored
  with ``entry_to_essay`` + ``store_essay`` into a fresh database, at 1,000 and 10,000 essays;
* related: ``related_to_essay`` (as the command runs it, earlier posts only) and
  ``related_to_text`` latency, p50 and p99 over 200 targets spread through each archive.

    python -m bench.analysis_speed            # full run (10,000 essays: a few minutes)
    python -m bench.analysis_speed --quick    # 50 essays analysed, archives of 200 and 1,000
    python -m bench.analysis_speed --database-url 'postgresql://me@/postgres?host=/run/postgresql'
                                              # ingest into a fresh PostgreSQL database instead (bench/pg.py);
                                              # size on disk is then pg_database_size

Always exits 0: a report, not a gate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import pg
from bench.generate import generate, write_archive
from bench.related_quality import percentile
from bot.essays.analysis import analyse
from bot.essays.figures import find_figures
from bot.essays.model import Essay
from bot.essays.quotes import find_quotes
from bot.essays.references import find_references
from bot.essays.sections import find_sections
from bot.essays.text import STOPWORDS
from bot.ingest import ingest_essays
from bot.intake import IntakeError, entry_to_essay, load_source
from bot.related import related_to_essay, related_to_text
from bot.store import Store, open_store

SEED = 11
WORDS = 1500
RELATED_QUERIES = 200
# As the bot runs by default (bot/config.py).
MAX_SECTIONS = 10


@dataclass(slots=True)
class Timing:
    name: str
    mean_ms: float
    p50_ms: float
    p99_ms: float


@dataclass(slots=True)
class IngestRun:
    essays: int
    write_seconds: float
    read_seconds: float
    store_seconds: float
    source_bytes: int = 0  # the Markdown files ingested: the text itself, the floor of any store
    database_bytes: int = 0  # the SQLite file once closed (WAL checkpointed into it), or pg_database_size
    related: list[Timing] = field(default_factory=list)
    # CPU seconds of the store step: this process (its threads included), and the analysis workers it ran.
    writer_cpu_seconds: float = 0.0
    pool_cpu_seconds: float = 0.0

    @property
    def total_seconds(self) -> float:
        return self.read_seconds + self.store_seconds

    @property
    def per_second(self) -> float:
        return self.essays / self.total_seconds if self.total_seconds else 0.0


@dataclass(slots=True)
class Report:
    machine: dict[str, Any]
    analysed: int
    mean_words: float
    analysis: list[Timing]
    baseline: Timing | None
    baseline_note: str
    ingest: list[IngestRun]
    backend: str = "sqlite"


def machine_info() -> dict[str, Any]:
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "memory": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
    }


def timing(name: str, seconds: Sequence[float]) -> Timing:
    ms = [s * 1000 for s in seconds]
    return Timing(name, statistics.fmean(ms), percentile(ms, 0.5), percentile(ms, 0.99))


def _timed(func: Callable[[], object]) -> float:
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


# -------------------------------------------------------------------- analysis


def time_analysis(essays: Sequence[Essay]) -> list[Timing]:
    parts: dict[str, list[float]] = {name: [] for name in ("sections", "quotes", "figures", "references", "total")}
    for essay in essays:
        published = essay.published_date
        started = time.perf_counter()
        sections = find_sections(essay.blocks, max_sections=6)
        parts["sections"].append(time.perf_counter() - started)
        parts["quotes"].append(_timed(lambda: find_quotes(sections, author=essay.author)))  # noqa: B023
        parts["figures"].append(_timed(lambda: find_figures(sections, published=published)))  # noqa: B023
        parts["references"].append(
            _timed(lambda: find_references(sections, published=published, blog_url=essay.url, links=essay.links))  # noqa: B023
        )
        parts["total"].append(_timed(lambda: analyse(essay)))  # noqa: B023
    return [timing(name, values) for name, values in parts.items()]


def time_texttiling(essays: Sequence[Essay]) -> tuple[Timing | None, str]:
    try:
        import numpy  # noqa: F401  (TextTiling smooths with numpy but does not declare it)
        from nltk.tokenize.texttiling import TextTilingTokenizer  # type: ignore[import-untyped]
    except ImportError:
        return None, "nltk or numpy not installed: TextTiling baseline skipped (pip install nltk numpy to compare)"
    # Our own stopword list, so nltk never reaches for its downloadable corpus.
    tiler = TextTilingTokenizer(stopwords=sorted(STOPWORDS))
    seconds: list[float] = []
    failures = 0
    for essay in essays:
        text = "\n\n".join(block.text for block in essay.blocks)
        started = time.perf_counter()
        try:
            tiler.tokenize(text)
        except ValueError:  # TextTiling refuses texts it cannot split; count, do not crash
            failures += 1
            continue
        seconds.append(time.perf_counter() - started)
    note = "nltk TextTilingTokenizer (own stopwords) on the same essays"
    if failures:
        note += f"; {failures} essays refused"
    return (timing("nltk TextTiling (sections)", seconds) if seconds else None), note


# ---------------------------------------------------------------- ingest+related


async def ingest_and_query(
    count: int, *, seed: int, words: int, progress: Callable[[str], None], database_url: str | None = None
) -> IngestRun:
    with tempfile.TemporaryDirectory(prefix="marginalia-speed-") as tmp:
        folder = Path(tmp) / "posts"
        started = time.perf_counter()
        write_archive(folder, count, seed=seed, words=words)
        write_seconds = time.perf_counter() - started
        progress(f"{count} essays written in {write_seconds:.1f} s; ingesting ...")
        if database_url is None:
            return await _ingest_into(Path(tmp) / "speed.sqlite3", folder, count, write_seconds, progress)
        name = f"marginalia_speed_{count}_{os.getpid()}"
        await pg.drop_database(database_url, name)
        target = await pg.create_database(database_url, name)
        try:
            run = await _ingest_into(target, folder, count, write_seconds, progress)
            run.database_bytes = await pg.database_bytes(database_url, name)
            return run
        finally:
            await pg.drop_database(database_url, name)


async def _ingest_into(
    target: Path | str, folder: Path, count: int, write_seconds: float, progress: Callable[[str], None]
) -> IngestRun:
    """Ingest the Markdown files of ``folder`` into the store ``target`` names, then time related queries."""
    async with await open_store(target) as store:
        started = time.perf_counter()
        loaded = await load_source(str(folder), None)
        read_seconds = time.perf_counter() - started
        started = time.perf_counter()
        essays = []
        for entry in loaded.entries:
            try:
                essays.append(entry_to_essay(entry))
            except IntakeError:
                continue
        # The command line's path: analysis in worker processes, batched transactions (bot/ingest.py).
        writer_cpu, pool_cpu = time.process_time(), _children_cpu()
        await ingest_essays(store, essays, max_sections=MAX_SECTIONS)
        store_seconds = time.perf_counter() - started
        run = IngestRun(count, write_seconds, read_seconds, store_seconds, folder_bytes(folder))
        run.writer_cpu_seconds = time.process_time() - writer_cpu
        run.pool_cpu_seconds = _children_cpu() - pool_cpu  # the pool's workers have exited: they are counted
        progress(f"{count} essays ingested in {run.total_seconds:.1f} s; querying related ...")
        run.related = await time_related(store)
    if isinstance(target, Path):
        # Closing the last connection checkpoints the WAL into the file: this is its size at rest.
        run.database_bytes = folder_bytes(target)
    return run


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def folder_bytes(path: Path) -> int:
    """The bytes of a file, or of every file under a folder."""
    if path.is_file():
        return path.stat().st_size
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())


async def time_related(store: Store) -> list[Timing]:
    ids = await store.all_essay_ids()
    step = max(1, len(ids) // RELATED_QUERIES)
    # Spread through the archive: late targets have the most earlier posts to rank.
    targets = [row for row in [await store.get_essay_by_id(i) for i in ids[::step][:RELATED_QUERIES]] if row]
    essay_seconds: list[float] = []
    text_seconds: list[float] = []
    for row in targets:
        started = time.perf_counter()
        await related_to_essay(store, row, guild_id=None)
        essay_seconds.append(time.perf_counter() - started)
        query = row.essay.title + " " + " ".join(row.essay.labels)
        started = time.perf_counter()
        await related_to_text(store, query, guild_id=None)
        text_seconds.append(time.perf_counter() - started)
    return [timing("related_to_essay", essay_seconds), timing("related_to_text", text_seconds)]


# ---------------------------------------------------------------------- report


def run(
    *,
    quick: bool,
    progress: Callable[[str], None],
    database_url: str | None = None,
    sizes: Sequence[int] | None = None,
) -> Report:
    analysed = 50 if quick else 200
    essays = [post.to_essay() for post in generate(analysed, seed=SEED, words=WORDS)]
    progress(f"analysing {analysed} essays ...")
    analyse(essays[0])  # warm the regex and word caches
    analysis = time_analysis(essays)
    baseline, note = time_texttiling(essays)
    sizes = sizes or ((200, 1000) if quick else (1000, 10000))
    ingest = [
        asyncio.run(ingest_and_query(n, seed=SEED, words=WORDS, progress=progress, database_url=database_url))
        for n in sizes
    ]
    return Report(
        machine=machine_info(),
        analysed=analysed,
        mean_words=statistics.fmean(e.word_count for e in essays),
        analysis=analysis,
        baseline=baseline,
        baseline_note=note,
        ingest=ingest,
        backend="sqlite" if database_url is None else "postgresql",
    )


def format_report(report: Report) -> str:
    m = report.machine
    lines = [
        f"machine: {m['cores']} cores, {m['memory']} memory, Python {m['python']}, {m['platform']}",
        *(["store: PostgreSQL (size on disk: pg_database_size)"] if report.backend == "postgresql" else []),
        "",
        f"analysis of {report.analysed} generated essays, {report.mean_words:.0f} words on average (target: <= 10 ms)",
        f"{'step':<28} {'mean ms':>8} {'p50 ms':>8} {'p99 ms':>8}",
    ]
    for t in report.analysis:
        lines.append(f"{t.name:<28} {t.mean_ms:>8.2f} {t.p50_ms:>8.2f} {t.p99_ms:>8.2f}")
    if report.baseline is not None:
        b = report.baseline
        ours = next(t for t in report.analysis if t.name == "sections")
        lines.append(f"{b.name:<28} {b.mean_ms:>8.2f} {b.p50_ms:>8.2f} {b.p99_ms:>8.2f}")
        lines.append(
            f"  ratio nltk / ours (mean): {b.mean_ms / max(ours.mean_ms, 1e-9):.1f}x  ({report.baseline_note})"
        )
    else:
        lines.append(f"  {report.baseline_note}")
    lines += [
        "",
        "ingest from Markdown files (load_source + entry_to_essay + ingest_essays; target 10,000 in <= 60 s)",
        f"{'essays':>7} {'read s':>7} {'store s':>8} {'total s':>8} {'essays/s':>9}",
    ]
    for r in report.ingest:
        lines.append(
            f"{r.essays:>7} {r.read_seconds:>7.1f} {r.store_seconds:>8.1f} {r.total_seconds:>8.1f} {r.per_second:>9.1f}"
        )
    lines += [
        "",
        "store step's CPU per essay: this process (threads included) and the analysis workers; floor: their sum",
        "over the cores (the wall time if no core were ever idle); the ratio shows how well the cores were used",
        f"{'essays':>7} {'writer ms':>10} {'workers ms':>11} {'floor s':>8} {'store s':>8} {'store / floor':>14}",
    ]
    for r in report.ingest:
        # The store step's CPU spread evenly over the cores: its wall time if they were never idle.
        floor = (r.writer_cpu_seconds + r.pool_cpu_seconds) / (m["cores"] or 1)
        ratio = f"{r.store_seconds / floor:>13.2f}x" if floor else f"{'-':>14}"
        lines.append(
            f"{r.essays:>7} {1000 * r.writer_cpu_seconds / r.essays:>10.2f} "
            f"{1000 * r.pool_cpu_seconds / r.essays:>11.2f} {floor:>8.1f} {r.store_seconds:>8.1f} {ratio}"
        )
    lines += ["", "size on disk (target <= 25 KB per essay at 10,000; floor: the Markdown text ingested)"]
    lines.append(f"{'essays':>7} {'database MB':>12} {'KB/essay':>9} {'text KB/essay':>14} {'db / text':>10}")
    for r in report.ingest:
        per_essay = r.database_bytes / 1000 / r.essays
        text = r.source_bytes / 1000 / r.essays
        lines.append(
            f"{r.essays:>7} {r.database_bytes / 1e6:>12.1f} {per_essay:>9.1f} {text:>14.1f} {per_essay / text:>9.1f}x"
        )
    lines += ["", "related latency (target p99 <= 25 ms)", f"{'essays':>7} {'query':<18} {'p50 ms':>8} {'p99 ms':>8}"]
    for r in report.ingest:
        for t in r.related:
            lines.append(f"{r.essays:>7} {t.name:<18} {t.p50_ms:>8.1f} {t.p99_ms:>8.1f}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.analysis_speed", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a run in well under a minute")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--database-url", type=pg.database_url_option, help=pg.DATABASE_URL_HELP)
    parser.add_argument(
        "--sizes", type=int, nargs="+", help="archive sizes to ingest (default 1000 10000; --quick 200 1000)"
    )
    args = parser.parse_args(argv)

    def progress(message: str) -> None:
        print(message, file=sys.stderr)

    report = run(quick=args.quick, progress=progress, database_url=args.database_url, sizes=args.sizes)
    if args.json:
        data = asdict(report)
        for raw, r in zip(data["ingest"], report.ingest, strict=True):
            raw["total_seconds"], raw["per_second"] = r.total_seconds, r.per_second
        print(json.dumps(data, indent=2))
    else:
        print(format_report(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
