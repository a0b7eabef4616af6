"""Server scope in PostgreSQL: the rule of bot/store/scope.py, asked of the source tables directly.

A server sees the essays of the feeds it follows and the essays posted in its channels. Each branch
is an index probe (``feed_entries_essay``, ``essays`` by id, ``publications``' unique key), so the
view is asked per row instead of kept as a table by triggers as SQLite does.
"""

from __future__ import annotations

from bot.store.postgres.base import Args
from bot.store.scope import GuildScope


def visible(essay_id_column: str, guild_id: GuildScope, args: Args, *, probe: bool = False) -> str:
    """A condition keeping only essays the server may see (``TRUE`` for the whole database).

    The planner may answer it by hashing every essay the server sees, once per query: a fixed cost that
    grows with the archive (13-26 ms at 60,000 essays). Where few rows are checked though many are
    estimated (autocomplete: a speaker's first visible quote, a few titles), ``probe`` keeps it a probe of
    the indexes per row (``OFFSET 0`` keeps the planner from turning the EXISTS into a hashed subplan):
    speaker choices 33 -> 0.7 ms at the median, title choices 21 -> 4.5 ms at 60,000 essays.
    """
    if guild_id is None:
        return "TRUE"
    guild = args(guild_id)
    per_row = " OFFSET 0" if probe else ""
    return (
        "(EXISTS (SELECT 1 FROM feed_entries sfe JOIN guild_feeds sgf ON sgf.feed_id = sfe.feed_id "
        f"WHERE sfe.essay_id = {essay_id_column} AND sgf.guild_id = {guild}{per_row}) "
        "OR EXISTS (SELECT 1 FROM essays se JOIN guild_feeds sgf ON sgf.feed_id = se.feed_id "
        f"WHERE se.id = {essay_id_column} AND sgf.guild_id = {guild}{per_row}) "
        "OR EXISTS (SELECT 1 FROM publications sp JOIN destinations sd ON sd.id = sp.destination_id "
        f"WHERE sp.essay_id = {essay_id_column} AND sd.guild_id = {guild}{per_row}))"
    )


def posted(essay_id_column: str, guild_id: int, args: Args) -> str:
    """A condition keeping only essays posted (or being posted) in the server's channels."""
    return (
        f"{essay_id_column} IN (SELECT p.essay_id FROM destinations d "
        f"JOIN publications p ON p.destination_id = d.id WHERE d.guild_id = {args(guild_id)})"
    )
