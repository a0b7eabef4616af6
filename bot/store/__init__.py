"""The only place with SQL: one connection owner, typed queries over dataclasses."""

from bot.store.base import StoreError
from bot.store.lookup import EssayRef, fts_query
from bot.store.migrate import SchemaError
from bot.store.store import (
    ArchiveSpan,
    EssayBrief,
    EssayRow,
    FeedRow,
    IngestOutcome,
    NeighbourList,
    RelatedVector,
    Store,
)

__all__ = [
    "ArchiveSpan",
    "EssayBrief",
    "EssayRef",
    "EssayRow",
    "FeedRow",
    "IngestOutcome",
    "NeighbourList",
    "RelatedVector",
    "SchemaError",
    "Store",
    "StoreError",
    "fts_query",
]
