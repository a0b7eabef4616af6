"""The /activity chart: time to draw a 6-section essay's chart as PNG, beside matplotlib's own floor.

Charts are drawn by ``bot.activity_chart.render_activity_chart`` for six-section essays of the
synthetic archive (``bench.generate``; their section titles as the project's analysis names them),
with seeded message counts, one after another in this process, as the bot's worker thread draws
them. Beside them, in the same run and process: the floor, an empty matplotlib figure of the same
size saved as PNG the same way (what any chart of this size costs before a bar or a letter), and
the same chart for ten sections with long titles (the most ``MAX_SECTIONS`` allows).

    python -m bench.activity_chart                # 300 charts of each kind
    python -m bench.activity_chart --charts 1000 --json bench/out/activity-chart.json

Always exits 0 unless the bench itself failed: a report, not a gate.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.commands import machine, percentile
from bench.publishing import six_section_essays
from bot.activity import EssayActivity, SectionActivity
from bot.essays.analysis import analyse

TARGET_P99_MS = 150.0
WARM_UP = 10


@dataclass(slots=True)
class Timing:
    label: str
    count: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    png_kb: float


def activities(count: int, sections: int, seed: int, *, long_titles: bool = False) -> list[EssayActivity]:
    """``count`` essays' activity: section titles from the analysis of generated essays, counts drawn by seed."""
    rng = random.Random(seed)
    essays = six_section_essays(max(4, count // 20), seed)
    titles = [s.title for essay in essays for s in analyse(essay, max_sections=6).sections]
    out: list[EssayActivity] = []
    for number in range(count):
        essay = essays[number % len(essays)]
        chosen: list[SectionActivity] = []
        for index in range(1, sections + 1):
            title = rng.choice(titles)
            if long_titles:
                title = f"{title}: {rng.choice(titles)} and {rng.choice(titles)}"
            messages = int(rng.paretovariate(1.2) * 3) - 3 if rng.random() < 0.85 else 0
            chosen.append(SectionActivity(index, title, messages, min(messages, rng.randint(1, 12)), None, ()))
        out.append(EssayActivity(number, essay.key, essay.title, essay.url, 1, tuple(chosen), 12))
    return out


def timed(label: str, work: Sequence[Callable[[], bytes]]) -> Timing:
    for job in work[:WARM_UP]:
        job()
    times: list[float] = []
    sizes: list[int] = []
    for job in work:
        started = time.perf_counter()
        png = job()
        times.append((time.perf_counter() - started) * 1000)
        sizes.append(len(png))
    return Timing(
        label,
        len(times),
        round(percentile(times, 0.5), 1),
        round(percentile(times, 0.9), 1),
        round(percentile(times, 0.99), 1),
        round(max(times), 1),
        round(sum(sizes) / len(sizes) / 1024, 1),
    )


def empty_figure(width: float, height: float) -> bytes:
    """The floor: a blank figure of the chart's size, saved as the chart is."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from bot.activity_chart import DPI

    figure = Figure(figsize=(width, height), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    return buffer.getvalue()


def measure(count: int, seed: int) -> dict[str, Any]:
    started = time.perf_counter()
    from bot.activity_chart import chart_size, render_activity_chart

    import_ms = (time.perf_counter() - started) * 1000
    six = activities(count, 6, seed)
    ten = activities(count, 10, seed + 1, long_titles=True)
    width, height = chart_size(6)
    results = [
        timed("empty figure, same size (floor)", [lambda: empty_figure(width, height)] * count),
        timed("chart, 6 sections", [lambda a=a: render_activity_chart(a) for a in six]),
        timed("chart, 10 sections, long titles", [lambda a=a: render_activity_chart(a) for a in ten]),
    ]
    return {"machine": machine(), "import_ms": round(import_ms, 1), "timings": [asdict(r) for r in results]}


def print_report(report: dict[str, Any]) -> None:
    info = report["machine"]
    print(f"{info['cpus']} CPUs, {info['memory_gb']} GB, Python {info['python']}")
    print(f"importing matplotlib and the chart module: {report['import_ms']:.0f} ms (once per process)")
    print(f"{'':<34} {'n':>5} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} {'PNG KB':>7}")
    for t in report["timings"]:
        print(
            f"{t['label']:<34} {t['count']:>5} {t['p50_ms']:>8.1f} {t['p90_ms']:>8.1f} {t['p99_ms']:>8.1f} "
            f"{t['max_ms']:>8.1f} {t['png_kb']:>7.1f}"
        )
    six = next(t for t in report["timings"] if t["label"] == "chart, 6 sections")
    verdict = "meets" if six["p99_ms"] <= TARGET_P99_MS else "MISSES"
    print(f"6-section chart p99 {six['p99_ms']:.1f} ms {verdict} the {TARGET_P99_MS:.0f} ms target")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.activity_chart", description=__doc__.splitlines()[0])
    parser.add_argument("--charts", type=int, default=300, help="charts of each kind (default 300)")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the report as JSON to this file")
    args = parser.parse_args(argv)
    report = measure(args.charts, args.seed)
    print_report(report)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
