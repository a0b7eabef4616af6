"""/activity for members, the one-time read of old section threads, and the weekly digest's clock.

Thin Discord glue over ``bot.activity`` (which essay, the numbers and their words),
``bot.activity_chart`` (the picture, drawn in a worker thread) and ``bot.digest`` (what a week
holds and how it is posted exactly once). The messages themselves are counted by the publisher's
listeners (``cogs.publisher``); ``/marginalia digest`` is in ``cogs.moderation``.
"""

from __future__ import annotations

import asyncio
import gc
import io
import logging
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands
from discord.http import Route

from bot.activity import (
    CHART_FILENAME,
    EssayActivity,
    activity_description,
    activity_target,
    essay_activity,
    member_message_in_history,
    silence_message,
    text_alternative,
)
from bot.client import NO_MENTIONS, Marginalia, send_ephemeral, server_id
from bot.digest import DigestOutcome, DigestRefused, refusal_message, run_due_digests
from bot.lookup import essay_choices, one_line, safe_url, shared_by_line
from bot.publishing.execution import RECENT_MESSAGES, earliest_id, find_message, problem_text
from bot.publishing.render import plain
from bot.store import StoreError
from cogs.lookup import EMBED_COLOUR, NOT_YOURS, VIEW_TIMEOUT, to_app_choices
from cogs.publisher import Publisher
from cogs.replies import answer_expired_click

logger = logging.getLogger(__name__)

CUSTOM_ID_PREFIX = "activity:"
HISTORY_PAGE = 100  # Discord's most per request
TRANSIENT = (TimeoutError, aiohttp.ClientError, OSError)


def render_chart(activity: EssayActivity) -> bytes:
    # Imported here, in the worker thread: matplotlib takes a moment to load, and only /activity needs it.
    from bot.activity_chart import render_activity_chart

    return render_activity_chart(activity)


def warm_up_chart() -> None:
    from bot.activity_chart import warm_up

    warm_up()


def chart_file(png: bytes, alt_text: str) -> discord.File:
    return discord.File(io.BytesIO(png), filename=CHART_FILENAME, description=alt_text)


def activity_embed(activity: EssayActivity) -> discord.Embed:
    embed = discord.Embed(
        title=one_line(plain(activity.title), 200) or "Untitled essay",
        url=safe_url(activity.url),
        description=activity_description(activity, when=lambda moment: discord.utils.format_dt(moment, "R")),
        colour=EMBED_COLOUR,
    )
    embed.set_image(url=f"attachment://{CHART_FILENAME}")
    embed.set_footer(text="Messages by members in this server's section threads (edits and bots not counted).")
    return embed


class ShareView(discord.ui.View):
    """The Share button under an /activity reply: posts a public copy, once, for the asker only."""

    def __init__(
        self, cog: ActivityCog, origin: discord.Interaction[Marginalia], activity: EssayActivity, png: bytes
    ) -> None:
        super().__init__(timeout=VIEW_TIMEOUT)
        self.cog = cog
        self.origin = origin
        self.owner_id = origin.user.id
        self.activity = activity
        self.png = png
        self.nonce = secrets.token_hex(8)
        self.share: discord.ui.Button[ShareView] = discord.ui.Button(
            label="Share", style=discord.ButtonStyle.primary, custom_id=f"{CUSTOM_ID_PREFIX}share:{self.nonce}"
        )
        self.share.callback = self.on_share  # type: ignore[method-assign]
        self.add_item(self.share)

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await send_ephemeral(interaction, NOT_YOURS)
        return False

    async def on_share(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_message(
            shared_by_line(interaction.user.id),
            embed=activity_embed(self.activity),
            file=chart_file(self.png, text_alternative(self.activity)),
            allowed_mentions=NO_MENTIONS,
        )
        self.share.disabled = True
        self.share.label = "Shared"
        try:
            await self.origin.edit_original_response(view=self)
        except discord.HTTPException:
            logger.debug("could not mark an activity reply as shared", exc_info=True)

    async def on_timeout(self) -> None:
        self.cog.views.pop(self.nonce, None)
        self.share.disabled = True
        try:
            await self.origin.edit_original_response(view=self)
        except discord.HTTPException:
            logger.debug("could not disable the Share button of an expired activity reply", exc_info=True)

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        logger.error("activity button failed", exc_info=error)
        await send_ephemeral(interaction, "That button failed on our side; run the command again.")


class DiscordDigestSender:
    """How the digest reaches Discord: the raw request (its nonce included) and the channel's history."""

    def __init__(self, bot: Marginalia, *, timeout: float) -> None:
        self.bot = bot
        self.timeout = timeout

    async def send(self, channel_id: int, body: dict[str, Any]) -> int:
        route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id)
        try:
            data = await self.bot.http.request(route, json=body, timeout=aiohttp.ClientTimeout(total=self.timeout))
        except discord.NotFound as exc:
            raise DigestRefused("the channel was deleted") from exc
        except discord.HTTPException as exc:
            if exc.status in (401, 403):
                raise DigestRefused(problem_text("card", exc.status, exc.code)) from exc
            if 400 <= exc.status < 500 and exc.status != 429:
                raise DigestRefused(f"Discord refused it (HTTP {exc.status}, code {exc.code})") from exc
            raise
        return int(data["id"])

    async def find(self, channel_id: int, body: dict[str, Any], nonce: str, since: datetime | None) -> int | None:
        user = self.bot.user
        if user is None:
            raise RuntimeError("the bot is not logged in")
        try:
            messages = await self.bot.http.logs_from(channel_id, RECENT_MESSAGES)
        except (discord.NotFound, discord.Forbidden):
            return None
        return find_message(body, [dict(m) for m in messages], bot_id=user.id, nonce=nonce, min_id=earliest_id(since))


class ActivityCog(commands.Cog, name="Activity"):
    """/activity, the backfill of old threads, and the weekly digest."""

    def __init__(self, bot: Marginalia) -> None:
        self.bot = bot
        self.views: dict[str, ShareView] = {}
        # Timings and the clock are attributes so tests can change them.
        self.digest_tick = 60.0
        self.backfill_pause = 0.25  # after each page of history read
        self.request_timeout = 30.0
        self.clock: Callable[[], datetime] = discord.utils.utcnow
        # Set once the start-up backfill has run (whatever came of it).
        self.backfill_finished = asyncio.Event()
        self._backfill_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []

    async def cog_load(self) -> None:
        self._tasks = [
            asyncio.create_task(self._after_ready(), name="marginalia-activity-backfill"),
            asyncio.create_task(self._digest_loop(), name="marginalia-digest"),
        ]

    async def cog_unload(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    # --- /activity ------------------------------------------------------------------------------

    async def essay_autocomplete(
        self, interaction: discord.Interaction[Marginalia], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        try:
            choices = await essay_choices(
                self.bot.store, current, guild_id=interaction.guild_id, channel_id=interaction.channel_id
            )
        except StoreError:
            logger.warning("essay autocomplete failed", exc_info=True)
            return []
        return to_app_choices(choices)

    @app_commands.command(name="activity")
    @app_commands.guild_only()
    @app_commands.autocomplete(essay=essay_autocomplete)
    async def activity(self, interaction: discord.Interaction[Marginalia], essay: str | None = None) -> None:
        """Which sections of an essay drew the discussion here: a chart of messages per section.

        The reply is ephemeral (only you see it); Share posts a copy in the channel.

        Parameters
        ----------
        essay: str | None
            The essay (default: this thread's essay, else the newest posted here).
        """
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id = server_id(interaction)
        store = self.bot.store
        row = await activity_target(store, essay=essay, channel_id=interaction.channel_id, guild_id=guild_id)
        report = await essay_activity(store, row, guild_id=guild_id)
        silent = silence_message(report)
        if silent is not None:
            await interaction.followup.send(silent, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        png = await asyncio.to_thread(render_chart, report)
        view = ShareView(self, interaction, report, png)
        self.views[view.nonce] = view
        await interaction.followup.send(
            embed=activity_embed(report),
            file=chart_file(png, text_alternative(report)),
            view=view,
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
            wait=True,
        )

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[Marginalia]) -> None:
        """Answer clicks on Share buttons no live view owns (expired, or from before a restart)."""
        await answer_expired_click(interaction, CUSTOM_ID_PREFIX, self.views)

    # --- the backfill of threads older than per-message counting ---------------------------------

    async def _after_ready(self) -> None:
        await self.bot.wait_until_ready()
        # Posting essays comes first: loading the chart renderer holds the GIL for about half a second,
        # which slowed the publishing a restart resumes; it loads once that work is out.
        publisher = self.bot.get_cog("Publisher")
        if isinstance(publisher, Publisher):
            try:
                await publisher.drain()
            except Exception:
                logger.warning("could not wait for the publishing queue; loading the chart renderer now", exc_info=True)
        try:
            await asyncio.to_thread(warm_up_chart)
        except Exception:
            logger.warning("could not prepare the chart renderer; /activity will load it on first use", exc_info=True)
        # matplotlib nearly doubles the objects each full garbage collection walks (every command
        # then risks a pause of tens of milliseconds); like the modules and caches loaded by now, they
        # live as long as the process, so they are moved out of the collector's reach once.
        gc.freeze()
        try:
            done = await self.backfill_threads()
        except Exception:
            logger.exception("the backfill of section threads failed; it resumes at the next start")
        else:
            if done:
                logger.info("read the history of %s section thread(s) once", done)
        finally:
            self.backfill_finished.set()

    async def backfill_threads(self) -> int:
        """Read, once, the history of each section thread that predates per-message counting.

        One thread at a time, a page of 100 messages per request, at most four requests a second;
        discord.py waits out any rate limit Discord still answers with.
        A thread that cannot be read now (no permission, Discord failing) is tried at the next start.
        """
        done = 0
        after = 0
        async with self._backfill_lock:
            while pending := await self.bot.store.pending_backfills(after=after):
                for thread_id in pending:
                    after = thread_id
                    if await self._backfill_thread(thread_id):
                        done += 1
        return done

    async def _backfill_thread(self, thread_id: int) -> bool:
        store = self.bot.store
        last = 1  # every message is newer than snowflake 1 (0 would mean "no after" to discord.py)
        try:
            while True:
                page = await self.bot.http.logs_from(thread_id, HISTORY_PAGE, after=last)
                if not page:
                    break
                counted = [found for m in page if (found := member_message_in_history(m)) is not None]
                await store.add_backfilled_messages(
                    thread_id, [(mid, author, discord.utils.snowflake_time(mid)) for mid, author in counted]
                )
                last = max(int(m["id"]) for m in page)
                # Paced, one request at a time: a one-off job that should never crowd out publishing.
                await asyncio.sleep(self.backfill_pause)
                if len(page) < HISTORY_PAGE:
                    break
        except discord.NotFound:
            logger.info("section thread %s is gone; nothing to read", thread_id)
        except (discord.HTTPException, *TRANSIENT) as exc:
            logger.warning(
                "could not read the history of section thread %s (%s); trying at the next start", thread_id, exc
            )
            return False
        await store.finish_backfill(thread_id)
        return True

    # --- the weekly digest ------------------------------------------------------------------------

    async def _digest_loop(self) -> None:
        await self.bot.wait_until_ready()
        while True:
            try:
                await self.run_digests()
            except Exception:
                logger.exception("the digest round failed; trying again next round")
            await asyncio.sleep(self.digest_tick)

    async def run_digests(self) -> list[DigestOutcome]:
        """Post the digests that are due; tell a server's moderators when Discord refused theirs."""
        store = self.bot.store
        skip = frozenset(await store.removed_guilds())
        sender = DiscordDigestSender(self.bot, timeout=self.request_timeout)
        outcomes = await run_due_digests(store, sender, self.clock(), skip=skip)
        for outcome in outcomes:
            if outcome.state == "failed" and not outcome.earlier:
                message = refusal_message(f"<#{outcome.channel_id}>", outcome.error or "Discord refused it")
                await self.bot.tell_moderators(outcome.guild_id, message)
        return outcomes


async def setup(bot: Marginalia) -> None:
    await bot.add_cog(ActivityCog(bot))
