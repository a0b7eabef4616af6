"""The PostgreSQL backend of the store: several bot processes over one database (``DATABASE_URL``).

Imported only when a ``postgresql://`` address selects it, so that the SQLite default needs no driver.
"""

from bot.store.postgres.leases import Shards
from bot.store.postgres.store import PostgresStore

__all__ = ["PostgresStore", "Shards"]
