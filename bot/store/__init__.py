"""The only place with SQL: the ``Store`` protocol, its records, and the SQLite backend behind it.

Callers depend on ``Store`` (``protocol.py``) and its dataclasses (``records.py``) and open one with
``open_store``; no database row, connection or driver leaves this package.
"""

from bot.store.backends import open_store
from bot.store.base import BackupCheckError, StoreError
from bot.store.lookup import search_words
from bot.store.migrate import SchemaError
from bot.store.protocol import Store
from bot.store.records import (
    ArchiveSpan,
    BusySection,
    DestinationKind,
    DestinationRow,
    DigestRow,
    DigestSchedule,
    DigestState,
    EssayBrief,
    EssayChoice,
    EssayRef,
    EssayRow,
    FeedRow,
    IngestOutcome,
    IngestStatus,
    NeighbourList,
    PlannedStep,
    PostedEssay,
    PublicationRow,
    PublicationState,
    RelatedVector,
    SectionStats,
    SectionThread,
    Shards,
    StemStatistic,
    StepRow,
    StepState,
)
from bot.store.scope import ALL_SERVERS, GuildScope
from bot.store.store import SQLiteStore

__all__ = [
    "ALL_SERVERS",
    "ArchiveSpan",
    "BackupCheckError",
    "BusySection",
    "DestinationKind",
    "DestinationRow",
    "DigestRow",
    "DigestSchedule",
    "DigestState",
    "EssayBrief",
    "EssayChoice",
    "EssayRef",
    "EssayRow",
    "FeedRow",
    "GuildScope",
    "IngestOutcome",
    "IngestStatus",
    "NeighbourList",
    "PlannedStep",
    "PostedEssay",
    "PublicationRow",
    "PublicationState",
    "RelatedVector",
    "SQLiteStore",
    "SchemaError",
    "SectionStats",
    "SectionThread",
    "Shards",
    "StemStatistic",
    "StepRow",
    "StepState",
    "Store",
    "StoreError",
    "open_store",
    "search_words",
]
