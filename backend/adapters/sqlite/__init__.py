"""SQLite adapters (local mode): the shared SQL stores, the saga's shortcuts as transactions, and
the search sync's change feed (flocks, no notifications)."""

from backend.adapters.sqlite.bulk import SqliteHotelLoader
from backend.adapters.sqlite.feed import SqliteFeed, SqliteNotifications
from backend.adapters.sqlite.statements import SqliteStatements
from backend.adapters.sqlite.stores import SqliteHolds, SqliteShortcuts, sqlite_stores

__all__ = [
    "SqliteFeed",
    "SqliteHolds",
    "SqliteHotelLoader",
    "SqliteNotifications",
    "SqliteShortcuts",
    "SqliteStatements",
    "sqlite_stores",
]
