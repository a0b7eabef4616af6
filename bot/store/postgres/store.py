"""``PostgresStore``: the Store's methods over a PostgreSQL database shared by several bot processes."""

from __future__ import annotations

from bot.store.postgres.activity import ActivityQueries
from bot.store.postgres.feeds import FeedQueries
from bot.store.postgres.leases import LeaseQueries
from bot.store.postgres.lookup import LookupQueries
from bot.store.postgres.maintenance import MaintenanceQueries
from bot.store.postgres.publishing import PublishingQueries
from bot.store.postgres.related import RelatedQueries


class PostgresStore(
    LookupQueries, RelatedQueries, FeedQueries, PublishingQueries, ActivityQueries, MaintenanceQueries, LeaseQueries
):
    """All typed queries of the PostgreSQL backend over one connection pool (see PostgresBase)."""
