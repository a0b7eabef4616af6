"""The publisher: polls feeds, posts each new essay to its destinations exactly once, corrects
revised essays, and counts members' messages in section threads (un-counting deleted ones).

Everything runs in background tasks, so commands are answered while a feed is slow or Discord
makes the bot wait: one poll loop, one publish loop, and one task per server that runs that
server's publications one request at a time. Running a publication or a correction is
``bot.publishing.runner``'s (durable plans, retries, recovery after a crash), over Discord's REST
API through ``cogs.transport``; this cog schedules it and listens to the gateway.

Several bot processes may share one database: each feed poll and each publication run is claimed
with a lease first (``bot.leases``), so every due feed is polled by one process and every
publication is run by one process at a time, and work a dead process held is taken over once its
lease runs out. With shards (``SHARD_IDS``/``SHARD_COUNT``) a process runs only the publications of
the servers on its shards: the process that is connected to a server posts there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

import discord
from discord.ext import commands

from bot.activity import is_member_message
from bot.client import Marginalia
from bot.leases import HeldLease, LeaseLost, LeaseSettings, Renew
from bot.poller import PollReport, PollSettings, poll_due_feeds
from bot.publishing.render import escape_markdown
from bot.publishing.runner import CorrectionHook, Deferred, Runner, RunnerSettings, StepHook
from bot.store import DestinationRow, PublicationRow, Store
from cogs.transport import DiscordTransport

logger = logging.getLogger(__name__)


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
        # Each request that changes something gives up after this long (see cogs/transport.py).
        self.request_timeout = 30.0
        # How long a forum post attempt given up on may still land (see RunnerSettings).
        self.forum_settle = 30.0
        settings = bot.settings
        self.leases = LeaseSettings(settings.lease_seconds, settings.lease_renew_seconds)
        self.step_hook: StepHook | None = None
        self.correction_hook: CorrectionHook | None = None
        self._loops: list[asyncio.Task[None]] = []
        # One poll round at a time in this process: a round asked for (a command, a test) while the
        # loop's round holds the feeds' claims waits for it instead of finding nothing free.
        self._polling = asyncio.Lock()
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
        async with self._polling:
            reports = await poll_due_feeds(self.bot.store, self.bot.fetcher, settings=poll_settings, leases=self.leases)
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
            # Work a dead process held is free once its lease runs out: look again by then.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(self.publish_tick, self.leases.lease)):
                    await self.bot.publications_queued.wait()
            self.bot.publications_queued.clear()
            try:
                await self.schedule()
            except Exception:
                logger.exception("could not read the publishing queue; trying again next round")

    async def schedule(self) -> None:
        """Start (or nudge) one task per server on this process's shards that has publications or corrections due."""
        work = [*await self.bot.store.publishable(), *await self.bot.store.publishable(stale=True)]
        shards = self.bot.held_shards
        guilds = {destination.guild_id for _, destination in work}
        for guild_id in sorted(g for g in guilds if shards is None or shards.holds(g)):
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
        """Run the server's publications, then its corrections, oldest first, each claimed before it runs."""
        store = self.bot.store
        for stale in (False, True):
            after = 0
            while guild_id not in await store.removed_guilds():
                claimed = await store.claim_publications(
                    limit=1,
                    lease=self.leases.length,
                    shards=self.bot.held_shards,
                    guild_id=guild_id,
                    stale=stale,
                    after=after,
                )
                if not claimed:
                    break
                publication, destination = claimed[0]
                after = publication.id
                try:
                    await self._run_claimed(publication, destination, stale=stale)
                finally:
                    await self._release(store, publication.id)

    async def _run_claimed(self, publication: PublicationRow, destination: DestinationRow, *, stale: bool) -> None:
        renew = _publication_renewal(self.bot.store, publication.id)
        async with HeldLease(f"publication {publication.id}", renew, self.leases) as lease:
            runner = self.runner()
            try:
                if stale:
                    await runner.correct(publication, destination, lease=lease)
                else:
                    await runner.publish(publication, destination, lease=lease)
            except (Deferred, asyncio.CancelledError):
                raise
            except LeaseLost:
                # Another process holds it now and resumes it from the recorded steps.
                logger.warning("publication %s: lease lost; left to the process that holds it", publication.id)
            except Exception:
                logger.exception("publication %s failed unexpectedly; it stays queued", publication.id)

    @staticmethod
    async def _release(store: Store, publication_id: int) -> None:
        try:
            await store.release_publication(publication_id)
        except Exception:
            # It runs out by itself; until then no other process takes the publication over.
            logger.exception("could not release the lease on publication %s", publication_id)

    def runner(self) -> Runner:
        """A runner with the current timings and hooks (tests change them between rounds)."""
        settings = RunnerSettings(
            retry_base=self.retry_base,
            retry_cap=self.retry_cap,
            max_retries=self.max_retries,
            forum_settle=self.forum_settle,
            step_hook=self.step_hook,
            correction_hook=self.correction_hook,
        )
        transport = DiscordTransport(self.bot, timeout=self.request_timeout)
        return Runner(self.bot.store, transport, self.bot.tell_moderators, settings)

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


def _publication_renewal(store: Store, publication_id: int) -> Renew:
    async def renew(length: timedelta) -> bool:
        return await store.renew_publication_lease(publication_id, lease=length)

    return renew


async def setup(bot: Marginalia) -> None:
    await bot.add_cog(Publisher(bot))
