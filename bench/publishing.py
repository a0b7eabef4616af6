"""Publishing: requests per published essay, and the time to publish a 6-section essay.

Generated essays of six headed sections (``bench.generate``, ~2,400 words) are stored through
the intake and published by the real publisher cog (``Publisher.drain``) to a text channel, an
announcement channel and a forum of a local Discord served in this process on 127.0.0.1, with
no rate limit. For every publication the requests Discord received are counted and compared with
``bot.publishing.plan.count_requests`` for that layout (one request per planned step: the
minimum the layout needs, see bench/README.md), and the wall time of the publication is taken.

The bot and the fake share this process and its event loop, so the time includes the fake's own
work (routing, OpenAPI validation of every request and response): an upper bound on the bot's.

    python -m bench.publishing                  # 10 essays per layout
    python -m bench.publishing --essays 20 --json bench/out/publishing.json

Always exits 0 unless the bench itself failed or a publication made other than the planned
number of requests: a report, and a check of that one number.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.commands import TOKEN, machine, percentile
from bench.generate import generate
from bot.essays.analysis import analyse
from bot.essays.model import Essay
from bot.publishing.plan import Destination, DestinationKind, count_requests, plan_publication

SECTIONS = 6
LAYOUTS: tuple[DestinationKind, ...] = ("text", "announcement", "forum")


@dataclass(slots=True)
class LayoutResult:
    layout: str
    essays: int
    planned: list[int]  # count_requests per essay
    made: list[int]  # requests Discord received per essay
    by_action: dict[str, int]  # planned steps of the first essay, by action
    seconds: list[float]
    median_ms: float = 0.0
    p90_ms: float = 0.0
    matches: bool = False
    methods: dict[str, int] = field(default_factory=dict)  # "POST /channels/{id}/messages": n, first essay


def six_section_essays(count: int, seed: int) -> list[Essay]:
    """Generated essays whose analysis finds exactly six sections (their six headings)."""
    found: list[Essay] = []
    for post in generate(count * 20, seed=seed, words=400 * SECTIONS):
        essay = post.to_essay()
        if sum(1 for b in essay.blocks if b.kind == "heading") != SECTIONS:
            continue
        if len(analyse(essay, max_sections=SECTIONS).sections) == SECTIONS:
            found.append(essay)
            if len(found) == count:
                return found
    raise RuntimeError(f"only {len(found)} six-section essays among {count * 20} generated")


def route(path: str) -> str:
    """A request path with its ids replaced: "/channels/{id}/messages/{id}"."""
    return "/".join("{id}" if part.isdigit() else part for part in path.split("/"))


async def measure(per_layout: int, seed: int) -> list[LayoutResult]:
    from bot.client import create_bot
    from bot.config import load_settings
    from bot.intake import store_essay
    from tests.fakediscord import FakeDiscord

    essays = six_section_essays(per_layout, seed)
    results: list[LayoutResult] = []
    with tempfile.TemporaryDirectory(prefix="marginalia-bench-") as tmp:
        async with FakeDiscord.start(token=TOKEN) as fake:
            guild = fake.add_guild("Bench Publishing")
            channels = {
                "text": fake.add_channel(guild, "essays"),
                "announcement": fake.add_channel(guild, "essay-news", kind="announcement"),
                "forum": fake.add_channel(guild, "essay-forum", kind="forum"),
            }
            settings = load_settings({"DB_PATH": str(Path(tmp) / "db.sqlite3")}, env_file=None)
            bot = create_bot(settings, extensions=("cogs.publisher",))
            await fake.connect(bot)
            try:
                store = bot.store
                publisher: Any = bot.get_cog("Publisher")
                stored = [await store_essay(store, essay, max_sections=SECTIONS) for essay in essays]
                for layout in LAYOUTS:
                    channel = channels[layout]
                    row = await store.set_destination(guild_id=guild.id, channel_id=channel.id, kind=layout)
                    destination = Destination(guild.id, channel.id, layout)
                    result = LayoutResult(layout, len(essays), [], [], {}, [])
                    for essay, outcome in zip(essays, stored, strict=True):
                        analysis = await store.load_analysis(outcome.essay_id)
                        result.planned.append(count_requests(essay, analysis, destination))
                        if not result.by_action:
                            steps = plan_publication(essay, analysis, destination)
                            result.by_action = dict(Counter(step.action for step in steps))
                        publication = await store.queue_publication(outcome.essay_id, row.id, outcome.revision)
                        assert publication is not None
                        before = len(fake.requests)
                        started = time.perf_counter()
                        await publisher.drain()
                        result.seconds.append(time.perf_counter() - started)
                        made = fake.requests[before:]
                        result.made.append(len(made))
                        if not result.methods:
                            result.methods = dict(Counter(f"{r.method} {route(r.path)}" for r in made))
                    results.append(finish(result))
            finally:
                await fake.disconnect(bot)
            if fake.failures:
                raise RuntimeError("fake Discord recorded failures:\n" + "\n".join(fake.failures[:20]))
    return results


def finish(result: LayoutResult) -> LayoutResult:
    millis = [s * 1000 for s in result.seconds]
    result.median_ms = round(statistics.median(millis), 1)
    result.p90_ms = round(percentile(millis, 0.9), 1)
    result.seconds = [round(s, 4) for s in result.seconds]
    result.matches = result.made == result.planned
    return result


def print_report(results: Sequence[LayoutResult]) -> None:
    info = machine()
    print(f"{SECTIONS}-section essays, no rate limit · {info['cpus']} CPUs, {info['memory_gb']} GB")
    print(f"{'layout':<13} {'requests/essay':>15} {'planned':>8} {'equal':>6} {'publish ms p50':>15} {'p90':>7}")
    for r in results:
        made = sorted(set(r.made))
        planned = sorted(set(r.planned))
        print(
            f"{r.layout:<13} {'/'.join(map(str, made)):>15} {'/'.join(map(str, planned)):>8} "
            f"{'yes' if r.matches else 'NO':>6} {r.median_ms:>15.1f} {r.p90_ms:>7.1f}"
        )
    for r in results:
        steps = ", ".join(f"{action} {n}" for action, n in r.by_action.items())
        requests = ", ".join(f"{name} ×{n}" for name, n in r.methods.items())
        print(f"  {r.layout}: steps {steps}\n    requests {requests}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.publishing", description=__doc__.splitlines()[0])
    parser.add_argument("--essays", type=int, default=10, help="essays published per layout (default 10)")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    results = asyncio.run(measure(args.essays, args.seed))
    print_report(results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"machine": machine(), "results": [asdict(r) for r in results]}
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 0 if all(r.matches for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
