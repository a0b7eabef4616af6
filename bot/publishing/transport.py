"""The publishing runner's view of Discord: a small protocol of REST calls, and its one error.

The runner (``bot.publishing.runner``) speaks only to a ``Transport``; ``cogs.transport`` is the
real one, over discord.py's HTTP client, and the runner's tests use one that keeps channels in
memory. Every failure of a call is a ``TransportError``::

    TransportError            status: the HTTP status, 0 when no answer came
      .rate_limited           429 with retry_after: wait that long, then send again
      .no_answer              status 0: a timeout or a dropped connection (Discord may have acted)
      .server_error           5xx: Discord failed (it may have acted first)
      anything else           a refusal: 403 (permissions), 404 (deleted), 400 (a Discord rule)

Bodies and answers are Discord's JSON, as the REST API documents it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Protocol

Json = dict[str, Any]
Operation = Literal["create_message", "edit_message", "delete_message", "crosspost", "create_thread", "edit_thread"]

# Discord error codes the runner treats specially.
UNKNOWN_CHANNEL = 10003
UNKNOWN_MESSAGE = 10008
MISSING_ACCESS = 50001
MISSING_PERMISSIONS = 50013
THREAD_ARCHIVED = 50083
ALREADY_CROSSPOSTED = 40033
THREAD_ALREADY_EXISTS = 160004


class TransportError(Exception):
    """A call that did not succeed: what Discord answered, if anything (see the module doc)."""

    def __init__(self, status: int, code: int = 0, retry_after: float | None = None, text: str = "") -> None:
        self.status = status
        self.code = code
        self.retry_after = retry_after
        self.text = text
        super().__init__(text or (f"HTTP {status} (code {code})" if status else "no answer"))

    @property
    def rate_limited(self) -> bool:
        return self.retry_after is not None

    @property
    def no_answer(self) -> bool:
        return self.status == 0

    @property
    def server_error(self) -> bool:
        return self.status >= 500


class Transport(Protocol):
    """The Discord calls publishing needs. Each raises ``TransportError`` when it does not succeed."""

    @property
    def bot_id(self) -> int:
        """The bot's own user id: recovery recognises the bot's messages and threads by it."""
        ...

    async def create_message(self, channel_id: int, body: Mapping[str, Any]) -> Json: ...

    async def edit_message(self, channel_id: int, message_id: int, body: Mapping[str, Any]) -> Json: ...

    async def delete_message(self, channel_id: int, message_id: int) -> None: ...

    async def crosspost(self, channel_id: int, message_id: int) -> Json: ...

    async def create_thread(self, channel_id: int, body: Mapping[str, Any], *, message_id: int | None = None) -> Json:
        """A thread from a message (``message_id``), or a forum post (none)."""
        ...

    async def edit_thread(self, thread_id: int, body: Mapping[str, Any]) -> Json:
        """Rename, archive or reopen a thread."""
        ...

    async def delete_thread(self, thread_id: int, *, reason: str) -> None: ...

    async def get_channel(self, channel_id: int) -> Json: ...

    async def get_message(self, channel_id: int, message_id: int) -> Json: ...

    async def recent_messages(self, channel_id: int, limit: int) -> list[Json]:
        """The channel's newest messages, newest first."""
        ...

    async def active_threads(self, guild_id: int) -> list[Json]:
        """The server's active threads (forum posts included)."""
        ...

    def missing_permissions(self, channel_id: int, names: Sequence[str]) -> list[str]:
        """Which of ``names`` (``discord.Permissions`` attributes) the bot lacks in the channel, as far
        as the client's cache knows (no request; an unknown channel lacks nothing)."""
        ...


async def send(
    transport: Transport, operation: Operation, channel_id: int, message_id: int | None, body: Json | None
) -> Json | None:
    """One runner request through the transport call that makes it."""
    if operation == "create_message":
        return await transport.create_message(channel_id, body or {})
    if operation == "edit_message":
        return await transport.edit_message(channel_id, _needed(message_id), body or {})
    if operation == "delete_message":
        await transport.delete_message(channel_id, _needed(message_id))
        return None
    if operation == "crosspost":
        return await transport.crosspost(channel_id, _needed(message_id))
    if operation == "create_thread":
        return await transport.create_thread(channel_id, body or {}, message_id=message_id)
    return await transport.edit_thread(channel_id, body or {})


def _needed(message_id: int | None) -> int:
    if message_id is None:
        raise ValueError("this request acts on a message, and none was given")
    return message_id
