"""Memory and start-up: ``python -m bot run`` as its own process, with 1,000 and 10,000 essays stored.

For each archive size (the cached generated archives of ``bench.commands``):

* start-up: from spawning ``python -m bot run`` (unchanged, no hooks) to the first /quote answered,
  as seen by the local Discord this process serves on 127.0.0.1: the bot process starts, opens
  the database, logs in, connects to the gateway, and the /quote sent as soon as it identified is
  answered. Measured over several starts on the same database (commands already synced, as on any
  restart); nothing may be re-analysed at start, so it must not grow with the archive;
* memory: after the bot answered a few hundred mixed commands and autocompletes (the plan of
  ``bench.commands``), VmHWM (peak resident set) and VmRSS from /proc/PID/status.

    python -m bench.footprint                     # 1,000 and 10,000 essays
    python -m bench.footprint --essays 10000 --starts 5 --json bench/out/footprint.json

Linux only (/proc). Always exits 0 unless the bench itself failed: a report, not a gate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.commands import (
    World,
    archive_sample,
    ask,
    bot_process,
    build_archive,
    exercise,
    invocation_plan,
    machine,
    world_for,
)

TARGET_RSS_MB = 250.0
TARGET_STARTUP_S = 2.0
BOT_ARGS = ("-m", "bot", "run")


@dataclass(slots=True)
class Footprint:
    essays: int
    db_mb: float
    startup_s: list[float]
    startup_median_s: float
    identified_s: list[float]  # spawn to the gateway IDENTIFY, part of the start-up above
    invocations: int
    peak_rss_mb: float  # VmHWM after the invocations
    rss_mb: float  # VmRSS after the invocations
    idle_peak_rss_mb: float  # VmHWM right after the first /quote, before the rest


def proc_status(pid: int) -> dict[str, float]:
    """VmHWM and VmRSS of a process, in MB."""
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            values[name] = int(rest.split()[0]) / 1024
    return values


async def one_start(world: World, rng: random.Random, first: Any) -> tuple[float, float, Any]:
    """Spawn the bot, send /quote the moment it identified; (spawn to answer, spawn to identify, process)."""
    async with bot_process(world, BOT_ARGS) as bot:
        identified = time.perf_counter() - bot.started
        await ask(world, first, rng)
        answered = time.perf_counter() - bot.started
        return answered, identified, bot


async def measure(essays: int, starts: int, per_label: int, seed: int) -> Footprint:
    from bench.commands import Invocation

    archive = await build_archive(essays)
    rng = random.Random(seed)
    first = Invocation("quote", "quote", {}, False)
    async with world_for(archive) as world:
        sample = await archive_sample(world.db, rng)
        plan = invocation_plan(sample, per_label, rng, world.published)
        startup: list[float] = []
        identified: list[float] = []
        # One start first, not counted: the copy's first open migrates it if the code gained a migration.
        async with bot_process(world, BOT_ARGS):
            await ask(world, first, rng)
        for _ in range(starts):
            answered, ident, _bot = await one_start(world, rng, first)
            startup.append(answered)
            identified.append(ident)
        async with bot_process(world, BOT_ARGS) as bot:
            await ask(world, first, rng)
            idle = proc_status(bot.pid)
            await exercise(world, plan, rng)
            after = proc_status(bot.pid)
        assert isinstance(world.db, Path)  # footprint runs on SQLite only
        db_mb = world.db.stat().st_size / 1024 / 1024
    return Footprint(
        essays=essays,
        db_mb=round(db_mb, 1),
        startup_s=[round(s, 3) for s in startup],
        startup_median_s=round(statistics.median(startup), 3),
        identified_s=[round(s, 3) for s in identified],
        invocations=len(plan),
        peak_rss_mb=round(after["VmHWM"], 1),
        rss_mb=round(after["VmRSS"], 1),
        idle_peak_rss_mb=round(idle["VmHWM"], 1),
    )


def print_report(results: Sequence[Footprint], info: dict[str, Any]) -> None:
    print(f"{info['cpus']} CPUs, {info['memory_gb']} GB, Python {info['python']}")
    print(
        f"{'essays':>7} {'db MB':>7} {'start-up s (median)':>20} {'identify s':>11} {'peak RSS MB':>12} "
        f"{'RSS MB':>7} {'peak idle':>10}"
    )
    for r in results:
        print(
            f"{r.essays:>7,} {r.db_mb:>7.1f} {r.startup_median_s:>20.3f} {statistics.median(r.identified_s):>11.3f} "
            f"{r.peak_rss_mb:>12.1f} {r.rss_mb:>7.1f} {r.idle_peak_rss_mb:>10.1f}"
        )
    for r in results:
        print(
            f"  {r.essays:,} essays: start-ups {r.startup_s} s; peak RSS after {r.invocations} invocations; "
            f"targets: RSS < {TARGET_RSS_MB:.0f} MB {'met' if r.peak_rss_mb < TARGET_RSS_MB else 'MISSED'}, "
            f"start-up < {TARGET_STARTUP_S:.0f} s {'met' if r.startup_median_s < TARGET_STARTUP_S else 'MISSED'}"
        )
    if len(results) >= 2:
        low, high = results[0], results[-1]
        size = high.essays / low.essays
        print(
            f"growth x{size:.0f} essays: peak RSS x{high.peak_rss_mb / low.peak_rss_mb:.2f}, "
            f"start-up x{high.startup_median_s / low.startup_median_s:.2f}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.footprint", description=__doc__.splitlines()[0])
    parser.add_argument("--essays", type=int, action="append", help="archive size (repeatable; default 1000 and 10000)")
    parser.add_argument("--starts", type=int, default=3, help="measured start-ups per size (default 3)")
    parser.add_argument("--invocations", type=int, default=60, help="invocations of each kind before reading memory")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    sizes = args.essays or [1000, 10000]
    results = [asyncio.run(measure(n, args.starts, args.invocations, args.seed)) for n in sizes]
    info = machine()
    print_report(results, info)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"machine": info, "results": [asdict(r) for r in results]}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
