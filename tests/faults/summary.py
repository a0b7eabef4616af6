"""Run the fault suite and print its results as a Markdown table, one row per fault class.

    .venv/bin/python -m tests.faults.summary            # run the feed, storage and fuzz faults, print the table
    .venv/bin/python -m tests.faults.summary --write    # and put it in tests/faults/README.md
    .venv/bin/python -m tests.faults.summary --all      # every test marked `faults`, Discord ones included

Tests name their fault class with ``record_property("fault", ...)``; the others are grouped by
module. A parametrized test counts one case per parameter id, so the primed and first-poll
runs of the same bad feed are one case and two tests.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
README = HERE / "README.md"
START, END = "<!-- summary:start -->", "<!-- summary:end -->"
MODULE_CLASSES = {
    "test_parser_fuzz": "parser fuzzing (hypothesis)",
    "test_bad_feeds": "bad feeds: corpus checks",
    "test_storage": "storage",
}


@dataclass
class FaultClass:
    cases: list[str] = field(default_factory=list)
    tests: int = 0
    passed: int = 0
    failed: list[str] = field(default_factory=list)
    skipped: int = 0
    seconds: float = 0.0


# The feed, storage and parser faults; the Discord-side fault modules (a long soak among them) run with --all.
MODULES = ("test_bad_feeds.py", "test_storage.py", "test_parser_fuzz.py")


def run_suite(junit: Path, extra: list[str], *, everything: bool) -> int:
    command = [sys.executable, "-m", "pytest", "-m", "faults", "-q", "-p", "no:cacheprovider"]
    command += [f"--junitxml={junit}", "-o", "junit_family=xunit1"]
    command += ["tests"] if everything else [str(HERE / module) for module in MODULES]
    return subprocess.run([*command, *extra], cwd=REPO_ROOT, check=False).returncode


def _case_name(test_name: str) -> str:
    match = re.search(r"\[(.+)\]$", test_name)
    return match.group(1) if match else test_name


def collect(junit: Path) -> dict[str, FaultClass]:
    classes: dict[str, FaultClass] = defaultdict(FaultClass)
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        module = (case.get("classname") or "").rsplit(".", 1)[-1]
        properties = {p.get("name"): p.get("value") for p in case.iter("property")}
        fault = properties.get("fault") or MODULE_CLASSES.get(module, module)
        name = case.get("name") or ""
        row = classes[fault]
        row.tests += 1
        row.seconds += float(case.get("time") or 0)
        if _case_name(name) not in row.cases:
            row.cases.append(_case_name(name))
        if case.find("failure") is not None or case.find("error") is not None:
            row.failed.append(name)
        elif case.find("skipped") is not None:
            row.skipped += 1
        else:
            row.passed += 1
    return dict(classes)


def table(classes: dict[str, FaultClass]) -> str:
    lines = [
        "| Fault class | Cases | Tests | Result | Time (s) | Cases run |",
        "|---|---:|---:|---|---:|---|",
    ]
    for name, row in sorted(classes.items()):
        if row.failed:
            result = f"**{len(row.failed)} failed**: {', '.join(row.failed)}"
        elif row.skipped:
            result = f"{row.passed} passed, {row.skipped} skipped"
        else:
            result = "all passed"
        cases = ", ".join(f"`{case}`" for case in row.cases)
        lines.append(f"| {name} | {len(row.cases)} | {row.tests} | {result} | {row.seconds:.1f} | {cases} |")
    total = sum(len(row.cases) for row in classes.values())
    tests = sum(row.tests for row in classes.values())
    failed = sum(len(row.failed) for row in classes.values())
    seconds = sum(row.seconds for row in classes.values())
    outcome = "all passed" if not failed else f"**{failed} failed**"
    lines.append(f"| **total** | {total} | {tests} | {outcome} | {seconds:.1f} | |")
    return "\n".join(lines)


def write_readme(markdown: str) -> None:
    text = README.read_text(encoding="utf-8")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    README.write_text(f"{before}{START}\n{markdown}\n{END}{after}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="replace the table in tests/faults/README.md")
    parser.add_argument("--all", action="store_true", help="every test marked faults, not only this part")
    parser.add_argument("pytest_args", nargs="*", help="passed on to pytest")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        junit = Path(directory) / "faults.xml"
        code = run_suite(junit, args.pytest_args, everything=args.all)
        if not junit.exists():
            print("pytest wrote no results", file=sys.stderr)
            return code or 1
        markdown = table(collect(junit))
    print(markdown)
    if args.write:
        write_readme(markdown)
    return code


if __name__ == "__main__":
    sys.exit(main())
