"""The publisher: polls feeds, posts each new essay to its destinations exactly once, corrects
revised essays, and counts members' messages in section threads (un-counting deleted ones).

Everything runs in background tasks, so commands are answered while a feed is slow or Discord
makes the bot wait: one poll loop, one publish loop, and one task per server that runs that
server's publications one request at a time. The plan of each publication is durable
(``publication_steps``): a step is marked attempted before its request and done after it, so a
restart resumes where the last run stopped without posting anything twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Literal

import aiohttp
import discord
from discord.ext import commands
from discord.http import Route

from bot.activity import is_member_message
from bot.client import Marginalia
from bot.essays.model import Analysis, Essay
from bot.poller import PollReport, PollSettings, poll_due_feeds
from bot.publishing.corrections import (
    MESSAGE_ACTIONS as CORRECTION_MESSAGES,
)
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
    MISSING_ACCESS,
    RECENT_MESSAGES,
    THREAD_ACTIONS,
    THREAD_ALREADY_EXISTS,
    THREAD_ARCHIVED,
    UNKNOWN_CHANNEL,
    UNKNOWN_MESSAGE,
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
from bot.publishing.plan import (
    Destination,
    PlanError,
    Request,
    Step,
    StepResult,
    build_request,
    plan_publication,
)
from bot.publishing.render import escape_markdown
from bot.store.publishing import DestinationRow, PlannedStep, PublicationRow, StepRow

logger = logging.getLogger(__name__)

Outcome = Literal["done", "stopped", "deferred"]
# Called after a step's request succeeded: phase "sent" before it is recorded, "recorded" after.
StepHook = Callable[[Step, str], None]
CorrectionHook = Callable[[CorrectionStep, str], None]
TRANSIENT = (TimeoutError, aiohttp.ClientError, OSError)


class Deferred(Exception):
    """Discord kept failing (5xx, timeouts): leave the work pending for the next round."""


class Publisher(commands.Cog):
    """Background polling, publishing, corrections and thread activity."""

    def __init__(self, bot: Marginalia) -> None:
        self.bot = bot
        # Timings are attributes so tests can make them short.
        self.poll_every = 30.0
        self.publish_tick = 60.0
        self.retry_base = 1.0
        self.retry_cap = 60.0
        self.max_retries = 5
        # discord.py leaves a request to aiohttp's 5-minute default; a hung request would hold up
        # the server's whole queue that long. Retrying is safe: see _run_step.
        self.request_timeout = 30.0
        # How long a forum post attempt given up on may still land on Discord: the publication
        # looks for a second post this long after the attempt (see _remove_late_posts).
        self.forum_settle = 30.0
        self.step_hook: StepHook | None = None
        self.correction_hook: CorrectionHook | None = None
        self._loops: list[asyncio.Task[None]] = []
        self._guild_tasks: dict[int, asyncio.Task[None]] = {}
        # Servers with work queued since their task last looked.
        self._dirty: set[int] = set()

    # --- lifecycle ------------------------------------------------------------------------------

    async def cog_load(self) -> None:
        self._loops = [
            asyncio.create_task(self._poll_loop(), name="marginalia-poll"),
            asyncio.create_task(self._publish_loop(), name="marginalia-publish"),
        ]

    async def cog_unload(self) -> None:
        tasks = [*self._loops, *self._guild_tasks.values()]
        for task in tasks:
            task.cancel()
        # A task that died of a crash (a BaseException) must not stop the others from ending.
        await asyncio.gather(*tasks, return_exceptions=True)
        self._loops.clear()
        self._guild_tasks.clear()

    # --- polling --------------------------------------------------------------------------------

    async def _poll_loop(self) -> None:
        await self.bot.wait_until_ready()
        while True:
            self.bot.feeds_changed.clear()
            try:
                await self.poll_once()
            except Exception:
                logger.exception("feed polling failed; trying again next round")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_every):
                    await self.bot.feeds_changed.wait()

    async def poll_once(self) -> list[PollReport]:
        """Poll the feeds that are due, tell the moderators what the poller reports, wake publishing."""
        settings = self.bot.settings
        poll_settings = PollSettings(
            poll_interval=settings.poll_interval,
            first_poll_posts=settings.first_poll_posts,
            max_sections=settings.max_sections,
        )
        reports = await poll_due_feeds(self.bot.store, self.bot.fetcher, settings=poll_settings)
        removed = await self.bot.store.removed_guilds()
        for report in reports:
            for guild_id in report.guild_ids:
                message = report.message_for(guild_id)
                if message and guild_id not in removed:
                    # Plain sentences holding feed names and titles: shown literally.
                    await self.bot.tell_moderators(guild_id, escape_markdown(message))
            if report.queued or report.revised:
                self.bot.publications_queued.set()
        return reports

    # --- scheduling -----------------------------------------------------------------------------

    async def _publish_loop(self) -> None:
        await self.bot.wait_until_ready()
        # Work left by the last run (a crash, a restart) starts now, not a whole tick later.
        self.bot.publications_queued.set()
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.publish_tick):
                    await self.bot.publications_queued.wait()
            self.bot.publications_queued.clear()
            try:
                await self.schedule()
            except Exception:
                logger.exception("could not read the publishing queue; trying again next round")

    async def schedule(self) -> None:
        """Start (or nudge) one task per server that has publications or corrections due."""
        work = [*await self.bot.store.publishable(), *await self.bot.store.publishable(stale=True)]
        for guild_id in sorted({destination.guild_id for _, destination in work}):
            self._dirty.add(guild_id)
            task = self._guild_tasks.get(guild_id)
            if task is None or task.done():
                self._guild_tasks[guild_id] = asyncio.create_task(
                    self._run_guild(guild_id), name=f"marginalia-publish-{guild_id}"
                )

    async def drain(self) -> None:
        """Schedule the due work and wait until every server's task has finished (tests, CLI)."""
        await self.schedule()
        while True:
            running = [task for task in self._guild_tasks.values() if not task.done()]
            if not running:
                return
            await asyncio.gather(*running, return_exceptions=True)

    async def _run_guild(self, guild_id: int) -> None:
        # Loops while new work arrives for this server, so nothing queued meanwhile waits a tick.
        while guild_id in self._dirty:
            self._dirty.discard(guild_id)
            if guild_id in await self.bot.store.removed_guilds():
                return
            try:
                await self._guild_round(guild_id)
            except Deferred:
                logger.warning("publishing in guild %s deferred: Discord keeps failing", guild_id)
                return

    async def _guild_round(self, guild_id: int) -> None:
        stopped: set[int] = set()
        for stale in (False, True):
            for publication, destination in await self.bot.store.publishable(stale=stale):
                if destination.guild_id != guild_id or destination.id in stopped:
                    continue
                if guild_id in await self.bot.store.removed_guilds():
                    return
                try:
                    if stale:
                        outcome = await self._correct(publication, destination)
                    else:
                        outcome = await self._publish(publication, destination)
                except (Deferred, asyncio.CancelledError):
                    raise
                except Exception:
                    logger.exception("publication %s failed unexpectedly; it stays queued", publication.id)
                    continue
                if outcome == "stopped" and await self._destination_stopped(destination.id):
                    stopped.add(destination.id)

    async def _destination_stopped(self, destination_id: int) -> bool:
        # A stopped publication leaves its destination open for the next essays in this round.
        current = await self.bot.store.get_destination(destination_id)
        return current is None or current.stopped_reason is not None

    # --- publishing -----------------------------------------------------------------------------

    async def _publish(self, publication: PublicationRow, row: DestinationRow) -> Outcome:
        store = self.bot.store
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
            return await self._stop_publication(publication, row, essay.title, f"the plan is invalid: {exc}")
        stored = await store.get_steps(publication.id)
        if stored and not same_shape(plan, stored):
            if any(step.state != "pending" for step in stored):
                reason = "the essay's sections changed while it was being posted; re-post it"
                return await self._stop_publication(publication, row, essay.title, reason)
            await store.forget_steps(publication.id)
            stored = []
        if not stored and publication.revision != essay_row.revision:
            # Nothing posted yet: post the current revision, no correction needed later.
            await store.mark_publication_revision(publication.id, essay_row.revision)
        stored = await store.ensure_steps(publication.id, planned_steps(plan))
        unsettled: list[UnsettledPost] = []
        try:
            outcome = await self._run_plan(publication, row, destination, essay, analysis, plan, stored, unsettled)
        except Deferred:
            # The done steps stay done: a later round would not know to look for late posts.
            await self._remove_late_posts(publication, row, essay.title, unsettled)
            raise
        if outcome == "done":
            posted = await store.get_steps(publication.id)
            layout = initial_layout(essay, analysis, destination, posted)
            await store.finish_publication(publication.id, snapshot=layout_json(layout))
            logger.info("published essay %s to channel %s", essay.key, row.channel_id)
        await self._remove_late_posts(publication, row, essay.title, unsettled)
        return outcome

    async def _run_plan(
        self,
        publication: PublicationRow,
        row: DestinationRow,
        destination: Destination,
        essay: Essay,
        analysis: Analysis,
        plan: list[Step],
        stored: list[StepRow],
        unsettled: list[UnsettledPost],
    ) -> Outcome:
        """Run the steps not done yet, in order, until one does not finish."""
        rows = {step.seq: step for step in stored}
        results = results_of(stored)
        for step in remaining(plan, stored):
            outcome = await self._run_step(
                publication, row, destination, essay, analysis, step, rows[step.seq], results, unsettled
            )
            if outcome != "done":
                return outcome
        return "done"

    async def _run_step(
        self,
        publication: PublicationRow,
        row: DestinationRow,
        destination: Destination,
        essay: Essay,
        analysis: Analysis,
        step: Step,
        stored: StepRow,
        results: dict[int, StepResult],
        unsettled: list[UnsettledPost],
    ) -> Outcome:
        request = build_request(step, essay, analysis, destination, results)
        body = request_body(step, request.json, stored.nonce)
        # "attempted" from an earlier run: the request may have gone through before the crash.
        unknown = stored.state == "attempted"
        attempted_at = stored.attempted_at
        # Forum post attempts whose outcome is unknown and that no recovery has found yet.
        open_attempts = 1 if unknown and step.action == "forum_post" else 0
        first_open: datetime | None = attempted_at if open_attempts else None
        abandoned_at: datetime = attempted_at or discord.utils.utcnow()

        def settle_later() -> None:
            # An open attempt may still land after this step is done: look for it at the end.
            if open_attempts > 0 and body is not None:
                unsettled.append(UnsettledPost(step, body, first_open, abandoned_at))

        retries = 0
        while True:
            try:
                if unknown:
                    found = await self._recover(step, request, body, stored.nonce, attempted_at, row, results)
                    if found is not None:
                        open_attempts -= 1
                        await self._record(publication, step, found, results)
                        settle_later()
                        return "done"
                await self.bot.store.mark_step_attempted(publication.id, step.seq)
                attempted_at = discord.utils.utcnow()
                data = await self._send(request, body)
                result = result_from_response(step, request, data, results)
                self._hook(step, "sent")
                await self._record(publication, step, result, results)
                self._hook(step, "recorded")
                settle_later()
                return "done"
            except discord.RateLimited as exc:
                # Only raised when the client caps rate-limit waits: wait it out here, in this server's task.
                logger.warning("rate limited for %.1f s on %s", exc.retry_after, request.path)
                await asyncio.sleep(exc.retry_after)
            except discord.HTTPException as exc:
                decision = decide(step.action, exc.status, exc.code)
                if decision == "done":
                    await self._record(publication, step, _already_done(step, request, results), results)
                    return "done"
                if decision != "retry":
                    reason = problem_text(step.action, exc.status, exc.code, self._missing(step, request))
                    if decision == "stop_destination":
                        return await self._refused(publication, row, essay.title, request, exc, reason)
                    return await self._stop_publication(publication, row, essay.title, reason)
                # Discord may have acted before failing; only a forum post has no other guard (nonces,
                # "already exists" errors and idempotent edits cover the rest).
                unknown = step.action == "forum_post"
                if unknown and exc.status >= 500:
                    open_attempts += 1
                    first_open = first_open or attempted_at
                    abandoned_at = discord.utils.utcnow()
                retries = await self._wait_before_retry(retries, exc)
            except TRANSIENT as exc:
                unknown = step.action == "forum_post"
                if unknown:
                    open_attempts += 1
                    first_open = first_open or attempted_at
                    abandoned_at = discord.utils.utcnow()
                retries = await self._wait_before_retry(retries, exc)

    async def _wait_before_retry(self, retries: int, exc: BaseException) -> int:
        if retries >= self.max_retries:
            raise Deferred(str(exc)) from exc
        delay = backoff(retries, base=self.retry_base, cap=self.retry_cap)
        logger.warning("Discord request failed (%s); retrying in %.1f s", exc, delay)
        await asyncio.sleep(delay)
        return retries + 1

    def _hook(self, step: Step, phase: str) -> None:
        if self.step_hook is not None:
            self.step_hook(step, phase)

    async def _record(
        self, publication: PublicationRow, step: Step, result: StepResult, results: dict[int, StepResult]
    ) -> None:
        await self.bot.store.mark_step_done(
            publication.id,
            step.seq,
            channel_id=result.channel_id,
            message_id=result.message_id,
            thread_id=result.thread_id,
        )
        results[step.seq] = result

    async def _send(self, request: Request, body: dict[str, Any] | None) -> Any:
        route = Route(request.method, request.path, channel_id=request.channel_id)
        timeout = aiohttp.ClientTimeout(total=self.request_timeout)
        if body is None:
            return await self.bot.http.request(route, timeout=timeout)
        return await self.bot.http.request(route, json=body, timeout=timeout)

    def _bot_id(self) -> int:
        user = self.bot.user
        if user is None:
            raise RuntimeError("the bot is not logged in")
        return user.id

    async def _recover(
        self,
        step: Step,
        request: Request,
        body: dict[str, Any] | None,
        nonce: str,
        attempted_at: Any,
        row: DestinationRow,
        results: Mapping[int, StepResult],
    ) -> StepResult | None:
        """Find what an attempt whose outcome is unknown created, if anything."""
        if body is None or step.action not in ("card", "anchor", "thread_text", "forum_text", "forum_post"):
            # Thread starts, crossposts and edits are safe to repeat (see decide()).
            return None
        taken = frozenset(
            value for result in results.values() for value in (result.message_id, result.thread_id) if value
        )
        min_id = earliest_id(attempted_at)
        bot_id = self._bot_id()
        if step.action == "forum_post":
            listing = await self.bot.http.request(
                Route("GET", "/guilds/{guild_id}/threads/active", guild_id=row.guild_id)
            )
            threads = listing.get("threads", []) if isinstance(listing, dict) else []
            for thread_id in find_forum_post(
                body, threads, forum_id=row.channel_id, bot_id=bot_id, min_id=min_id, taken=taken
            ):
                if await self._starter_matches(thread_id, body, bot_id):
                    logger.info("step %s: found forum post %s from before the restart", step.seq, thread_id)
                    return StepResult(message_id=thread_id, thread_id=thread_id, channel_id=request.channel_id)
            return None
        messages = await self.bot.http.logs_from(request.channel_id, RECENT_MESSAGES)
        found = find_message(body, [dict(m) for m in messages], bot_id=bot_id, nonce=nonce, min_id=min_id, taken=taken)
        if found is None:
            return None
        logger.info("step %s: found message %s from before the restart", step.seq, found)
        return StepResult(message_id=found, channel_id=request.channel_id)

    async def _starter_matches(self, thread_id: int, body: Mapping[str, Any], bot_id: int) -> bool:
        """Whether a forum post's starter message is the one ``body`` (a forum post request) sends."""
        try:
            starter = await self.bot.http.get_message(thread_id, thread_id)
        except discord.NotFound:
            return False
        return message_matches(body.get("message") or {}, dict(starter), bot_id=bot_id, nonce="")

    async def _remove_late_posts(
        self, publication: PublicationRow, row: DestinationRow, title: str, unsettled: list[UnsettledPost]
    ) -> None:
        """Delete the second posts that abandoned forum post attempts made by landing late.

        Best effort, once the attempts have had ``forum_settle`` seconds to land: one listing of
        the active threads, then for each candidate its starter message and a delete. A post is a
        duplicate when it matches the step's post (forum, owner, name, starter message, not older
        than the first open attempt) and no publication recorded it: this server's publications
        run one at a time, so no other post of this bot is being made in the forum meanwhile.
        """
        if not unsettled:
            return
        wait = settle_wait(unsettled, self.forum_settle, discord.utils.utcnow())
        if wait > 0:
            await asyncio.sleep(wait)
        try:
            listing = await self.bot.http.request(
                Route("GET", "/guilds/{guild_id}/threads/active", guild_id=row.guild_id)
            )
            threads = listing.get("threads", []) if isinstance(listing, dict) else []
            steps = await self.bot.store.get_steps(publication.id)
            recorded = frozenset(s.thread_id for s in steps if s.thread_id is not None)
            bot_id = self._bot_id()
            for post in unsettled:
                for thread_id in find_forum_post(
                    post.body,
                    threads,
                    forum_id=row.channel_id,
                    bot_id=bot_id,
                    min_id=earliest_id(post.first_attempt),
                    taken=recorded,
                ):
                    if await self.bot.store.thread_section(thread_id) is not None:
                        continue  # another publication's post
                    if await self._starter_matches(thread_id, post.body, bot_id):
                        await self._delete_duplicate(row, title, thread_id)
        except (discord.HTTPException, *TRANSIENT) as exc:
            logger.warning("could not look for a late duplicate forum post in %s: %s", row.channel_id, exc)

    async def _delete_duplicate(self, row: DestinationRow, title: str, thread_id: int) -> None:
        try:
            await self.bot.http.delete_channel(thread_id, reason="duplicate of a post a retry made")
        except discord.Forbidden:
            # Deleting a thread needs Manage Threads, which the bot need not have: ask a moderator.
            message = duplicate_post_message(title, f"<#{row.channel_id}>", f"<#{thread_id}>")
            await self.bot.tell_moderators(row.guild_id, message)
            return
        except discord.NotFound:
            return  # someone deleted it already
        logger.info("deleted forum post %s: a late duplicate of a retried post", thread_id)

    def _missing(self, step: Step, request: Request) -> list[str]:
        """The step's required permissions the bot lacks, as far as the cache knows."""
        channel = self.bot.get_channel(request.channel_id)
        if isinstance(channel, discord.Thread):
            channel = channel.parent
        if not isinstance(channel, discord.abc.GuildChannel):
            return []
        permissions = channel.permissions_for(channel.guild.me)
        return [name for name in required_permissions(step.action) if not getattr(permissions, name, True)]

    async def _refused(
        self,
        publication: PublicationRow,
        row: DestinationRow,
        title: str,
        request: Request,
        exc: discord.HTTPException,
        reason: str,
    ) -> Outcome:
        """A refusal that would stop the destination; first rule out the two cases a stop gets wrong.

        The bot removed from the server: its requests fail with Missing Access before the gateway's
        GUILD_DELETE may have arrived, and a stop would outlive a re-invite. A thread or message
        of this publication deleted while the channel remains: resuming cannot bring it back, so
        only this publication stops and the destination keeps taking later essays.
        """
        if exc.code == MISSING_ACCESS and not await self._still_in_guild(row.guild_id):
            await self.bot.store.set_guild_removed(row.guild_id, True)
            logger.info("removed from guild %s while publishing; its publications wait", row.guild_id)
            return "deferred"
        in_thread = request.channel_id != row.channel_id
        part_gone = exc.code == UNKNOWN_MESSAGE or (exc.code == UNKNOWN_CHANNEL and in_thread)
        if part_gone and await self._channel_exists(row.channel_id):
            await self.bot.store.stop_publication(publication.id, reason)
            logger.warning("publication %s stopped: %s", publication.id, reason)
            await self.bot.tell_moderators(row.guild_id, gone_message(title, f"<#{row.channel_id}>", reason))
            return "stopped"
        return await self._stop_destination(publication, row, title, reason)

    async def _still_in_guild(self, guild_id: int) -> bool:
        """Ask Discord (not the cache, which may lag) whether the bot is still a member of the server."""
        try:
            await self.bot.http.request(Route("GET", "/guilds/{guild_id}/threads/active", guild_id=guild_id))
        except (discord.Forbidden, discord.NotFound):
            return False
        except (discord.HTTPException, *TRANSIENT):
            return True  # unknown: fall back to stopping, which a moderator can undo
        return True

    async def _channel_exists(self, channel_id: int) -> bool:
        try:
            await self.bot.http.get_channel(channel_id)
        except discord.Forbidden:
            return True
        except (discord.HTTPException, *TRANSIENT):
            return False
        return True

    async def _stop_destination(
        self, publication: PublicationRow, row: DestinationRow, title: str, reason: str
    ) -> Outcome:
        """Discord refused for a reason a moderator must fix: stop this destination, keep the plan."""
        await self.bot.store.stop_destination(row.id, reason)
        await self.bot.store.stop_publication(publication.id, reason)
        logger.warning("destination %s stopped: %s", row.channel_id, reason)
        await self.bot.tell_moderators(row.guild_id, stop_message(title, f"<#{row.channel_id}>", reason))
        return "stopped"

    async def _stop_publication(
        self, publication: PublicationRow, row: DestinationRow, title: str, reason: str
    ) -> Outcome:
        await self.bot.store.stop_publication(publication.id, reason)
        logger.warning("publication %s stopped: %s", publication.id, reason)
        await self.bot.tell_moderators(row.guild_id, stop_message(title, f"<#{row.channel_id}>", reason))
        return "stopped"

    # --- corrections ----------------------------------------------------------------------------

    async def _correct(self, publication: PublicationRow, row: DestinationRow) -> Outcome:
        """Bring a posted essay in step with its revision: run the stored correction plan, or plan one.

        The plan is stored before its first request and each step is recorded like a publishing
        step, so a restart resumes it without posting a notice (or anything else) twice.
        """
        store = self.bot.store
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
                plan = plan_correction(layout, essay, analysis, destination, discord.utils.utcnow())
            except CorrectionError as exc:
                # A payload Discord would refuse: keep what is shown rather than send it.
                logger.warning("publication %s: the correction cannot be planned: %s", publication.id, exc)
                plan = CorrectionPlan((), layout)
            if not plan.empty:
                nonces = [PlannedStep(s.seq, s.action, s.slot, s.chunk, new_nonce()) for s in plan.steps]
                await store.start_correction(publication.id, revision, plan_json(plan), nonces)
        rows = {step.seq: step for step in await store.get_correction_steps(publication.id)}
        results = results_of(list(rows.values()))
        for step in plan.steps:
            current = rows.get(step.seq)
            if current is None or current.state == "done":
                continue
            outcome = await self._run_correction_step(publication, row, essay_row.essay.title, step, current, results)
            if outcome != "done":
                return outcome
        layout = finished_layout(plan, results)
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

    async def _run_correction_step(
        self,
        publication: PublicationRow,
        row: DestinationRow,
        title: str,
        step: CorrectionStep,
        stored: StepRow,
        results: dict[int, StepResult],
    ) -> Outcome:
        store = self.bot.store

        async def record(result: StepResult) -> Outcome:
            await store.mark_correction_step_done(
                publication.id,
                step.seq,
                channel_id=result.channel_id,
                message_id=result.message_id,
                thread_id=result.thread_id,
            )
            results[step.seq] = result
            return "done"

        try:
            request = build_correction_request(step, results)
        except CorrectionError as exc:
            # What it builds on is gone (a deleted anchor, a refused post): nothing to do there.
            logger.warning("publication %s: correction step %s skipped: %s", publication.id, step.seq, exc)
            return await record(StepResult())
        body = request.json
        if body is not None and step.action in CORRECTION_MESSAGES:
            body = {**body, "nonce": stored.nonce, "enforce_nonce": True}
        unknown = stored.state == "attempted"
        attempted_at = stored.attempted_at
        sendable = Request(request.method, request.path, request.channel_id, body)
        retries = 0
        unarchived = False
        while True:
            try:
                if unknown:
                    found = await self._recover_correction(step, sendable, stored.nonce, attempted_at, row, results)
                    if found is not None:
                        return await record(found)
                await store.mark_correction_step_attempted(publication.id, step.seq)
                attempted_at = discord.utils.utcnow()
                unknown = step.action in CORRECTION_MESSAGES or step.action == "forum_post"
                data = await self._send(sendable, body)
                result = result_of(step, request, data, results)
                self._correction_step_hook(step, "sent")
                await record(result)
                self._correction_step_hook(step, "recorded")
                return "done"
            except discord.RateLimited as exc:
                logger.warning("rate limited for %.1f s on %s", exc.retry_after, request.path)
                await asyncio.sleep(exc.retry_after)
            except discord.HTTPException as exc:
                # A server error may come after Discord acted: a forum post (no nonce) is looked for first.
                unknown = exc.status >= 500 and step.action == "forum_post"
                in_thread = request.channel_id != row.channel_id
                if exc.code == THREAD_ARCHIVED and in_thread and not unarchived:
                    # Discord refuses edits in an archived thread: reopen it (a locked one stays as it is).
                    unarchived = True
                    if await self._unarchive(request.channel_id):
                        continue
                    logger.info("correction step %s skipped: thread %s is locked", step.seq, request.channel_id)
                    return await record(StepResult())
                if step.action == "thread" and exc.code == THREAD_ALREADY_EXISTS:
                    return await record(result_of(step, request, None, results))
                gone = exc.status == 404 or exc.code in (UNKNOWN_MESSAGE, UNKNOWN_CHANNEL)
                if gone and step.action not in ("anchor", "forum_post") and await self._channel_exists(row.channel_id):
                    # The message or thread was deleted since: nothing left to correct there.
                    logger.info("correction target %s is gone; skipped", request.path)
                    return await record(StepResult())
                decision = decide(step.action, exc.status, exc.code)
                if decision == "retry":
                    retries = await self._wait_before_retry(retries, exc)
                    continue
                if decision == "stop_destination":
                    reason = problem_text("card_links", exc.status, exc.code)
                    # The publication stays done and the plan stays stored: resuming the
                    # destination finishes the correction.
                    await store.stop_destination(row.id, reason)
                    await self.bot.tell_moderators(row.guild_id, stop_message(title, f"<#{row.channel_id}>", reason))
                    return "stopped"
                logger.warning("correction step %s (%s) refused: %s", step.seq, request.path, exc)
                return await record(StepResult())
            except TRANSIENT as exc:
                retries = await self._wait_before_retry(retries, exc)

    async def _unarchive(self, thread_id: int) -> bool:
        try:
            await self.bot.http.request(
                Route("PATCH", "/channels/{channel_id}", channel_id=thread_id), json={"archived": False}
            )
        except discord.HTTPException as exc:
            logger.info("could not reopen thread %s: %s", thread_id, exc)
            return False
        return True

    async def _recover_correction(
        self,
        step: CorrectionStep,
        request: Request,
        nonce: str,
        attempted_at: datetime | None,
        row: DestinationRow,
        results: Mapping[int, StepResult],
    ) -> StepResult | None:
        """What an attempt whose outcome is unknown created, if anything (messages and forum posts)."""
        kinds = {"anchor": "anchor", "forum_post": "forum_post"}
        action = kinds.get(step.action, "thread_text" if step.action in CORRECTION_MESSAGES else None)
        if action is None:
            return None  # edits, deletes, renames and thread starts are safe to repeat
        as_step = Step(step.seq, action, step.slot, step.chunk, step.payload or {})  # type: ignore[arg-type]
        found = await self._recover(as_step, request, request.json, nonce, attempted_at, row, results)
        if found is not None and step.action == "forum_post":
            found = StepResult(message_id=found.thread_id, thread_id=found.thread_id, channel_id=found.channel_id)
        return found

    def _correction_step_hook(self, step: CorrectionStep, phase: str) -> None:
        if self.correction_hook is not None:
            self.correction_hook(step, phase)

    # --- events ---------------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Count members' messages in section threads; needs no message content, only the event itself."""
        if message.guild is None or not is_member_message(
            author_is_bot=message.author.bot,
            from_webhook=message.webhook_id is not None,
            message_type=message.type.value,
        ):
            return
        if isinstance(message.channel, discord.TextChannel | discord.VoiceChannel | discord.ForumChannel):
            return  # only threads can be section threads
        if await self.bot.store.thread_section(message.channel.id) is None:
            return
        await self.bot.store.record_thread_message(
            message.id, message.channel.id, message.author.id, message.created_at
        )

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        """A deleted message is un-counted (edits change nothing: only MESSAGE_CREATE is counted)."""
        await self._forget(payload.channel_id, [payload.message_id])

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        await self._forget(payload.channel_id, sorted(payload.message_ids))

    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        # A deleted thread takes its messages with it, without a deletion event for each.
        if await self.bot.store.thread_section(payload.thread_id) is not None:
            await self.bot.store.forget_thread(payload.thread_id)

    async def _forget(self, channel_id: int, message_ids: list[int]) -> None:
        if await self.bot.store.thread_section(channel_id) is not None:
            await self.bot.store.forget_thread_messages(channel_id, message_ids)

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        # The server's task is not cancelled: a cancel in the middle of a store write could leave
        # a transaction open. It checks the flag before each publication and, mid-plan, finds
        # the removal from Discord's answers (see _refused).
        await self.bot.store.set_guild_removed(guild.id, True)
        logger.info("removed from guild %s; its publishing is skipped", guild.id)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.bot.store.set_guild_removed(guild.id, False)
        self.bot.publications_queued.set()

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        # Invited back while the bot was offline: READY lists the server again, with no join event.
        if guild.id in await self.bot.store.removed_guilds():
            logger.info("back in guild %s; its publishing resumes", guild.id)
            await self.on_guild_join(guild)


def _already_done(step: Step, request: Request, results: Mapping[int, StepResult]) -> StepResult:
    """The result of a step Discord says was already done ("thread already exists", "already crossposted")."""
    referenced = results.get(step.ref) if step.ref is not None else None
    message = referenced.message_id if referenced else None
    if step.action in THREAD_ACTIONS:
        # A thread started from a message has that message's id.
        return StepResult(message_id=message, thread_id=message, channel_id=request.channel_id)
    return StepResult(message_id=message, channel_id=request.channel_id)


async def setup(bot: Marginalia) -> None:
    await bot.add_cog(Publisher(bot))
