"""Running publications and corrections exactly once, against a ``Transport``.

A publication's plan is durable (``publication_steps``): each step is marked attempted before its
request and done, with what it made, after it. A run resumes where the last one stopped: a step
left "attempted" may have reached Discord before the crash, so its message (or forum post) is
looked for among the channel's recent messages first, and only sent again when it is not there.
Messages carry the step's nonce, so Discord drops a retried duplicate itself; "thread already
exists" and "already crossposted" say an earlier try got through; edits are safe to repeat. A
forum post has no such guard: an attempt given up on may land after the retry, so once the
publication is over the runner looks for a second post and deletes it (or asks a moderator to).

Failures: rate limits are waited out; server errors and timeouts are retried with a capped
doubling backoff, then the round is ``Deferred`` (the work stays queued); a refusal a moderator
must fix (permissions, a deleted channel) stops the destination and tells the mod-log; one that
only this essay meets stops this publication. Corrections (``bot.publishing.corrections``) run
the same way from their own stored plan.

Several bot processes may share the work: a run holds its publication's lease (``bot.leases``) and
checks it before every step that acts on Discord or ends the run, so a process whose lease ran out
(another one may have taken the publication over) stops before its next step, leaving the recorded
steps for the new holder to resume.

Timings, hooks and the clock are ``RunnerSettings`` so tests can drive every step and crash point.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from bot.essays.model import Analysis, Essay
from bot.leases import HeldLease
from bot.publishing.corrections import MESSAGE_ACTIONS as CORRECTION_MESSAGES
from bot.publishing.corrections import (
    CorrectionError,
    CorrectionPlan,
    CorrectionStep,
    build_correction_request,
    finished_layout,
    plan_correction,
    plan_from_json,
    plan_json,
    result_of,
    section_map,
)
from bot.publishing.execution import (
    RECENT_MESSAGES,
    THREAD_ACTIONS,
    UnsettledPost,
    backoff,
    decide,
    duplicate_post_message,
    earliest_id,
    find_forum_post,
    find_message,
    gone_message,
    message_matches,
    new_nonce,
    plan_destination,
    planned_steps,
    problem_text,
    remaining,
    request_body,
    required_permissions,
    result_from_response,
    results_of,
    same_shape,
    settle_wait,
    stop_message,
)
from bot.publishing.layout import initial_layout, layout_from_json, layout_json, legacy_layout
from bot.publishing.plan import Destination, PlanError, Request, Step, StepResult, build_request, plan_publication
from bot.publishing.transport import (
    MISSING_ACCESS,
    THREAD_ALREADY_EXISTS,
    THREAD_ARCHIVED,
    UNKNOWN_CHANNEL,
    UNKNOWN_MESSAGE,
    Json,
    Operation,
    Transport,
    TransportError,
    send,
)
from bot.store import DestinationRow, PlannedStep, PublicationRow, StepRow, Store

logger = logging.getLogger(__name__)

Outcome = Literal["done", "stopped", "deferred"]
# Called with a step and a phase: "attempted" (recorded as attempted, not sent yet), "sent" (its
# request succeeded, not recorded yet), "recorded" (done). Tests crash the run there.
StepHook = Callable[[Step, str], None]
CorrectionHook = Callable[[CorrectionStep, str], None]
Tell = Callable[[int, str], Awaitable[object]]

PUBLICATION_OPERATIONS: dict[str, Operation] = {
    "card": "create_message",
    "anchor": "create_message",
    "thread_text": "create_message",
    "forum_text": "create_message",
    "crosspost": "crosspost",
    "thread": "create_thread",
    "forum_post": "create_thread",
    "card_links": "edit_message",
    "forum_links": "edit_message",
}
CORRECTION_OPERATIONS: dict[str, Operation] = {
    **{action: "create_message" for action in CORRECTION_MESSAGES},
    "thread": "create_thread",
    "forum_post": "create_thread",
    "edit": "edit_message",
    "starter": "edit_message",
    "card": "edit_message",
    "delete": "delete_message",
    "thread_patch": "edit_thread",
}
# Steps whose lost outcome is looked for after a crash; the others are safe to repeat.
RECOVERABLE = frozenset({"card", "anchor", "thread_text", "forum_text", "forum_post"})


class Deferred(Exception):
    """Discord kept failing (5xx, timeouts): leave the work pending for the next round."""


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class RunnerSettings:
    """How long to wait and how often to try; the hooks and clock are for tests."""

    retry_base: float = 1.0
    retry_cap: float = 60.0
    max_retries: int = 5
    # How long a forum post attempt given up on may still land on Discord: the publication
    # looks for a second post this long after the attempt (see Runner._remove_late_posts).
    forum_settle: float = 30.0
    step_hook: StepHook | None = None
    correction_hook: CorrectionHook | None = None
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    clock: Callable[[], datetime] = utcnow


@dataclass(slots=True)
class Run:
    """One publication being run: where it goes, and what its done steps made so far."""

    publication: PublicationRow
    row: DestinationRow
    title: str
    results: dict[int, StepResult]
    # The lease this process holds on the publication; None when the caller runs it without one.
    lease: HeldLease | None = field(default=None, kw_only=True)

    async def check_lease(self) -> None:
        """Raise ``LeaseLost`` when this process no longer holds the publication."""
        if self.lease is not None:
            await self.lease.check()

    @property
    def channel(self) -> str:
        return f"<#{self.row.channel_id}>"


@dataclass(slots=True)
class PublicationRun(Run):
    """A first publication: the essay and plan its requests are rendered from."""

    destination: Destination = field(kw_only=True)
    essay: Essay = field(kw_only=True)
    analysis: Analysis = field(kw_only=True)
    # Forum post attempts whose outcome may still land (see Runner._remove_late_posts).
    unsettled: list[UnsettledPost] = field(default_factory=list, kw_only=True)


class Runner:
    """Runs one server's publications and corrections, one request at a time."""

    def __init__(self, store: Store, transport: Transport, tell: Tell, settings: RunnerSettings | None = None) -> None:
        self.store = store
        self.transport = transport
        self.tell = tell
        self.settings = settings or RunnerSettings()

    # --- publishing ---------------------------------------------------------------------------

    async def publish(
        self, publication: PublicationRow, row: DestinationRow, *, lease: HeldLease | None = None
    ) -> Outcome:
        """Post an essay to a destination, resuming its stored plan; ``Deferred`` when Discord keeps failing,
        ``LeaseLost`` when ``lease`` (this process's claim on the publication) was lost before a step."""
        store = self.store
        essay_row = await store.get_essay_by_id(publication.essay_id)
        if essay_row is None:
            await store.stop_publication(publication.id, "the essay was deleted")
            return "stopped"
        essay = essay_row.essay
        analysis = await store.load_analysis(essay_row.id)
        try:
            destination = plan_destination(row)
            plan = plan_publication(essay, analysis, destination)
        except (PlanError, ValueError) as exc:
            run = Run(publication, row, essay.title, {}, lease=lease)
            return await self._stop_publication(run, f"the plan is invalid: {exc}")
        if lease is not None:
            await lease.check()
        stored = await store.get_steps(publication.id)
        if stored and not same_shape(plan, stored):
            if any(step.state != "pending" for step in stored):
                run = Run(publication, row, essay.title, {}, lease=lease)
                return await self._stop_publication(
                    run, "the essay's sections changed while it was being posted; re-post it"
                )
            await store.forget_steps(publication.id)
            stored = []
        if not stored and publication.revision != essay_row.revision:
            # Nothing posted yet: post the current revision, no correction needed later.
            await store.mark_publication_revision(publication.id, essay_row.revision)
        stored = await store.ensure_steps(publication.id, planned_steps(plan))
        run = PublicationRun(
            publication,
            row,
            essay.title,
            results_of(stored),
            destination=destination,
            essay=essay,
            analysis=analysis,
            lease=lease,
        )
        try:
            outcome = await self._run_plan(run, plan, stored)
        except Deferred:
            # The done steps stay done: a later round would not know to look for late posts.
            await self._remove_late_posts(run)
            raise
        if outcome == "done":
            await run.check_lease()
            posted = await store.get_steps(publication.id)
            layout = initial_layout(essay, analysis, destination, posted)
            await store.finish_publication(publication.id, snapshot=layout_json(layout))
            logger.info("published essay %s to channel %s", essay.key, row.channel_id)
        await self._remove_late_posts(run)
        return outcome

    async def _run_plan(self, run: PublicationRun, plan: list[Step], stored: list[StepRow]) -> Outcome:
        """Run the steps not done yet, in order, until one does not finish."""
        rows = {step.seq: step for step in stored}
        for step in remaining(plan, stored):
            outcome = await self._run_step(run, step, rows[step.seq])
            if outcome != "done":
                return outcome
        return "done"

    async def _run_step(self, run: PublicationRun, step: Step, stored: StepRow) -> Outcome:
        request = build_request(step, run.essay, run.analysis, run.destination, run.results)
        body = request_body(step, request.json, stored.nonce)
        # "attempted" from an earlier run: the request may have gone through before the crash.
        unknown = stored.state == "attempted"
        attempted_at = stored.attempted_at
        # Forum post attempts whose outcome is unknown and that no recovery has found yet.
        open_attempts = 1 if unknown and step.action == "forum_post" else 0
        first_open: datetime | None = attempted_at if open_attempts else None
        abandoned_at: datetime = attempted_at or self.settings.clock()

        def settle_later() -> None:
            # An open attempt may still land after this step is done: look for it at the end.
            if open_attempts > 0 and body is not None:
                run.unsettled.append(UnsettledPost(step, body, first_open, abandoned_at))

        retries = 0
        while True:
            await run.check_lease()
            try:
                if unknown:
                    found = await self._recover(run, step, request, body, stored.nonce, attempted_at)
                    if found is not None:
                        open_attempts -= 1
                        await self._record(run, step, found)
                        settle_later()
                        return "done"
                await self.store.mark_step_attempted(run.publication.id, step.seq)
                attempted_at = self.settings.clock()
                self._hook(step, "attempted")
                operation = PUBLICATION_OPERATIONS[step.action]
                data = await send(self.transport, operation, request.channel_id, request.message_id, body)
                result = result_from_response(step, request, data, run.results)
                self._hook(step, "sent")
                await self._record(run, step, result)
                self._hook(step, "recorded")
                settle_later()
                return "done"
            except TransportError as exc:
                if exc.rate_limited:
                    await self._wait_out(exc, request)
                    continue
                if not exc.no_answer:
                    decision = decide(step.action, exc.status, exc.code)
                    if decision == "done":
                        await self._record(run, step, _already_done(step, request, run.results))
                        return "done"
                    if decision != "retry":
                        missing = self.transport.missing_permissions(
                            request.channel_id, required_permissions(step.action)
                        )
                        reason = problem_text(step.action, exc.status, exc.code, missing)
                        if decision == "stop_destination":
                            return await self._refused(run, request, exc, reason)
                        return await self._stop_publication(run, reason)
                # Discord may have acted before failing; only a forum post has no other guard (nonces,
                # "already exists" errors and idempotent edits cover the rest).
                unknown = step.action == "forum_post"
                if unknown and (exc.no_answer or exc.server_error):
                    open_attempts += 1
                    first_open = first_open or attempted_at
                    abandoned_at = self.settings.clock()
                retries = await self._wait_before_retry(retries, exc)

    async def _record(self, run: Run, step: Step, result: StepResult) -> None:
        await self.store.mark_step_done(
            run.publication.id,
            step.seq,
            channel_id=result.channel_id,
            message_id=result.message_id,
            thread_id=result.thread_id,
        )
        run.results[step.seq] = result

    def _hook(self, step: Step, phase: str) -> None:
        if self.settings.step_hook is not None:
            self.settings.step_hook(step, phase)

    async def _wait_out(self, exc: TransportError, request: Request) -> None:
        # Only raised when the client caps rate-limit waits: wait it out here, in this server's task.
        delay = exc.retry_after or 0.0
        logger.warning("rate limited for %.1f s on %s", delay, request.path)
        await self.settings.sleep(delay)

    async def _wait_before_retry(self, retries: int, exc: TransportError) -> int:
        if retries >= self.settings.max_retries:
            raise Deferred(str(exc)) from exc
        delay = backoff(retries, base=self.settings.retry_base, cap=self.settings.retry_cap)
        logger.warning("Discord request failed (%s); retrying in %.1f s", exc, delay)
        await self.settings.sleep(delay)
        return retries + 1

    # --- recovery -------------------------------------------------------------------------------

    async def _recover(
        self, run: Run, step: Step, request: Request, body: Json | None, nonce: str, attempted_at: datetime | None
    ) -> StepResult | None:
        """Find what an attempt whose outcome is unknown created, if anything."""
        if body is None or step.action not in RECOVERABLE:
            # Thread starts, crossposts and edits are safe to repeat (see decide()).
            return None
        taken = frozenset(
            value for result in run.results.values() for value in (result.message_id, result.thread_id) if value
        )
        min_id = earliest_id(attempted_at)
        bot_id = self.transport.bot_id
        if step.action == "forum_post":
            threads = await self.transport.active_threads(run.row.guild_id)
            for thread_id in find_forum_post(
                body, threads, forum_id=run.row.channel_id, bot_id=bot_id, min_id=min_id, taken=taken
            ):
                if await self._starter_matches(thread_id, body, bot_id):
                    logger.info("step %s: found forum post %s from before the restart", step.seq, thread_id)
                    return StepResult(message_id=thread_id, thread_id=thread_id, channel_id=request.channel_id)
            return None
        messages = await self.transport.recent_messages(request.channel_id, RECENT_MESSAGES)
        found = find_message(body, messages, bot_id=bot_id, nonce=nonce, min_id=min_id, taken=taken)
        if found is None:
            return None
        logger.info("step %s: found message %s from before the restart", step.seq, found)
        return StepResult(message_id=found, channel_id=request.channel_id)

    async def _starter_matches(self, thread_id: int, body: Mapping[str, Any], bot_id: int) -> bool:
        """Whether a forum post's starter message is the one ``body`` (a forum post request) sends."""
        try:
            starter = await self.transport.get_message(thread_id, thread_id)
        except TransportError as exc:
            if exc.status == 404:
                return False
            raise
        return message_matches(body.get("message") or {}, starter, bot_id=bot_id, nonce="")

    async def _remove_late_posts(self, run: PublicationRun) -> None:
        """Delete the second posts that abandoned forum post attempts made by landing late.

        Best effort, once the attempts have had ``forum_settle`` seconds to land: one listing of
        the active threads, then for each candidate its starter message and a delete. A post is a
        duplicate when it matches the step's post (forum, owner, name, starter message, not older
        than the first open attempt) and no publication recorded it: this server's publications
        run one at a time, so no other post of this bot is being made in the forum meanwhile.
        """
        if not run.unsettled:
            return
        wait = settle_wait(run.unsettled, self.settings.forum_settle, self.settings.clock())
        if wait > 0:
            await self.settings.sleep(wait)
        row = run.row
        try:
            threads = await self.transport.active_threads(row.guild_id)
            steps = await self.store.get_steps(run.publication.id)
            recorded = frozenset(s.thread_id for s in steps if s.thread_id is not None)
            bot_id = self.transport.bot_id
            for post in run.unsettled:
                for thread_id in find_forum_post(
                    post.body,
                    threads,
                    forum_id=row.channel_id,
                    bot_id=bot_id,
                    min_id=earliest_id(post.first_attempt),
                    taken=recorded,
                ):
                    if await self.store.thread_section(thread_id) is not None:
                        continue  # another publication's post
                    if await self._starter_matches(thread_id, post.body, bot_id):
                        # Only while this process holds the publication: a new holder may be making a post.
                        await run.check_lease()
                        await self._delete_duplicate(run, thread_id)
        except TransportError as exc:
            logger.warning("could not look for a late duplicate forum post in %s: %s", row.channel_id, exc)

    async def _delete_duplicate(self, run: Run, thread_id: int) -> None:
        try:
            await self.transport.delete_thread(thread_id, reason="duplicate of a post a retry made")
        except TransportError as exc:
            if exc.status == 403:
                # Deleting a thread needs Manage Threads, which the bot need not have: ask a moderator.
                message = duplicate_post_message(run.title, run.channel, f"<#{thread_id}>")
                await self.tell(run.row.guild_id, message)
                return
            if exc.status == 404:
                return  # someone deleted it already
            raise
        logger.info("deleted forum post %s: a late duplicate of a retried post", thread_id)

    # --- refusals -------------------------------------------------------------------------------

    async def _refused(self, run: Run, request: Request, exc: TransportError, reason: str) -> Outcome:
        """A refusal that would stop the destination; first rule out the two cases a stop gets wrong.

        The bot removed from the server: its requests fail with Missing Access before the gateway's
        GUILD_DELETE may have arrived, and a stop would outlive a re-invite. A thread or message
        of this publication deleted while the channel remains: resuming cannot bring it back, so
        only this publication stops and the destination keeps taking later essays.
        """
        row = run.row
        if exc.code == MISSING_ACCESS and not await self._still_in_guild(row.guild_id):
            await self.store.set_guild_removed(row.guild_id, True)
            logger.info("removed from guild %s while publishing; its publications wait", row.guild_id)
            return "deferred"
        in_thread = request.channel_id != row.channel_id
        part_gone = exc.code == UNKNOWN_MESSAGE or (exc.code == UNKNOWN_CHANNEL and in_thread)
        if part_gone and await self._channel_exists(row.channel_id):
            await self.store.stop_publication(run.publication.id, reason)
            logger.warning("publication %s stopped: %s", run.publication.id, reason)
            await self.tell(row.guild_id, gone_message(run.title, run.channel, reason))
            return "stopped"
        return await self._stop_destination(run, reason)

    async def _still_in_guild(self, guild_id: int) -> bool:
        """Ask Discord (not the cache, which may lag) whether the bot is still a member of the server."""
        try:
            await self.transport.active_threads(guild_id)
        except TransportError as exc:
            # Unknown (a timeout, a server error): fall back to stopping, which a moderator can undo.
            return exc.status not in (403, 404)
        return True

    async def _channel_exists(self, channel_id: int) -> bool:
        try:
            await self.transport.get_channel(channel_id)
        except TransportError as exc:
            return exc.status == 403
        return True

    async def _stop_destination(self, run: Run, reason: str) -> Outcome:
        """Discord refused for a reason a moderator must fix: stop this destination, keep the plan."""
        await run.check_lease()
        await self.store.stop_destination(run.row.id, reason)
        await self.store.stop_publication(run.publication.id, reason)
        logger.warning("destination %s stopped: %s", run.row.channel_id, reason)
        await self.tell(run.row.guild_id, stop_message(run.title, run.channel, reason))
        return "stopped"

    async def _stop_publication(self, run: Run, reason: str) -> Outcome:
        await run.check_lease()
        await self.store.stop_publication(run.publication.id, reason)
        logger.warning("publication %s stopped: %s", run.publication.id, reason)
        await self.tell(run.row.guild_id, stop_message(run.title, run.channel, reason))
        return "stopped"

    # --- corrections ----------------------------------------------------------------------------

    async def correct(
        self, publication: PublicationRow, row: DestinationRow, *, lease: HeldLease | None = None
    ) -> Outcome:
        """Bring a posted essay in step with its revision: run the stored correction plan, or plan one.

        The plan is stored before its first request and each step is recorded like a publishing
        step, so a restart resumes it without posting a notice (or anything else) twice. ``lease``
        is checked before each step as in ``publish``.
        """
        store = self.store
        if lease is not None:
            await lease.check()
        essay_row = await store.get_essay_by_id(publication.essay_id)
        if essay_row is None:
            return "stopped"
        destination = plan_destination(row)
        stored = await store.get_correction(publication.id)
        if stored is not None:
            revision, raw = stored
            try:
                plan = plan_from_json(raw)
            except CorrectionError as exc:
                logger.warning("publication %s: %s; planning the correction afresh", publication.id, exc)
                stored = None
        if stored is None:
            essay, analysis = essay_row.essay, await store.load_analysis(essay_row.id)
            layout = layout_from_json(await store.publication_snapshot(publication.id))
            if layout is None:
                layout = legacy_layout(essay, analysis, destination, await store.get_steps(publication.id))
            revision = essay_row.revision
            try:
                plan = plan_correction(layout, essay, analysis, destination, self.settings.clock())
            except CorrectionError as exc:
                # A payload Discord would refuse: keep what is shown rather than send it.
                logger.warning("publication %s: the correction cannot be planned: %s", publication.id, exc)
                plan = CorrectionPlan((), layout)
            if not plan.empty:
                nonces = [PlannedStep(s.seq, s.action, s.slot, s.chunk, new_nonce()) for s in plan.steps]
                await store.start_correction(publication.id, revision, plan_json(plan), nonces)
        rows = {step.seq: step for step in await store.get_correction_steps(publication.id)}
        run = Run(publication, row, essay_row.essay.title, results_of(list(rows.values())), lease=lease)
        for step in plan.steps:
            current = rows.get(step.seq)
            if current is None or current.state == "done":
                continue
            outcome = await self._run_correction_step(run, step, current)
            if outcome != "done":
                return outcome
        await run.check_lease()
        layout = finished_layout(plan, run.results)
        sections = section_map(layout, await store.load_analysis(essay_row.id))
        threads = [(s.slot, sections.get(s.slot), s.thread) for s in layout.slots if s.thread is not None]
        await store.finish_correction(
            publication.id, revision, snapshot=layout_json(layout), notice_due_at=plan.due, threads=threads
        )
        if plan.steps:
            logger.info(
                "corrected essay %s in channel %s (revision %s, %d requests)",
                essay_row.essay.key,
                row.channel_id,
                revision,
                len(plan.steps),
            )
        return "done"

    async def _run_correction_step(self, run: Run, step: CorrectionStep, stored: StepRow) -> Outcome:
        try:
            request = build_correction_request(step, run.results)
        except CorrectionError as exc:
            # What it builds on is gone (a deleted anchor, a refused post): nothing to do there.
            logger.warning("publication %s: correction step %s skipped: %s", run.publication.id, step.seq, exc)
            return await self._record_correction(run, step, StepResult())
        if request.json is not None and step.action in CORRECTION_MESSAGES:
            request = replace(request, json={**request.json, "nonce": stored.nonce, "enforce_nonce": True})
        unknown = stored.state == "attempted"
        attempted_at = stored.attempted_at
        retries = 0
        unarchived = False
        while True:
            await run.check_lease()
            try:
                if unknown:
                    found = await self._recover_correction(run, step, request, stored.nonce, attempted_at)
                    if found is not None:
                        return await self._record_correction(run, step, found)
                await self.store.mark_correction_step_attempted(run.publication.id, step.seq)
                attempted_at = self.settings.clock()
                unknown = step.action in CORRECTION_MESSAGES or step.action == "forum_post"
                self._correction_hook(step, "attempted")
                operation = CORRECTION_OPERATIONS[step.action]
                data = await send(self.transport, operation, request.channel_id, request.message_id, request.json)
                result = result_of(step, request, data, run.results)
                self._correction_hook(step, "sent")
                await self._record_correction(run, step, result)
                self._correction_hook(step, "recorded")
                return "done"
            except TransportError as exc:
                if exc.rate_limited:
                    await self._wait_out(exc, request)
                    continue
                if exc.no_answer:
                    retries = await self._wait_before_retry(retries, exc)
                    continue
                # A server error may come after Discord acted: a forum post (no nonce) is looked for first.
                unknown = exc.server_error and step.action == "forum_post"
                in_thread = request.channel_id != run.row.channel_id
                if exc.code == THREAD_ARCHIVED and in_thread and not unarchived:
                    # Discord refuses edits in an archived thread: reopen it (a locked one stays as it is).
                    unarchived = True
                    if await self._unarchive(request.channel_id):
                        continue
                    logger.info("correction step %s skipped: thread %s is locked", step.seq, request.channel_id)
                    return await self._record_correction(run, step, StepResult())
                if step.action == "thread" and exc.code == THREAD_ALREADY_EXISTS:
                    return await self._record_correction(run, step, result_of(step, request, None, run.results))
                gone = exc.status == 404 or exc.code in (UNKNOWN_MESSAGE, UNKNOWN_CHANNEL)
                if (
                    gone
                    and step.action not in ("anchor", "forum_post")
                    and await self._channel_exists(run.row.channel_id)
                ):
                    # The message or thread was deleted since: nothing left to correct there.
                    logger.info("correction target %s is gone; skipped", request.path)
                    return await self._record_correction(run, step, StepResult())
                decision = decide(step.action, exc.status, exc.code)
                if decision == "retry":
                    retries = await self._wait_before_retry(retries, exc)
                    continue
                if decision == "stop_destination":
                    reason = problem_text("card_links", exc.status, exc.code)
                    # The publication stays done and the plan stays stored: resuming the
                    # destination finishes the correction.
                    await self.store.stop_destination(run.row.id, reason)
                    await self.tell(run.row.guild_id, stop_message(run.title, run.channel, reason))
                    return "stopped"
                logger.warning("correction step %s (%s) refused: %s", step.seq, request.path, exc)
                return await self._record_correction(run, step, StepResult())

    async def _record_correction(self, run: Run, step: CorrectionStep, result: StepResult) -> Outcome:
        await self.store.mark_correction_step_done(
            run.publication.id,
            step.seq,
            channel_id=result.channel_id,
            message_id=result.message_id,
            thread_id=result.thread_id,
        )
        run.results[step.seq] = result
        return "done"

    async def _unarchive(self, thread_id: int) -> bool:
        try:
            await self.transport.edit_thread(thread_id, {"archived": False})
        except TransportError as exc:
            if exc.no_answer or exc.rate_limited:
                raise
            logger.info("could not reopen thread %s: %s", thread_id, exc)
            return False
        return True

    async def _recover_correction(
        self, run: Run, step: CorrectionStep, request: Request, nonce: str, attempted_at: datetime | None
    ) -> StepResult | None:
        """What an attempt whose outcome is unknown created, if anything (messages and forum posts)."""
        kinds = {"anchor": "anchor", "forum_post": "forum_post"}
        action = kinds.get(step.action, "thread_text" if step.action in CORRECTION_MESSAGES else None)
        if action is None:
            return None  # edits, deletes, renames and thread starts are safe to repeat
        as_step = Step(step.seq, action, step.slot, step.chunk, step.payload or {})  # type: ignore[arg-type]
        found = await self._recover(run, as_step, request, request.json, nonce, attempted_at)
        if found is not None and step.action == "forum_post":
            found = StepResult(message_id=found.thread_id, thread_id=found.thread_id, channel_id=found.channel_id)
        return found

    def _correction_hook(self, step: CorrectionStep, phase: str) -> None:
        if self.settings.correction_hook is not None:
            self.settings.correction_hook(step, phase)


def _already_done(step: Step, request: Request, results: dict[int, StepResult]) -> StepResult:
    """The result of a step Discord says was already done ("thread already exists", "already crossposted")."""
    referenced = results.get(step.ref) if step.ref is not None else None
    message = referenced.message_id if referenced else None
    if step.action in THREAD_ACTIONS:
        # A thread started from a message has that message's id.
        return StepResult(message_id=message, thread_id=message, channel_id=request.channel_id)
    return StepResult(message_id=message, channel_id=request.channel_id)
