"""Server scope: the one rule for which essays a server may see.

A server (Discord guild) sees the essays of the feeds it follows and the essays posted in its
channels, nothing else: a community with a private or members-only feed never finds its essays in
a stranger's server. Every query a member or moderator reaches goes through ``visible`` with the
server's id; ``ALL_SERVERS`` (None) is the command line without ``--guild``, run by whoever owns the
database file. The rule itself is the ``guild_essays_derived`` view of migration 0007; the
``guild_essays`` table holds its rows, kept equal to it by triggers, so a lookup is a key probe.
"""

from __future__ import annotations

from typing import Any

# The scope of the command line without --guild: the operator sees the whole database.
ALL_SERVERS: None = None

GuildScope = int | None


def visible(essay_id_column: str, guild_id: GuildScope) -> tuple[str, list[Any]]:
    """A SQL condition (and its parameters) keeping only essays the server may see.

    One primary-key probe of ``guild_essays`` per row, however many essays the server has.
    """
    if guild_id is None:
        return "1", []
    return (
        f"EXISTS (SELECT 1 FROM guild_essays scope WHERE scope.guild_id = ? AND scope.essay_id = {essay_id_column})",
        [guild_id],
    )


def posted(essay_id_column: str, guild_id: int) -> tuple[str, list[Any]]:
    """A SQL condition keeping only essays posted (or being posted) in the server's channels."""
    return (
        f"{essay_id_column} IN (SELECT p.essay_id FROM destinations d "
        "JOIN publications p ON p.destination_id = d.id WHERE d.guild_id = ?)",
        [guild_id],
    )
