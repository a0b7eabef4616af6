"""What every operation shares: how times and feed text are shown, and fitting lines to a reply."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime


def iso_time(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value is not None else "never"


TimeFormat = Callable[[datetime | None], str]
# How text from a feed is shown: as it is on the command line; escaped for Discord's markdown by the cogs.
Shown = Callable[[str], str]


def as_is(text: str) -> str:
    return text


def fit_lines(lines: Sequence[str], limit: int = 1900) -> str:
    """As many whole lines as fit ``limit`` characters, then how many were left out."""
    kept: list[str] = []
    used = 0
    for number, line in enumerate(lines):
        if used + len(line) + 1 > limit - 20:
            kept.append(f"…and {len(lines) - number} more lines")
            break
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)
