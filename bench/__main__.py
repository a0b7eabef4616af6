"""Run a benchmark by name: ``python -m bench NAME [ARGS...]``, e.g. ``python -m bench related_quality``.

NAME is any module of this package with a ``main(argv)`` (quality, related_quality,
analysis_speed, generate, ...); without one, the names are listed.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if not m.name.startswith("_"))


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in names():
        print(f"usage: python -m bench {{{','.join(names())}}} [ARGS...]", file=sys.stderr)
        return 2
    module = importlib.import_module(f"bench.{argv[0]}")
    if not hasattr(module, "main"):
        print(f"bench.{argv[0]} has no main()", file=sys.stderr)
        return 2
    result: int = module.main(argv[1:])
    return result


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
