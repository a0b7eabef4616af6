"""The only place with SQL: one connection owner, typed queries over dataclasses."""

from bot.store.base import StoreError
from bot.store.lookup import EssayRef, fts_query
from bot.store.migrate import SchemaError
from bot.store.store import (
    EssayBrief,
    EssayRow,
    FeedRow,
    IngestOutcome,
    Store,
)

__all__ = [
    "EssayBrief",
    "EssayRef",
    "EssayRow",
    "FeedRow",
    "IngestOutcome",
    "SchemaError",
    "Store",
    "StoreError",
    "fts_query",
]
