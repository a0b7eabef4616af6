"""Faults the scenario API can inject into the fake's REST answers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass
class Fault:
    """Fires on the `nth` matching request (1-based) and on the `times - 1` matching ones after it.

    kind is "ratelimit" (429 + retry_after), "error" (status 5xx) or "delay" (answer late, then normally).
    """

    kind: str
    method: str | None
    path: re.Pattern[str]
    nth: int = 1
    times: int = 1
    status: int = 500
    retry_after: float = 0.05
    is_global: bool = False
    delay: float = 0.0
    seen: int = 0
    fired: int = 0
    fired_at: list[int] = field(default_factory=list)  # indexes into FakeDiscord.requests

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and bool(self.path.search(path))

    def should_fire(self) -> bool:
        """Count a matching request; True when this one is faulted."""
        self.seen += 1
        return self.nth <= self.seen < self.nth + self.times


def make_fault(kind: str, method: str | None, path_regex: str, **kwargs: object) -> Fault:
    return Fault(kind=kind, method=method.upper() if method else None, path=re.compile(path_regex), **kwargs)  # type: ignore[arg-type]
