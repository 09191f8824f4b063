"""PostgreSQL: lone statements on plain psycopg connections, compiled once.

The request hot paths (every authenticated request's token check, a hold's room read and its
one-statement write, an Idempotency-Key's record) each run one statement that is its own
transaction. Through a SQLAlchemy connection such a statement costs 135-183 us of CPU, on a plain
psycopg connection 27-56 us (docs/performance.md, "Keyed holds"): the difference is SQLAlchemy's
per-execution machinery (the connection's checkout and events, the cache-key walk, the result
object), not the statement. So the statements stay SQLAlchemy Core (one home for the SQL, built
from the models) and are compiled once to the driver's SQL here; each runs server-side prepared on
an autocommitted connection kept in a small pool of this adapter's own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from psycopg.types.json import Json
from sqlalchemy import Engine, Executable
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import sqltypes
from sqlalchemy.sql.compiler import SQLCompiler


def psycopg_conninfo(database_url: str) -> str:
    """A SQLAlchemy URL (`postgresql+psycopg://`, as Settings normalizes it) as libpq takes it."""
    return database_url.replace("postgresql+psycopg://", "postgresql://", 1)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    defaults: dict[str, Any]  # values bound in the statement itself (literals in a WHERE)
    json_params: frozenset[str]  # psycopg sends a dict as JSON only when told so


class PostgresStatements:
    def __init__(self, engine: Engine, keep: int = 40) -> None:
        self._dialect = engine.dialect
        self._connections = _Connections(
            psycopg_conninfo(engine.url.render_as_string(hide_password=False)), keep
        )
        self._compiled: dict[int, _Compiled] = {}

    def first(self, statement: Executable, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        compiled = self._compile(statement)
        with self._connections.take() as connection:
            cursor = self._execute(connection, compiled, params)
            return cursor.fetchone() if cursor.description else None

    def run(self, statement: Executable, params: Mapping[str, Any]) -> None:
        compiled = self._compile(statement)
        with self._connections.take() as connection:
            self._execute(connection, compiled, params)

    def close(self) -> None:
        self._connections.close_idle()

    def _execute(
        self, connection: psycopg.Connection[Any], compiled: _Compiled, params: Mapping[str, Any]
    ) -> psycopg.Cursor[Any]:
        values = compiled.defaults | dict(params)
        for name in compiled.json_params & values.keys():
            values[name] = Json(values[name])
        try:
            return connection.execute(compiled.sql, values, prepare=True)
        except psycopg.Error as error:
            if isinstance(error, psycopg.OperationalError):
                self._connections.close_idle()  # the server went away: its other sessions too
            # SQLAlchemy's classes, as every other database call raises (the API maps them);
            # parameters hidden: a token's claims or a stored answer have no place in a log.
            raise DBAPIError.instance(
                compiled.sql, None, error, psycopg.Error, hide_parameters=True
            ) from error

    def _compile(self, statement: Executable) -> _Compiled:
        # Keyed by identity: the hot statements are module constants, compiled on first use.
        compiled = self._compiled.get(id(statement))
        if compiled is None:
            compiled = self._compiled[id(statement)] = _compile(statement, self._dialect)
        return compiled


def _compile(statement: Executable, dialect: Any) -> _Compiled:
    compiler = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    assert isinstance(compiler, SQLCompiler) and "POSTCOMPILE" not in compiler.string
    defaults = {k: v for k, v in compiler.construct_params(_check=False).items() if v is not None}
    json_params = frozenset(
        bind.key for bind in compiler.binds.values() if isinstance(bind.type, sqltypes.JSON)
    )
    return _Compiled(compiler.string, defaults, json_params)


class _Connections:
    """Autocommitted psycopg connections kept for reuse: the most recently used first (its
    server process is warm), a new one opened when none is idle, so a database that is down
    fails the request at once (503) instead of waiting for a pool."""

    def __init__(self, conninfo: str, keep: int) -> None:
        self._conninfo = conninfo
        self._keep = keep
        self._idle: list[psycopg.Connection[Any]] = []
        self._lock = threading.Lock()

    @contextmanager
    def take(self) -> Iterator[psycopg.Connection[Any]]:
        with self._lock:
            connection = self._idle.pop() if self._idle else None
        if connection is None:
            connection = self._open()
        try:
            yield connection
        finally:
            self._give_back(connection)

    def close_idle(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def _open(self) -> psycopg.Connection[Any]:
        try:
            return psycopg.connect(self._conninfo, autocommit=True)
        except psycopg.Error as error:
            raise DBAPIError.instance(None, None, error, psycopg.Error) from error

    def _give_back(self, connection: psycopg.Connection[Any]) -> None:
        usable = (
            not connection.closed
            and not connection.broken
            and connection.info.transaction_status == TransactionStatus.IDLE
        )
        with self._lock:
            if usable and len(self._idle) < self._keep:
                self._idle.append(connection)
                return
        connection.close()
