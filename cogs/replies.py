"""One way to answer an interaction: ephemeral, pinging nobody, within Discord's length limits.

An answer goes out as the interaction's response, or as a followup once the interaction was
answered or deferred ("thinking…"), so callers never need to know which.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import discord

from bot.publishing.render import MESSAGE_LIMIT
from bot.store.together import turn_after

logger = logging.getLogger(__name__)

# Discord's limits (MESSAGE_LIMIT: characters of a message's content).
CHOICE_NAME_LIMIT = 100  # characters of an autocomplete choice's name

NO_MENTIONS = discord.AllowedMentions.none()

EXPIRED = "These buttons have expired. Run the command again for fresh results."

# Discord drops an interaction not answered within 3 s of its creation; work not done by this
# time is deferred ("thinking…") so that the answer can follow however long it takes, and
# sooner when the interaction reached us late (a busy loop, a slow gateway).
DEFER_AFTER = 1.5
RESPONSE_DEADLINE = 3.0

T = TypeVar("T")

__all__ = [
    "CHOICE_NAME_LIMIT",
    "EXPIRED",
    "MESSAGE_LIMIT",
    "NO_MENTIONS",
    "Reply",
    "answer_expired_click",
    "answer_in_time",
    "reply",
    "send_ephemeral",
]


@dataclass(slots=True)
class Reply:
    """An answer with more than text: embeds, or buttons (a view)."""

    content: str
    embeds: list[discord.Embed] = field(default_factory=list)
    view: discord.ui.View | None = None


async def reply(interaction: discord.Interaction[Any], answer: str | Reply) -> None:
    """Answer ephemerally, as the response or (after one, or a defer) as a followup."""
    if isinstance(answer, str):
        answer = Reply(answer)
    extra: dict[str, Any] = {"embeds": answer.embeds}
    if answer.view is not None:
        extra["view"] = answer.view
    if answer.content:  # an answer of embeds alone carries no empty text
        extra["content"] = answer.content[:MESSAGE_LIMIT]
    if interaction.response.is_done():
        await interaction.followup.send(ephemeral=True, allowed_mentions=NO_MENTIONS, **extra)
    else:
        await interaction.response.send_message(ephemeral=True, allowed_mentions=NO_MENTIONS, **extra)


async def answer_in_time(interaction: discord.Interaction[Any], work: Awaitable[T]) -> T:
    """Await ``work``, deferring the interaction (ephemeral "thinking…") if it is not done within ``DEFER_AFTER``
    (less when the interaction is already old: the defer must still reach Discord in time).

    A quick answer then goes out as the interaction's own response: one request instead of two,
    and no "thinking…" flash for the asker; a slow one still meets Discord's deadline.
    """
    age = (discord.utils.utcnow() - interaction.created_at).total_seconds()
    wait = max(0.0, min(DEFER_AFTER, RESPONSE_DEADLINE - DEFER_AFTER - age))
    if wait <= 0 and not interaction.response.is_done():
        # No time to wait: deferred before the work starts, which may hold the loop until it is done.
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
        except BaseException:
            if isinstance(work, Coroutine):
                work.close()  # never started
            raise
    # Past the wait, the work's store reads let the loop turn between them (SQLite answers each at once),
    # so the defer can go out while it works.
    token = turn_after.set(asyncio.get_running_loop().time() + wait)
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=wait)
        if not done and not interaction.response.is_done():
            await interaction.response.defer(ephemeral=True, thinking=True)
        return await task
    finally:
        turn_after.reset(token)
        # A failed defer, or the command itself cancelled: the work has no one to answer.
        if not task.done():
            task.cancel()


async def send_ephemeral(interaction: discord.Interaction[Any], message: str) -> None:
    """``reply`` on an error path: a reply Discord refuses is logged, never raised over the first error."""
    try:
        await reply(interaction, message)
    except discord.HTTPException:
        logger.warning("could not deliver an error reply", exc_info=True)


async def answer_expired_click(
    interaction: discord.Interaction[Any], prefix: str, views: Mapping[str, discord.ui.View]
) -> None:
    """Answer a click on one of a cog's buttons that no live view owns (expired, or from before a restart).

    The cog's buttons carry ``custom_id`` values ``<prefix>...:<nonce>``; a live view, kept in
    ``views`` by nonce, answers its own clicks. Anything else is left to whoever owns it.
    """
    if interaction.type is not discord.InteractionType.component:
        return
    data = cast(dict[str, Any], interaction.data or {})
    custom_id = str(data.get("custom_id", ""))
    if not custom_id.startswith(prefix):
        return
    view = views.get(custom_id.rsplit(":", 1)[-1])
    if view is not None and not view.is_finished():
        return
    if not interaction.response.is_done():
        await send_ephemeral(interaction, EXPIRED)
