"""Holding a claimed piece of work: renewing its lease while the work runs, and noticing its loss.

A feed poll or a publication is claimed with a lease in the store (``Store.claim_due_feeds``,
``Store.claim_publications``). While the work runs, ``HeldLease`` renews the lease in the background
every ``renew_every`` seconds, so a long wait (a rate limit, a retry backoff) does not let it run out.
Before each step that acts on the outside world the work calls ``check()``: it raises ``LeaseLost``
when a renewal failed (the lease ran out and another process may hold the work now) or when the last
renewal is older than ``renew_every`` and renewing now fails. A lease checked this way has at least
``lease - renew_every`` left when the step starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType
from typing import Self

logger = logging.getLogger(__name__)

Renew = Callable[[timedelta], Awaitable[bool]]


class LeaseLost(Exception):
    """The lease on a piece of work ran out or was taken over: this process must not go on with it."""


@dataclass(frozen=True, slots=True)
class LeaseSettings:
    """How long a claim lasts (``LEASE_SECONDS``) and how often it is renewed (``LEASE_RENEW_SECONDS``).

    A process that dies holds its work this long at most before another process (or the restarted one)
    takes it over; renewing every third of it survives two missed renewals.
    """

    lease: float = 60.0
    renew_every: float = 20.0

    def __post_init__(self) -> None:
        if not 0 < self.renew_every < self.lease:
            raise ValueError("the renewal interval must be positive and shorter than the lease")

    @property
    def length(self) -> timedelta:
        return timedelta(seconds=self.lease)


class HeldLease:
    """One claimed piece of work, renewed in the background while the ``async with`` block runs."""

    def __init__(
        self, what: str, renew: Renew, settings: LeaseSettings, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.what = what
        self._renew = renew
        self._settings = settings
        self._clock = clock
        self._renewed_at = clock()  # claimed just now
        self._lost = False
        self._task: asyncio.Task[None] | None = None

    @property
    def lost(self) -> bool:
        return self._lost

    async def __aenter__(self) -> Self:
        self._task = asyncio.create_task(self._keep(), name=f"marginalia-lease-{self.what}")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def check(self) -> None:
        """Raise ``LeaseLost`` unless the lease is still this process's (renewing it when due)."""
        if not self._lost and self._clock() - self._renewed_at >= self._settings.renew_every:
            await self._renew_now()
        if self._lost:
            raise LeaseLost(f"the lease on {self.what} was lost")

    async def _renew_now(self) -> None:
        started = self._clock()
        if await self._renew(self._settings.length):
            self._renewed_at = started
        else:
            self._lost = True
            logger.warning("lost the lease on %s (it ran out, or another process took it over)", self.what)

    async def _keep(self) -> None:
        while not self._lost:
            await asyncio.sleep(max(0.0, self._renewed_at + self._settings.renew_every - self._clock()))
            try:
                await self._renew_now()
            except Exception:
                # The database is unreachable for now: try again soon; check() renews (and fails) itself
                # once the last renewal is too old.
                logger.exception("could not renew the lease on %s", self.what)
                await asyncio.sleep(min(1.0, self._settings.renew_every))
