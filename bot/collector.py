"""When CPython's garbage collector runs while the bot is up: just after it has answered, not while a member waits.

CPython starts a collection whenever enough objects have been allocated, so a command pays for a pause that
earlier work made. In ``bench.commands`` at 10,000 essays, a collection of the young generations took 4–9 ms
and landed in about one lookup in twenty; a full one took 70–140 ms (it walks every object the process
keeps, among them the pages of every answer whose buttons still work) and landed in a lookup about once a
minute. Both were most of those lookups' time.

So while the bot runs (``hold`` to ``release``), a collection is due at the usual thresholds but is made
right after an answer has been sent to Discord (``collect_when_due``, which the client calls then), and the
automatic collection waits ``BACKSTOP`` times longer than usual: it still runs in a long stretch of work with
no answer to send, such as posting a long essay, so memory stays bounded.
"""

from __future__ import annotations

import gc
import logging

logger = logging.getLogger(__name__)

# How many times the usual young-generation threshold the automatic collection waits while held.
BACKSTOP = 20

_holders = 0
_usual: tuple[int, int, int] | None = None


def hold() -> None:
    """Make collections wait for ``collect_when_due`` (nested holds: the last ``release`` restores)."""
    global _holders, _usual
    if _holders == 0:
        young, middle, old = gc.get_threshold()
        _usual = (young, middle, old)
        if young > 0:  # 0: automatic collection is off already, and stays off
            gc.set_threshold(young * BACKSTOP, middle, old)
    _holders += 1


def release() -> None:
    """Undo one ``hold``; the last one restores the thresholds found."""
    global _holders, _usual
    if _holders == 0:
        return
    _holders -= 1
    if _holders == 0 and _usual is not None:
        gc.set_threshold(*_usual)
        _usual = None


def collect_when_due() -> int | None:
    """Collect the oldest generation whose usual threshold is passed, as CPython would have; its number, or None.

    The counts are CPython's own (``gc.get_count``): objects allocated since the last collection, then
    collections of the generation below since the last of this one. Without a hold, nothing is done.
    """
    if _usual is None or _usual[0] <= 0:
        return None
    counts = gc.get_count()
    if counts[0] <= _usual[0]:
        return None
    # The oldest generation past its threshold, younger ones with it (CPython's rule, less its skipping of a
    # full collection while few objects have reached the oldest generation: here the moment costs no one).
    generation = max(g for g in range(3) if counts[g] > _usual[g])
    gc.collect(generation)
    return generation
