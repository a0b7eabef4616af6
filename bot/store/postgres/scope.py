"""Server scope in PostgreSQL: the rule of bot/store/scope.py, kept as the ``guild_essays`` table.

A server sees the essays of the feeds it follows and the essays posted in its channels. The rule is the
``guild_essays_derived`` view; migration 0007 keeps its rows in ``guild_essays`` by triggers (as the
SQLite store does), so a check is one probe of the table's primary key.
"""

from __future__ import annotations

from bot.store.postgres.base import Args
from bot.store.scope import GuildScope


def visible(essay_id_column: str, guild_id: GuildScope, args: Args, *, probe: bool = False) -> str:
    """A condition keeping only essays the server may see (``TRUE`` for the whole database).

    The planner may answer it by reading every essay the server sees once per query (the primary key's
    range of the server), a cost growing with the archive. Where few rows are checked though many are
    estimated (a page walked newest first, a list of ids), ``probe`` keeps it one probe of the primary key
    per row (``OFFSET 0`` keeps the planner from turning the EXISTS into a hashed subplan).
    """
    if guild_id is None:
        return "TRUE"
    per_row = " OFFSET 0" if probe else ""
    return (
        f"EXISTS (SELECT 1 FROM guild_essays scope WHERE scope.guild_id = {args(guild_id)} "
        f"AND scope.essay_id = {essay_id_column}{per_row})"
    )


def posted(essay_id_column: str, guild_id: int, args: Args) -> str:
    """A condition keeping only essays posted (or being posted) in the server's channels."""
    return (
        f"{essay_id_column} IN (SELECT p.essay_id FROM destinations d "
        f"JOIN publications p ON p.destination_id = d.id WHERE d.guild_id = {args(guild_id)})"
    )
