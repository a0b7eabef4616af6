"""One way to answer an interaction: ephemeral, pinging nobody, within Discord's length limits.

An answer goes out as the interaction's response, or as a followup once the interaction was
answered or deferred ("thinking…"), so callers never need to know which.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import discord

from bot.publishing.render import MESSAGE_LIMIT

logger = logging.getLogger(__name__)

# Discord's limits (MESSAGE_LIMIT: characters of a message's content).
CHOICE_NAME_LIMIT = 100  # characters of an autocomplete choice's name

NO_MENTIONS = discord.AllowedMentions.none()

EXPIRED = "These buttons have expired. Run the command again for fresh results."

__all__ = [
    "CHOICE_NAME_LIMIT",
    "EXPIRED",
    "MESSAGE_LIMIT",
    "NO_MENTIONS",
    "Reply",
    "answer_expired_click",
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
    content = answer.content[:MESSAGE_LIMIT]
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True, allowed_mentions=NO_MENTIONS, **extra)
    else:
        await interaction.response.send_message(content, ephemeral=True, allowed_mentions=NO_MENTIONS, **extra)


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
