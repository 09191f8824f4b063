"""PostgreSQL adapters: the shared SQL stores, plus one-statement forms of the hottest steps."""

from backend.adapters.postgres.shortcuts import PostgresShortcuts
from backend.adapters.postgres.stores import postgres_stores

__all__ = ["PostgresShortcuts", "postgres_stores"]
