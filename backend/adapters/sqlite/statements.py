"""SQLite: lone statements through SQLAlchemy, each its own transaction (no driver of its own:
in local mode the database is a file in this process, and the statement is the cost)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, Executable

from backend.db import autocommit


class SqliteStatements:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def first(self, statement: Executable, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        with autocommit(self.engine) as connection:
            result = connection.execute(statement, dict(params))
            row = result.first() if result.returns_rows else None
        return None if row is None else tuple(row)

    def run(self, statement: Executable, params: Mapping[str, Any]) -> None:
        with autocommit(self.engine) as connection:
            connection.execute(statement, dict(params))

    def close(self) -> None:
        """Nothing of its own to close: the engine's pool is the engine's."""
