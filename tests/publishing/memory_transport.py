"""An in-memory ``Transport``: channels, threads and messages kept in dicts, with Discord's rules
that the runner leans on (nonces, "thread already exists", "already crossposted", archived
threads, permissions, deleted channels) and faults to inject: an error before Discord acts, an
error after it acted, and an attempt that lands later than its retry.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.publishing.execution import snowflake_at
from bot.publishing.transport import (
    ALREADY_CROSSPOSTED,
    MISSING_ACCESS,
    MISSING_PERMISSIONS,
    THREAD_ALREADY_EXISTS,
    THREAD_ARCHIVED,
    UNKNOWN_CHANNEL,
    UNKNOWN_MESSAGE,
    Json,
    TransportError,
)

BOT_ID = 4242


@dataclass
class Channel:
    id: int
    guild_id: int
    kind: str  # "text", "announcement", "forum" or "thread"
    parent_id: int | None = None
    name: str = ""
    archived: bool = False
    messages: dict[int, Json] = field(default_factory=dict)


@dataclass
class Fault:
    """``times`` calls of ``operation`` (on ``channel_id``, if given) fail with ``error``.

    ``acted``: Discord did the work before the error (a 5xx after the write, a timeout on the
    answer). ``lands_late``: the work happens only after the next call of the same operation
    that succeeds (a request given up on that reaches Discord after its retry).
    """

    operation: str
    error: TransportError
    times: int = 1
    channel_id: int | None = None
    acted: bool = False
    lands_late: bool = False
    fired: int = 0


class MemoryTransport:
    def __init__(self) -> None:
        self.channels: dict[int, Channel] = {}
        self.calls: list[tuple[str, int]] = []
        self.faults: list[Fault] = []
        self.revoked: dict[int, set[str]] = {}  # channel id -> permission names the bot lacks
        self.removed_guilds: set[int] = set()
        self.deleted_threads: list[int] = []
        self._late: list[tuple[str, Callable[[], Any]]] = []
        self._ids = itertools.count(1)

    # --- the world ------------------------------------------------------------------------------

    def new_id(self) -> int:
        # Real snowflakes of the present: recovery only looks at ids newer than the attempt.
        return snowflake_at(datetime.now(UTC)) + next(self._ids)

    def add_channel(self, guild_id: int, kind: str) -> Channel:
        channel = Channel(self.new_id(), guild_id, kind)
        self.channels[channel.id] = channel
        return channel

    def threads(self, parent: Channel) -> list[Channel]:
        return sorted((c for c in self.channels.values() if c.parent_id == parent.id), key=lambda c: c.id)

    def messages(self, channel: Channel) -> list[Json]:
        return [m for _, m in sorted(channel.messages.items())]

    def fail(self, operation: str, error: TransportError, **options: Any) -> Fault:
        fault = Fault(operation, error, **options)
        self.faults.append(fault)
        return fault

    def deny(self, channel: Channel, *names: str) -> None:
        self.revoked.setdefault(channel.id, set()).update(names)

    def calls_to(self, operation: str) -> list[int]:
        return [channel for name, channel in self.calls if name == operation]

    # --- the rules ------------------------------------------------------------------------------

    def _channel(self, channel_id: int) -> Channel:
        channel = self.channels.get(channel_id)
        if channel is None:
            raise TransportError(404, UNKNOWN_CHANNEL, text="Unknown Channel")
        if channel.guild_id in self.removed_guilds:
            raise TransportError(403, MISSING_ACCESS, text="Missing Access")
        return channel

    def _require(self, channel: Channel, *names: str) -> None:
        parent = self.channels.get(channel.parent_id) if channel.parent_id else channel
        lacking = self.revoked.get(parent.id if parent else channel.id, set())
        if any(name in lacking for name in names):
            raise TransportError(403, MISSING_PERMISSIONS, text="Missing Permissions")

    def _message(self, channel: Channel, message_id: int) -> Json:
        message = channel.messages.get(message_id)
        if message is None:
            raise TransportError(404, UNKNOWN_MESSAGE, text="Unknown Message")
        return message

    def _writable(self, channel: Channel) -> None:
        if channel.kind == "thread" and channel.archived:
            raise TransportError(400, THREAD_ARCHIVED, text="Thread is archived")

    async def _call(self, operation: str, channel_id: int, act: Callable[[], Any]) -> Any:
        self.calls.append((operation, channel_id))
        for fault in self.faults:
            if fault.operation != operation or fault.fired >= fault.times:
                continue
            if fault.channel_id is not None and fault.channel_id != channel_id:
                continue
            fault.fired += 1
            if fault.acted:
                act()
            elif fault.lands_late:
                self._late.append((operation, act))
            raise fault.error
        result = act()
        late = [landing for name, landing in self._late if name == operation]
        self._late = [(name, landing) for name, landing in self._late if name != operation]
        for landing in late:
            landing()
        return result

    def _post(self, channel: Channel, body: Mapping[str, Any], message_id: int | None = None) -> Json:
        message: Json = {
            "id": str(message_id or self.new_id()),
            "channel_id": str(channel.id),
            "author": {"id": str(BOT_ID)},
            "content": body.get("content", ""),
            "embeds": list(body.get("embeds", [])),
            "nonce": body.get("nonce"),
            "crossposted": False,
        }
        channel.messages[int(message["id"])] = message
        return message

    # --- the Transport --------------------------------------------------------------------------

    @property
    def bot_id(self) -> int:
        return BOT_ID

    async def create_message(self, channel_id: int, body: Mapping[str, Any]) -> Json:
        def act() -> Json:
            channel = self._channel(channel_id)
            self._require(channel, "send_messages")
            self._writable(channel)
            nonce = body.get("nonce")
            if nonce is not None and body.get("enforce_nonce"):
                # Discord answers a repeated nonce with the message it already made.
                for message in channel.messages.values():
                    if message["nonce"] == nonce:
                        return message
            return self._post(channel, body)

        return dict(await self._call("create_message", channel_id, act))

    async def edit_message(self, channel_id: int, message_id: int, body: Mapping[str, Any]) -> Json:
        def act() -> Json:
            channel = self._channel(channel_id)
            self._writable(channel)
            message = self._message(channel, message_id)
            message.update({k: v for k, v in body.items() if k in ("content", "embeds")})
            return message

        return dict(await self._call("edit_message", channel_id, act))

    async def delete_message(self, channel_id: int, message_id: int) -> None:
        def act() -> None:
            channel = self._channel(channel_id)
            self._message(channel, message_id)
            del channel.messages[message_id]

        await self._call("delete_message", channel_id, act)

    async def crosspost(self, channel_id: int, message_id: int) -> Json:
        def act() -> Json:
            message = self._message(self._channel(channel_id), message_id)
            if message["crossposted"]:
                raise TransportError(400, ALREADY_CROSSPOSTED, text="This message has already been crossposted")
            message["crossposted"] = True
            return message

        return dict(await self._call("crosspost", channel_id, act))

    async def create_thread(self, channel_id: int, body: Mapping[str, Any], *, message_id: int | None = None) -> Json:
        def act() -> Json:
            parent = self._channel(channel_id)
            self._require(parent, "create_public_threads")
            if message_id is not None:
                self._message(parent, message_id)
                if message_id in self.channels:
                    raise TransportError(400, THREAD_ALREADY_EXISTS, text="A thread has already been created")
                thread = Channel(message_id, parent.guild_id, "thread", parent.id, str(body["name"]))
                self.channels[thread.id] = thread
                return self._thread_json(thread)
            # A forum post: the thread and its starter message share one id.
            thread = Channel(self.new_id(), parent.guild_id, "thread", parent.id, str(body["name"]))
            self.channels[thread.id] = thread
            starter = self._post(thread, body.get("message") or {}, message_id=thread.id)
            return {**self._thread_json(thread), "message": starter}

        return dict(await self._call("create_thread", channel_id, act))

    async def edit_thread(self, thread_id: int, body: Mapping[str, Any]) -> Json:
        def act() -> Json:
            thread = self._channel(thread_id)
            if "name" in body:
                thread.name = str(body["name"])
            if "archived" in body:
                thread.archived = bool(body["archived"])
            return self._thread_json(thread)

        return dict(await self._call("edit_thread", thread_id, act))

    async def delete_thread(self, thread_id: int, *, reason: str) -> None:
        def act() -> None:
            thread = self._channel(thread_id)
            self._require(thread, "manage_threads")
            del self.channels[thread_id]
            self.deleted_threads.append(thread_id)

        await self._call("delete_thread", thread_id, act)

    async def get_channel(self, channel_id: int) -> Json:
        return dict(await self._call("get_channel", channel_id, lambda: self._thread_json(self._channel(channel_id))))

    async def get_message(self, channel_id: int, message_id: int) -> Json:
        def act() -> Json:
            return self._message(self._channel(channel_id), message_id)

        return dict(await self._call("get_message", channel_id, act))

    async def recent_messages(self, channel_id: int, limit: int) -> list[Json]:
        def act() -> list[Json]:
            channel = self._channel(channel_id)
            return [dict(m) for _, m in sorted(channel.messages.items(), reverse=True)[:limit]]

        result: list[Json] = await self._call("recent_messages", channel_id, act)
        return result

    async def active_threads(self, guild_id: int) -> list[Json]:
        def act() -> list[Json]:
            if guild_id in self.removed_guilds:
                raise TransportError(403, MISSING_ACCESS, text="Missing Access")
            return [
                self._thread_json(c)
                for c in self.channels.values()
                if c.kind == "thread" and c.guild_id == guild_id and not c.archived
            ]

        result: list[Json] = await self._call("active_threads", guild_id, act)
        return result

    def missing_permissions(self, channel_id: int, names: Sequence[str]) -> list[str]:
        channel = self.channels.get(channel_id)
        if channel is not None and channel.parent_id is not None:
            channel_id = channel.parent_id
        return [name for name in names if name in self.revoked.get(channel_id, set())]

    def _thread_json(self, channel: Channel) -> Json:
        return {
            "id": str(channel.id),
            "guild_id": str(channel.guild_id),
            "parent_id": str(channel.parent_id) if channel.parent_id else None,
            "owner_id": str(BOT_ID),
            "name": channel.name,
        }
