"""PostgreSQL adapters: the shared SQL stores, one-statement forms of the hottest steps, and the
search sync's change feed with LISTEN/NOTIFY, and COPY for the seeder."""

from backend.adapters.postgres.bulk import PostgresHotelLoader
from backend.adapters.postgres.feed import PostgresFeed, PostgresNotifications
from backend.adapters.postgres.holds import PostgresHolds
from backend.adapters.postgres.shortcuts import PostgresShortcuts
from backend.adapters.postgres.statements import PostgresStatements
from backend.adapters.postgres.stores import postgres_stores

__all__ = [
    "PostgresFeed",
    "PostgresHolds",
    "PostgresHotelLoader",
    "PostgresNotifications",
    "PostgresShortcuts",
    "PostgresStatements",
    "postgres_stores",
]
