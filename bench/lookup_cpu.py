"""The lookups' own cost: /quote, /figures and /related answered in one process, without Discord.

``bench.commands`` times each command inside the bot process, from the interaction parsed to the reply
sent, which adds discord.py's part and varies with whatever else the machine runs. This bench answers
the same invocation plan (``bench.commands.invocation_plan``) by calling the functions the commands
call (``bot.lookup``: the scope, then ``quote_answer``, ``figure_answer``, ``related_answer``), one
after another on a private copy of the same cached archive, for a server that follows the archive's
feed. For each it takes the wall time and the CPU time of this thread and of the process's other
threads (aiosqlite's, where a statement runs there), so a change that moves work between threads, or
only waits less, shows as such. Garbage is collected between lookups, as the bot does (``bot/collector.py``).
With ``--database-url`` it runs on a copy of the PostgreSQL archive (``bench.commands --database-url``),
whose statements run in the server: there the thread's CPU is the client's part only.

    python -m bench.lookup_cpu --essays 10000 --invocations 200 [--database-url URL]

Always exits 0: a report, not a gate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from bench import pg
from bench.commands import BENCH_FEED, archive_sample, build_archive, invocation_plan, machine, percentile, run_copy
from bot import collector
from bot.essays.model import FigureKind
from bot.lookup import Answer, command_scope, figure_answer, quote_answer, related_answer
from bot.store import Store, open_store

LABELS = ("quote", "figures", "related")
GUILD = 1001  # the server asking, which follows the archive's feed


@dataclass(frozen=True, slots=True)
class Timing:
    label: str
    options: str
    wall_ms: float
    thread_ms: float  # CPU of the thread that awaited the answer
    others_ms: float  # CPU of the process's other threads meanwhile


async def answer(store: Store, label: str, options: dict[str, str], rng: random.Random) -> Answer:
    scope = await command_scope(store, essay=options.get("essay"), channel_id=None, guild_id=GUILD)
    if label == "quote":
        return await quote_answer(store, scope, search=options.get("search"), speaker=options.get("speaker"), rng=rng)
    if label == "figures":
        kind = cast(FigureKind | None, options.get("kind"))  # the plan names kinds from FIGURE_KIND_LABELS
        return await figure_answer(store, scope, search=options.get("search"), kind=kind)
    return await related_answer(store, scope, search=options.get("search"))


@asynccontextmanager
async def held_collections() -> AsyncIterator[None]:
    """The bot's garbage collection while it runs: due collections wait for the end of an answer."""
    collector.hold()
    try:
        yield
    finally:
        collector.release()


async def measure(
    essays: int, per_label: int, seed: int, database_url: str | None = None, *, warm: bool = False
) -> list[Timing]:
    archive = await build_archive(essays, database_url=database_url)
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="lookup-cpu-") as workdir:
        async with run_copy(archive, Path(workdir), database_url, warm=warm) as db:
            sample = await archive_sample(db, rng)
            plan = [i for i in invocation_plan(sample, per_label, rng) if i.label in LABELS]
            warmup = [i for i in invocation_plan(sample, 4, random.Random(seed + 1)) if i.label in LABELS]
            async with await open_store(db) as store, held_collections():
                await store.add_feed(BENCH_FEED, guild_id=GUILD)
                for invocation in warmup:  # first use of each code path and of the page cache: not counted
                    await answer(store, invocation.label, invocation.options, rng)
                timings: list[Timing] = []
                for invocation in plan:
                    collector.collect_when_due()  # as the bot does once an answer is sent
                    wall, thread, process = time.perf_counter(), time.thread_time(), time.process_time()
                    await answer(store, invocation.label, invocation.options, rng)
                    wall, thread, process = (
                        time.perf_counter() - wall,
                        time.thread_time() - thread,
                        time.process_time() - process,
                    )
                    options = json.dumps(invocation.options, sort_keys=True)
                    timings.append(
                        Timing(invocation.label, options, wall * 1000, thread * 1000, max(0.0, process - thread) * 1000)
                    )
    return timings


def report(timings: Sequence[Timing], essays: int, backend: str = "SQLite") -> None:
    print(f"{essays} essays; {backend}; {machine()}; load {os.getloadavg()[0]:.2f}")
    heads = ("wall p50", "wall p90", "wall p99")
    print(f"{'lookup':8} {'n':>4} " + " ".join(f"{h:>9}" for h in heads) + f" {'thread p50':>11} {'others p50':>11}")
    for label in LABELS:
        mine = [t for t in timings if t.label == label]
        if not mine:
            continue
        walls = [t.wall_ms for t in mine]
        print(
            f"{label:8} {len(mine):>4} {percentile(walls, 0.5):>9.2f} {percentile(walls, 0.9):>9.2f} "
            f"{percentile(walls, 0.99):>9.2f} {percentile([t.thread_ms for t in mine], 0.5):>11.2f} "
            f"{percentile([t.others_ms for t in mine], 0.5):>11.2f}"
        )
    print("milliseconds; thread: CPU of the thread that asked; others: CPU of the process's other threads meanwhile")
    print("slowest of each lookup:")
    for label in LABELS:
        for t in sorted((t for t in timings if t.label == label), key=lambda t: -t.wall_ms)[:3]:
            print(f"  {t.wall_ms:7.2f} ms  {label} {t.options}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.lookup_cpu", description=__doc__.splitlines()[0])
    parser.add_argument("--essays", type=int, default=1000, help="archive size (default 1000)")
    parser.add_argument("--invocations", type=int, default=200, help="invocations of each lookup (default 200)")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--database-url", type=pg.database_url_option, help=pg.DATABASE_URL_HELP)
    parser.add_argument("--warm", action="store_true", help=pg.WARM_HELP)
    args = parser.parse_args(argv)
    timings = asyncio.run(measure(args.essays, args.invocations, args.seed, args.database_url, warm=args.warm))
    report(timings, args.essays, "PostgreSQL" if args.database_url else "SQLite")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
