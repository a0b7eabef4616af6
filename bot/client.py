"""Builds the Discord client: the only module of the core that imports discord.

It points discord.py at the configured endpoints, opens the store, loads the
cogs, syncs commands only when their definitions changed, and installs the one
error handler for application commands. With ``SHARD_COUNT`` set the bot is an
``AutoShardedBot`` holding ``SHARD_IDS`` (one gateway connection per shard).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import uuid
from types import SimpleNamespace
from typing import Any

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot import collector
from bot.config import Settings
from bot.errors import UserError
from bot.fetch import Fetcher, FetchPolicy
from bot.store import Shards, Store, StoreError, open_store
from cogs.replies import MESSAGE_LIMIT
from cogs.replies import NO_MENTIONS as NO_MENTIONS  # the cogs reach it here too
from cogs.replies import send_ephemeral as send_ephemeral

logger = logging.getLogger(__name__)

EXTENSIONS: tuple[str, ...] = ("cogs.publisher", "cogs.lookup", "cogs.moderation", "cogs.activity")
COMMANDS_HASH_KEY = "commands_hash"

# Message Content is privileged and not needed: the bot reads only its own
# messages and counts others' messages from event metadata.
INTENTS = discord.Intents(guilds=True, guild_messages=True)

# The requests that answer a member: an interaction's response, and the followups that edit or add to it.
_ANSWER_PATH = re.compile(r"/interactions/\d+/[^/]+/callback$|/webhooks/\d+/[^/]+(?:/messages/[^/]+)?$")

# Re-exported so the process runner can tell a bad token apart without importing discord.
LoginFailure = discord.LoginFailure


def apply_endpoints(settings: Settings) -> None:
    """Route REST and gateway traffic to a proxy or a local Discord when configured."""
    if settings.api_base:
        discord.http.Route.BASE = settings.api_base
    if settings.gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)


class Marginalia(commands.Bot):
    """The bot. ``store`` and ``fetcher`` are open from ``setup_hook`` until ``close``."""

    def __init__(self, settings: Settings, *, extensions: tuple[str, ...] = EXTENSIONS, **options: Any) -> None:
        # Garbage is collected once an answer is sent (bot/collector.py): the trace tells when.
        trace: aiohttp.TraceConfig = options.pop("http_trace", None) or aiohttp.TraceConfig()
        trace.on_request_end.append(self._after_request)
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=INTENTS,
            help_command=None,
            # Essay text must never ping anyone; a destination's role is opted in per message.
            allowed_mentions=NO_MENTIONS,
            http_trace=trace,
            **options,
        )
        self.settings = settings
        self.extensions_to_load = extensions
        self._store: Store | None = None
        self._fetcher: Fetcher | None = None
        self._collecting = False  # between setup_hook's collector.hold() and close's release()
        # Set whenever publications are queued, so the publisher wakes without polling the database.
        self.publications_queued = asyncio.Event()
        # Set when a feed is followed, so its first poll runs now rather than at the next tick.
        self.feeds_changed = asyncio.Event()

    @property
    def held_shards(self) -> Shards | None:
        """The shards this process holds (it posts to their servers only); None: one connection, every server."""
        ids, count = self.settings.shard_ids, self.settings.shard_count
        return Shards(ids, count) if ids is not None and count is not None else None

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the store is opened in setup_hook")
        return self._store

    @property
    def fetcher(self) -> Fetcher:
        if self._fetcher is None:
            raise RuntimeError("the fetcher is created in setup_hook")
        return self._fetcher

    async def _after_request(
        self, session: aiohttp.ClientSession, context: SimpleNamespace, params: aiohttp.TraceRequestEndParams
    ) -> None:
        if _ANSWER_PATH.search(params.url.path):
            # On the loop's next turn: the request's caller sees its answer first.
            asyncio.get_running_loop().call_soon(collector.collect_when_due)

    async def setup_hook(self) -> None:
        collector.hold()
        self._collecting = True
        self._store = await open_store(self.settings.store_target, pool_size=self.settings.database_pool_size)
        logger.info("database: %s", self.settings.store_label)
        self._fetcher = Fetcher(FetchPolicy(allow_private_addresses=self.settings.allow_private_feeds))
        self.tree.error(self.on_app_command_error)
        for extension in self.extensions_to_load:
            await self.load_extension(extension)
        await self.sync_commands_if_changed()

    def commands_fingerprint(self) -> str:
        payload = sorted(
            (json.dumps(command.to_dict(self.tree), sort_keys=True) for command in self.tree.get_commands()),
        )
        digest = hashlib.sha256("\n".join(payload).encode())
        digest.update(str(self.settings.dev_guild_id).encode())
        return digest.hexdigest()

    async def sync_commands_if_changed(self) -> bool:
        """Sync only when the definitions changed since the last sync: never on every start."""
        fingerprint = self.commands_fingerprint()
        if await self.store.get_state(COMMANDS_HASH_KEY) == fingerprint:
            logger.info("slash commands unchanged; no sync")
            return False
        if self.settings.dev_guild_id:
            guild = discord.Object(self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
        else:
            await self.tree.sync()
        await self.store.set_state(COMMANDS_HASH_KEY, fingerprint)
        logger.info("slash commands synced")
        return True

    async def on_app_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """The one place that turns a failure into a short ephemeral reply."""
        cause: BaseException = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        if isinstance(cause, UserError):
            message = str(cause)
        elif isinstance(cause, app_commands.MissingPermissions | app_commands.CheckFailure):
            message = str(cause) or "You are not allowed to use this command here."
        elif isinstance(cause, app_commands.TransformerError):
            message = "One of the options was not understood; check it and try again."
        elif isinstance(cause, StoreError):
            error_id = uuid.uuid4().hex[:8]
            logger.error("storage failure %s in /%s", error_id, _command_name(interaction), exc_info=cause)
            message = f"The bot's storage failed (error id `{error_id}`); the moderators can check the log."
        else:
            error_id = uuid.uuid4().hex[:8]
            logger.error("unexpected error %s in /%s", error_id, _command_name(interaction), exc_info=cause)
            message = f"Something went wrong on our side (error id `{error_id}`). Please try again later."
        await send_ephemeral(interaction, message)

    async def tell_moderators(self, guild_id: int, message: str) -> bool:
        """Post to the server's mod-log channel; False when there is none or it cannot be reached."""
        channel_id = await self.store.get_modlog(guild_id)
        if channel_id is None:
            logger.warning("no mod-log channel in guild %s for: %s", guild_id, message)
            return False
        shards = self.held_shards
        channel: object = self.get_channel(channel_id)
        if channel is None and shards is not None and not shards.holds(guild_id):
            # A server on another process's shard (a feed this process polled): not in this cache,
            # but REST reaches its channel all the same.
            channel = self.get_partial_messageable(channel_id, guild_id=guild_id)
        if not isinstance(channel, discord.abc.Messageable):
            logger.warning("mod-log channel %s of guild %s is gone", channel_id, guild_id)
            return False
        try:
            await channel.send(message[:MESSAGE_LIMIT], allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            logger.warning("could not write to mod-log %s: %s", channel_id, exc)
            return False
        return True

    async def close(self) -> None:
        await super().close()
        if self._collecting:
            self._collecting = False
            collector.release()
        if self._fetcher is not None:
            await self._fetcher.close()
            self._fetcher = None
        if self._store is not None:
            await self._store.close()
            self._store = None


def server_id(interaction: discord.Interaction[Any]) -> int:
    """The server a command runs in: every answer is scoped to it (bot/store/scope.py).

    Commands are registered for servers only; this is the check on our side, should a client
    send one from a direct message anyway.
    """
    if interaction.guild_id is None:
        raise UserError("Marginalia's commands work inside a server, where its essays are posted.")
    return interaction.guild_id


def _command_name(interaction: discord.Interaction[Any]) -> str:
    command = interaction.command
    return command.qualified_name if command is not None else "?"


class ShardedMarginalia(Marginalia, commands.AutoShardedBot):
    """The bot holding some of its shards (``SHARD_IDS`` of ``SHARD_COUNT``), one gateway connection each."""


def create_bot(settings: Settings, **options: Any) -> Marginalia:
    apply_endpoints(settings)
    if settings.shard_count is None:
        return Marginalia(settings, **options)
    return ShardedMarginalia(
        settings,
        shard_ids=list(settings.shard_ids or range(settings.shard_count)),
        shard_count=settings.shard_count,
        **options,
    )
