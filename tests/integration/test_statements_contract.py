"""The Statements port (backend/ports.py) against both adapters: SQLAlchemy connections on SQLite
(backend/adapters/sqlite/statements.py), statements compiled once and run on plain psycopg
connections of the adapter's own on PostgreSQL (backend/adapters/postgres/statements.py).

The flows' own statements run through it in the hold, auth and Idempotency-Key tests; here the
port's promises: rows as tuples, literals bound inside a statement, JSON parameters, errors as
SQLAlchemy's, connections reused and a broken one not kept."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from threading import Barrier

import pytest
from sagas import fast_user
from sqlalchemy import Table, bindparam, func, insert, literal, select
from sqlalchemy.exc import IntegrityError, OperationalError

from backend.context import Context
from backend.models import IdempotencyRecord, User

RECORDS: Table = IdempotencyRecord.__table__  # type: ignore[attr-defined]
ANSWER = {"request_hash": "h" * 64, "status_code": 201, "response": {"id": 7, "tags": ["a"]}}
INSERT = insert(RECORDS).values(
    {c: bindparam(c) for c in ("user_id", "scope", "key", "created_at", *ANSWER)}
)
FIND = select(RECORDS.c.status_code, RECORDS.c.response).where(
    RECORDS.c.user_id == bindparam("user_id"), RECORDS.c.key == bindparam("key")
)
# A literal in the WHERE clause is bound by the statement itself, not by the caller.
NAMED = select(User.name).where(User.id == bindparam("uid"), User.name == literal("Guest"))  # type: ignore[arg-type]
COUNT = select(func.count()).select_from(RECORDS).where(RECORDS.c.user_id == bindparam("user_id"))


def _record(user_id: int, key: str) -> dict[str, object]:
    return {"user_id": user_id, "scope": "contract", "key": key, "created_at": datetime.now(UTC)}


def test_a_write_then_a_read_round_trips_json_and_returns_tuples(ctx: Context) -> None:
    _, user_id = fast_user(ctx, "statements-json@example.com")
    ctx.sql.run(INSERT, _record(user_id, "k1") | ANSWER)
    row = ctx.sql.first(FIND, {"user_id": user_id, "key": "k1"})
    assert row == (201, {"id": 7, "tags": ["a"]})
    assert isinstance(row, tuple)
    assert ctx.sql.first(FIND, {"user_id": user_id, "key": "nothing"}) is None


def test_literals_inside_the_statement_are_bound(ctx: Context) -> None:
    _, user_id = fast_user(ctx, "statements-literal@example.com")
    assert ctx.sql.first(NAMED, {"uid": user_id}) == ("Guest",)
    assert ctx.sql.first(NAMED, {"uid": user_id + 10_000}) is None


def test_a_unique_violation_is_sqlalchemys_integrity_error_and_writes_nothing(
    ctx: Context,
) -> None:
    _, user_id = fast_user(ctx, "statements-unique@example.com")
    ctx.sql.run(INSERT, _record(user_id, "same") | ANSWER)
    with pytest.raises(IntegrityError):
        ctx.sql.run(INSERT, _record(user_id, "same") | ANSWER | {"status_code": 500})
    assert ctx.sql.first(COUNT, {"user_id": user_id}) == (1,)
    # The connection that met the error is usable again (or was replaced): no aborted transaction.
    assert ctx.sql.first(FIND, {"user_id": user_id, "key": "same"}) == (201, ANSWER["response"])


def test_concurrent_statements_each_get_a_connection(ctx: Context) -> None:
    _, user_id = fast_user(ctx, "statements-threads@example.com")
    start = Barrier(16)

    def write(n: int) -> None:
        start.wait(timeout=10)
        ctx.sql.run(INSERT, _record(user_id, f"t{n}") | ANSWER)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(write, range(16)))
    assert ctx.sql.first(COUNT, {"user_id": user_id}) == (16,)


def test_a_dropped_connection_fails_one_statement_and_the_next_reconnects(
    ctx: Context, mode: str
) -> None:
    """A server that went away (a restart) answers OperationalError (the API's 503), and the
    adapter does not keep the dead connection."""
    _, user_id = fast_user(ctx, "statements-dropped@example.com")
    assert ctx.sql.first(NAMED, {"uid": user_id}) == ("Guest",)
    if mode == "full":
        # Every other session of this database is ended by the server, as a restart would.
        with ctx.engine.connect() as connection:
            connection.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            connection.commit()
        ctx.engine.dispose()  # the engine's own pooled sessions were ended too
        with pytest.raises(OperationalError):
            ctx.sql.first(NAMED, {"uid": user_id})
    assert ctx.sql.first(NAMED, {"uid": user_id}) == ("Guest",)
