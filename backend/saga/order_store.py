"""Orders and their timeline, read and written with Core statements (no ORM unit of work).

The saga's hottest writes: the ORM's object bookkeeping and flush cost more CPU per step than
the statements themselves. An order is read under its row lock into a detached `Order`,
`order_state` decides what changes, and `move` (or `save` + `append`) writes it back; `create`
inserts a new one. Every statement is built once, so its compiled form is reused by every message.

On PostgreSQL the two commonest pairs are one statement each (data-modifying CTEs, same
transaction, same effects): `claim` inserts the consumer's processed-message row and locks the
order, `move` updates the order and appends its timeline entry. SQLite runs them one by one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Insert,
    Select,
    Table,
    bindparam,
    exists,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from backend.models import Order, OrderEvent, ProcessedMessage, utcnow
from backend.saga.consumer import record_message

ORDERS: Table = Order.__table__  # type: ignore[attr-defined]
_EVENTS: Table = OrderEvent.__table__  # type: ignore[attr-defined]
_SAVE = (
    update(ORDERS)
    .where(ORDERS.c.id == bindparam("saved_id"))
    .values(
        status=bindparam("new_status"),
        updated_at=bindparam("new_updated_at"),
        refunded_amount=bindparam("new_refunded_amount"),
    )
)
_APPEND = insert(_EVENTS)
_LOCK_BY_ID = ORDERS.select().where(ORDERS.c.id == bindparam("order_id")).with_for_update()
_EXISTS_BY_ID = select(ORDERS.c.id).where(ORDERS.c.id == bindparam("order_id"))
# Postgres: the UPDATE rides along as a CTE of the timeline INSERT (one round trip).
_MOVE = _APPEND.add_cte(_SAVE.returning(ORDERS.c.id).cte("saved"))


def _claim() -> Select[Any]:
    processed: Table = ProcessedMessage.__table__  # type: ignore[attr-defined]
    seen = (
        postgresql.insert(processed)
        .values(
            consumer=bindparam("consumer"),
            message_id=bindparam("message_id"),
            processed_at=bindparam("processed_at"),
        )
        .on_conflict_do_nothing()
        .returning(processed.c.message_id)
        .cte("seen")
    )
    return (
        select(ORDERS)
        .where(ORDERS.c.id == bindparam("order_id"))
        .where(exists(select(seen.c.message_id)))
        .with_for_update(of=ORDERS)
    )


_CLAIM = _claim()


def _create(dialect: Any) -> Insert:
    # One order per booking (unique booking_id): a second one inserts nothing, under no race.
    return (
        dialect.insert(ORDERS)
        .on_conflict_do_nothing(index_elements=[ORDERS.c.booking_id])
        .returning(ORDERS.c.id)
    )


_CREATES = {"postgresql": _create(postgresql), "sqlite": _create(sqlite)}
_CREATED_COLUMNS = (
    "user_id", "booking_id", "status", "amount", "currency", "refunded_amount", "created_at",
    "updated_at",
)  # fmt: skip


def create(session: Session, order: Order) -> bool:
    """Insert the order and set its id; False (nothing inserted) when its booking has one."""
    statement = _CREATES[session.get_bind().dialect.name]
    row = {name: getattr(order, name) for name in _CREATED_COLUMNS}
    row["status"] = str(order.status)
    inserted = session.execute(statement, row).first()
    if inserted is None:
        return False
    order.id = inserted.id
    return True


def claim(
    session: Session, consumer: str, message_id: str, order_id: int
) -> tuple[bool, Order | None]:
    """Record the message as processed by `consumer` and lock its order.

    Returns (False, None) for a message processed already, else (True, the order or None).
    """
    if session.get_bind().dialect.name != "postgresql":
        if not record_message(session, consumer, message_id):
            return False, None
        return True, locked_by_id(session, order_id)
    params = {
        "consumer": consumer, "message_id": message_id, "processed_at": utcnow(),
        "order_id": order_id,
    }  # fmt: skip
    found = session.execute(_CLAIM, params).first()
    if found is not None:
        return True, Order(**found._mapping)
    # No row: a duplicate (the processed row was there), or no such order. Only the order's
    # absence makes the message bad; the transaction then rolls back, processed row included.
    # Asked without a lock: a duplicate must not hold up the order's next message.
    if session.execute(_EXISTS_BY_ID, {"order_id": order_id}).first() is not None:
        return False, None
    return True, None


def locked_by_id(session: Session, order_id: int) -> Order | None:
    found = session.execute(_LOCK_BY_ID, {"order_id": order_id}).first()
    return Order(**found._mapping) if found is not None else None


def locked(session: Session, condition: ColumnElement[bool]) -> Order | None:
    """The order matching `condition`, read under its row lock, as a detached `Order`."""
    # SQLite has no FOR UPDATE (SQLAlchemy leaves it out): its write lock is the whole database.
    found = session.execute(ORDERS.select().where(condition).with_for_update()).first()
    return Order(**found._mapping) if found is not None else None


def move(session: Session, order: Order, entry: OrderEvent) -> None:
    """`save` the order and `append` the timeline entry that explains the change."""
    if session.get_bind().dialect.name != "postgresql":
        save(session, order)
        append(session, entry)
        return
    session.execute(_MOVE, _saved(order) | _entry(entry))


def save(session: Session, order: Order) -> None:
    """Write back the columns the saga changes (status, updated_at, refunded_amount)."""
    session.execute(_SAVE, _saved(order))


def append(session: Session, entry: OrderEvent) -> None:
    """Add a timeline entry (one INSERT)."""
    session.execute(_APPEND, _entry(entry))


def _saved(order: Order) -> dict[str, Any]:
    return {
        "saved_id": order.id,
        "new_status": str(order.status),
        "new_updated_at": order.updated_at,
        "new_refunded_amount": order.refunded_amount,
    }


def _entry(entry: OrderEvent) -> dict[str, Any]:
    return {
        "order_id": entry.order_id,
        "type": entry.type,
        "at": entry.at,
        "detail": entry.detail,
        "data": entry.data,
    }
