"""Storing many essays at once (the command line's ``ingest`` of an archive): fast, and as safe.

The analysis, most of the work, runs in a pool of processes (one per core but this one's) while this process
resolves references and writes, and analyses the essays the pool has not started when it would otherwise wait
for them (``collect``); essays are written in batches, in the order given, each batch in one
transaction with the references its essays answer and their neighbour lists. A crash loses at most the
batch being written, and ingesting again stores exactly what is missing: an essay's identity is its key
and an unchanged essay is never written twice. The feed poller keeps storing essays one by one
(``bot.intake.store_essay``): a feed brings a few at a time.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import replace
from functools import partial

from bot.essays.analysis import analyse
from bot.essays.model import Analysis, Essay
from bot.intake import resolve_against_archive, resolve_waiting_references
from bot.related import add_to_neighbourhoods
from bot.store import IngestOutcome, Store

logger = logging.getLogger(__name__)

# Essays per transaction: large enough that a commit is rare, small enough that a crash loses little.
BATCH = 100
# Below this many essays to analyse, starting worker processes costs more than it saves.
POOL_FROM = 40
# How many batches the pool may run ahead of the writer (memory stays bounded).
AHEAD = 3

Progress = Callable[[int], None]


async def ingest_essays(
    store: Store,
    essays: Sequence[Essay],
    *,
    max_sections: int,
    feed_id: int | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> list[IngestOutcome]:
    """Store ``essays`` (in their order) with their analysis; one outcome per essay given.

    ``workers`` is the number of analysis processes (0: analyse here; default: one per core but
    this process's). ``progress`` is called with the number of essays done after each batch.
    """
    outcomes: list[IngestOutcome | None] = [None] * len(essays)
    known = await store.content_hashes([essay.key for essay in essays])
    todo: list[int] = []
    for index, essay in enumerate(essays):
        if known.get(essay.key, (None,))[0] == essay.content_hash:
            essay_id, revision = known[essay.key][1], known[essay.key][2]
            outcomes[index] = IngestOutcome("unchanged", essay_id, essay.key, revision)
        else:
            todo.append(index)
    done = len(essays) - len(todo)
    if progress is not None and done:
        progress(done)
    analyse_one = partial(analyse, max_sections=max_sections)
    with _pool(len(todo), workers) as pool:
        batches = [todo[start : start + BATCH] for start in range(0, len(todo), BATCH)]
        pending: list[list[Future[Analysis]]] = []

        def submit(batch: list[int]) -> list[Future[Analysis]]:
            return [] if pool is None else [pool.submit(analyse_one, essays[i]) for i in batch]

        for batch in batches[:AHEAD]:
            pending.append(submit(batch))
        for number, batch in enumerate(batches):
            if pool is None:
                analyses = [analyse_one(essays[i]) for i in batch]
            else:
                analyses = await collect(pending[number], [essays[i] for i in batch], analyse_one)
                pending[number] = []  # the analyses are the batch's now: memory stays bounded
            if number + AHEAD < len(batches):
                pending.append(submit(batches[number + AHEAD]))
            items = []
            for index, analysis in zip(batch, analyses, strict=True):
                essay = essays[index]
                items.append((essay, await resolve_against_archive(store, essay, analysis), feed_id))
            # The batch's essays, the references they answer and their neighbour lists: one transaction,
            # so one commit where there was one per essay, and a crash loses the whole batch or nothing.
            async with store.write_batch():
                saved = await store.save_essays(items)
                for outcome in saved:
                    if outcome.status == "new":
                        await resolve_waiting_references(store, outcome.essay_id)
                    if outcome.status != "unchanged":
                        # As bot.intake.store_essay does: its place among its nearest posts (related ranking).
                        await add_to_neighbourhoods(store, outcome.essay_id)
            for index, (essay, analysis, _), outcome in zip(batch, items, saved, strict=True):
                if analysis.failures:
                    outcome = replace(outcome, analysis_failures=tuple(analysis.failures))
                outcomes[index] = outcome
                logger.debug("ingested %s: %s", essay.key, outcome.status)
            done += len(batch)
            if progress is not None:
                progress(done)
    return [outcome for outcome in outcomes if outcome is not None]


async def collect(
    futures: Sequence[Future[Analysis]], essays: Sequence[Essay], analyse_one: Callable[[Essay], Analysis]
) -> list[Analysis]:
    """The analyses of one batch, in order: the pool's, or this process's for essays no worker has started.

    The workers take a batch from its start. Rather than wait for them, this process analyses the batch's
    last essays that are still queued (cancelled in the pool): the writer needs less time per essay than the
    analysis, and would otherwise wait for the workers a third of the time (2 cores: one worker and the writer).
    The pool marks a few essays past those its workers run as running already (one per worker and one more,
    handed to them ahead): those are waited for.
    """
    results: dict[int, Analysis] = {}
    end = len(futures)
    for position, future in enumerate(futures):
        # A queued future cancels; one handed to a worker or done does not (and neither do those before it).
        while position < end and not future.done() and futures[end - 1].cancel():
            end -= 1
            results[end] = analyse_one(essays[end])
        if position >= end:
            break
        results[position] = await asyncio.wrap_future(future)
    return [results[position] for position in range(len(futures))]


class _NoPool:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


class _Pool(ProcessPoolExecutor):
    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        # After an error the queued analyses are of no use: the ingest stops now, not once they are done.
        self.shutdown(wait=True, cancel_futures=exc_type is not None)


def _pool(count: int, workers: int | None) -> _Pool | _NoPool:
    """A pool of fresh ("spawn") processes, one per core but the writer's; none for a small ingest or one core."""
    # This process is nearly as busy as a worker (storage, references, neighbour lists): a worker on its
    # core only takes turns with it (2 cores, 3,000 essays: a second worker made each process's CPU time per
    # essay 20-40 % longer, and the ingest as often slower as faster).
    size = workers if workers is not None else (os.cpu_count() or 1) - 1
    if count < POOL_FROM or size < 1:
        return _NoPool()
    # Spawned, not forked: this process runs threads (aiosqlite's), which a fork would copy mid-lock.
    return _Pool(max_workers=size, mp_context=multiprocessing.get_context("spawn"))
