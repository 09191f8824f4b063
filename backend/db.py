"""Database engine and transactions for both SQLite (local mode) and PostgreSQL (full mode)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlmodel import Session

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    # The request hot paths' lone statements run on connections of their own
    # (backend/adapters/postgres/statements.py, up to one per request thread); this pool serves
    # the units of work: a saga worker's threads, the API's colder routes. Bursts past it open
    # overflow connections (each a SCRAM handshake) rather than queueing.
    # No pre-ping: it costs a round trip per checkout; a connection the server dropped fails one
    # request, and SQLAlchemy then discards every pooled connection at once.
    return create_engine(url, pool_size=20, max_overflow=20)


def _sqlite_engine(url: str) -> Engine:
    path = url.removeprefix("sqlite:///")
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin below own transactions instead of pysqlite's implicit ones.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return  # `autocommit` below: each statement is its own transaction, as on Postgres
        # IMMEDIATE takes the write lock up front: two writers never deadlock upgrading a read lock.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session that commits when the block ends and rolls back on any exception: for tests,
    benchmarks' and scripts' set-up and inspection. The backend's own code has one transaction
    idiom, the unit of work (backend/unit_of_work.py: `ctx.unit_of_work()`, explicit commit)."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def autocommit(engine: Engine) -> Iterator[Connection]:
    """A connection outside any transaction: each statement commits on its own (on Postgres: no
    BEGIN, no COMMIT round trips). For a lone read, or a write that is one statement."""
    with engine.connect() as connection:
        yield connection.execution_options(isolation_level="AUTOCOMMIT")


def migrate(url: str) -> None:
    """Bring the schema to the newest Alembic revision."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "heads")
