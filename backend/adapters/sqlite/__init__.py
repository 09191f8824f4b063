"""SQLite adapters (local mode): the shared SQL stores; the saga's shortcuts as transactions."""

from backend.adapters.sqlite.stores import SqliteShortcuts, sqlite_stores

__all__ = ["SqliteShortcuts", "sqlite_stores"]
