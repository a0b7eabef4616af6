"""Essay keys: our URL normaliser (``bot.fetch.normalise_url``) beside courlan's ``normalize_url``.

An essay's key is its normalised URL, so a different normaliser changes the keys of stored
essays. This bench reports, for courlan (installed with trafilatura), how many of the URL test
table's expected forms it gives, and on how many real URLs (every http(s) link in the two
corpora under ``../shared/corpora``) it disagrees with ours. Reports only; exits 0.

    python -m bench.url_normaliser
"""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

import courlan

from bot.fetch import normalise_url

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
TESTS = Path(__file__).resolve().parents[1] / "tests" / "test_fetch.py"
URL_RE = re.compile(r"https?://[^\s\"'<>()\]]+")


def url_table() -> list[tuple[str, str]]:
    """The (URL, normalised form) cases of tests/test_fetch.py::test_normalise_url, read from its source."""
    for node in ast.walk(ast.parse(TESTS.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef) and node.name == "test_normalise_url":
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and len(decorator.args) > 1:
                    cases: list[tuple[str, str]] = ast.literal_eval(decorator.args[1])
                    return cases
    raise LookupError("test_normalise_url's table not found")


def theirs(url: str) -> str:
    try:
        return str(courlan.normalize_url(url, strict=False))
    except Exception as exc:  # courlan raises several kinds on odd input
        return f"<{type(exc).__name__}>"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.url_normaliser")
    parser.add_argument("--corpora", type=Path, default=CORPORA)
    args = parser.parse_args(argv)
    table = url_table()
    agree = [theirs(url) == expected for url, expected in table]
    print(f"URL rules ({len(table)} cases of the test table): ours {len(table)}, courlan {sum(agree)}")
    for (url, expected), ok in zip(table, agree, strict=True):
        if not ok:
            print(f"  {url}: ours {expected}  courlan {theirs(url)}")
    if not args.corpora.is_dir():
        print(f"skipped real URLs: corpora not found at {args.corpora}")
        return 0
    for corpus in sorted(p for p in args.corpora.iterdir() if p.is_dir()):
        urls: set[str] = set()
        for path in corpus.rglob("*"):
            if path.is_file() and path.suffix in (".md", ".markdown", ".html"):
                urls.update(URL_RE.findall(path.read_text(encoding="utf-8", errors="ignore")))
        differ = 0
        counted = 0
        for url in urls:
            try:
                ours = normalise_url(url)
            except ValueError:
                continue
            counted += 1
            differ += theirs(url) != ours
        print(f"{corpus.name}: {counted} distinct http(s) links; courlan's key differs from ours on {differ}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
