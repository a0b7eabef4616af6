"""The records both backends return: the SQLite store's dataclasses, imported in this one place.

(They move into one module of their own with the Store protocol; then only this file changes.)
"""

from bot.store.activity import BusySection, DigestRow, DigestSchedule, DigestState, PostedEssay, SectionStats
from bot.store.lookup import EssayChoice, EssayRef
from bot.store.publishing import (
    DestinationKind,
    DestinationRow,
    PlannedStep,
    PublicationRow,
    PublicationState,
    SectionThread,
    StepRow,
    StepState,
)
from bot.store.store import (
    ArchiveSpan,
    EssayBrief,
    EssayRow,
    FeedRow,
    IngestOutcome,
    IngestStatus,
    NeighbourList,
    RelatedVector,
)

__all__ = [
    "ArchiveSpan",
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
    "IngestOutcome",
    "IngestStatus",
    "NeighbourList",
    "PlannedStep",
    "PostedEssay",
    "PublicationRow",
    "PublicationState",
    "RelatedVector",
    "SectionStats",
    "SectionThread",
    "StepRow",
    "StepState",
]
