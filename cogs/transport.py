"""The publishing ``Transport`` over discord.py's HTTP client.

discord.py already waits out rate limits (unless told to cap the wait, when it raises
``RateLimited``) and retries 500, 502 and 504 a few times itself; what still fails reaches the
runner as a ``TransportError``, which retries and backs off on top only where it needs to.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping, Sequence
from typing import Any

import aiohttp
import discord
from discord.http import Route

from bot.client import Marginalia
from bot.publishing.transport import Json, TransportError

# What a request can fail with below discord.py's own errors: the connection, and our timeout.
NO_ANSWER = (TimeoutError, aiohttp.ClientError, OSError)


async def answer(call: Awaitable[Any]) -> Any:
    """The call's JSON, or its failure as a ``TransportError``."""
    try:
        return await call
    except discord.RateLimited as exc:
        raise TransportError(429, 0, exc.retry_after, str(exc)) from exc
    except discord.HTTPException as exc:
        raise TransportError(exc.status, exc.code, None, str(exc)) from exc
    except NO_ANSWER as exc:
        raise TransportError(0, 0, None, str(exc) or type(exc).__name__) from exc


def _route(method: str, path: str, channel_id: int) -> Route:
    # The path with its ids in place, as the publisher has always sent it (discord.py keys its
    # rate-limit buckets by it); discord.py still waits out Discord's 429s.
    return Route(method, path, channel_id=channel_id)


def _json(data: Any) -> Json:
    # Discord answers a change with the object it made or changed (a 204 carries nothing).
    return dict(data) if isinstance(data, Mapping) else {}


class DiscordTransport:
    """Discord's REST API as the runner needs it, through the bot's own HTTP client.

    ``timeout`` bounds each request that changes something: discord.py leaves a request to
    aiohttp's 5-minute default, and a hung request would hold up the server's whole queue that
    long. Retrying is safe: see ``bot.publishing.runner``.
    """

    def __init__(self, bot: Marginalia, *, timeout: float) -> None:
        self.bot = bot
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    @property
    def bot_id(self) -> int:
        user = self.bot.user
        if user is None:
            raise RuntimeError("the bot is not logged in")
        return user.id

    async def _send(self, route: Route, body: Mapping[str, Any] | None = None) -> Any:
        if body is None:
            return await answer(self.bot.http.request(route, timeout=self.timeout))
        return await answer(self.bot.http.request(route, json=dict(body), timeout=self.timeout))

    async def create_message(self, channel_id: int, body: Mapping[str, Any]) -> Json:
        return _json(await self._send(_route("POST", f"/channels/{channel_id}/messages", channel_id), body))

    async def edit_message(self, channel_id: int, message_id: int, body: Mapping[str, Any]) -> Json:
        path = f"/channels/{channel_id}/messages/{message_id}"
        return _json(await self._send(_route("PATCH", path, channel_id), body))

    async def delete_message(self, channel_id: int, message_id: int) -> None:
        await self._send(_route("DELETE", f"/channels/{channel_id}/messages/{message_id}", channel_id))

    async def crosspost(self, channel_id: int, message_id: int) -> Json:
        path = f"/channels/{channel_id}/messages/{message_id}/crosspost"
        return _json(await self._send(_route("POST", path, channel_id)))

    async def create_thread(self, channel_id: int, body: Mapping[str, Any], *, message_id: int | None = None) -> Json:
        if message_id is None:
            path = f"/channels/{channel_id}/threads"
        else:
            path = f"/channels/{channel_id}/messages/{message_id}/threads"
        return _json(await self._send(_route("POST", path, channel_id), body))

    async def edit_thread(self, thread_id: int, body: Mapping[str, Any]) -> Json:
        return _json(await self._send(_route("PATCH", f"/channels/{thread_id}", thread_id), body))

    async def delete_thread(self, thread_id: int, *, reason: str) -> None:
        await answer(self.bot.http.delete_channel(thread_id, reason=reason))

    async def get_channel(self, channel_id: int) -> Json:
        return _json(await answer(self.bot.http.get_channel(channel_id)))

    async def get_message(self, channel_id: int, message_id: int) -> Json:
        return _json(await answer(self.bot.http.get_message(channel_id, message_id)))

    async def recent_messages(self, channel_id: int, limit: int) -> list[Json]:
        return [dict(message) for message in await answer(self.bot.http.logs_from(channel_id, limit))]

    async def active_threads(self, guild_id: int) -> list[Json]:
        route = Route("GET", "/guilds/{guild_id}/threads/active", guild_id=guild_id)
        listing = await answer(self.bot.http.request(route))
        threads = listing.get("threads", []) if isinstance(listing, dict) else []
        return [dict(thread) for thread in threads]

    def missing_permissions(self, channel_id: int, names: Sequence[str]) -> list[str]:
        channel = self.bot.get_channel(channel_id)
        if isinstance(channel, discord.Thread):
            channel = channel.parent
        if not isinstance(channel, discord.abc.GuildChannel):
            return []
        permissions = channel.permissions_for(channel.guild.me)
        return [name for name in names if not getattr(permissions, name, True)]
