"""The stores both SQL databases share: SQLAlchemy Core statements, built once per dialect.

PostgreSQL and SQLite both speak INSERT .. ON CONFLICT; they differ only in which dialect's
`insert` builds it, so each adapter package instantiates `Statements` with its own. Core rather
than the ORM's unit of work: on the saga's and the hold's hot paths the ORM's object bookkeeping
cost more CPU than the statements.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from types import ModuleType
from typing import Any
from uuid import uuid4

from sqlalchemy import Insert, Table, bindparam, insert, update
from sqlmodel import Session

from backend.models import (
    Order,
    OrderEvent,
    OutboxMessage,
    Payment,
    ProcessedMessage,
    RoomInventory,
    utcnow,
)
from backend.ports import NewPayment, Stores
from backend.saga.events import Event

ORDERS: Table = Order.__table__  # type: ignore[attr-defined]
EVENTS: Table = OrderEvent.__table__  # type: ignore[attr-defined]
PROCESSED: Table = ProcessedMessage.__table__  # type: ignore[attr-defined]
PAYMENTS: Table = Payment.__table__  # type: ignore[attr-defined]
OUTBOX: Table = OutboxMessage.__table__  # type: ignore[attr-defined]
NIGHTS: Table = RoomInventory.__table__  # type: ignore[attr-defined]

SAVE_ORDER = (
    update(ORDERS)
    .where(ORDERS.c.id == bindparam("saved_id"))
    .values(
        status=bindparam("new_status"),
        updated_at=bindparam("new_updated_at"),
        refunded_amount=bindparam("new_refunded_amount"),
    )
)
APPEND_EVENT = insert(EVENTS)
_LOCK_ORDER = ORDERS.select().where(ORDERS.c.id == bindparam("order_id")).with_for_update()
_LOCK_ORDER_OF_BOOKING = (
    ORDERS.select().where(ORDERS.c.booking_id == bindparam("booking_id")).with_for_update()
)
_RELEASE_NIGHTS = (
    update(NIGHTS)
    .where(NIGHTS.c.room_type_id == bindparam("of_room_type"))
    .where(NIGHTS.c.night.in_(bindparam("stay", expanding=True)))
    .where(NIGHTS.c.reserved > 0)
    .values(reserved=NIGHTS.c.reserved - 1)
)
_OUTBOX_INSERT = insert(OUTBOX)
_CREATED_COLUMNS = (
    "user_id", "booking_id", "status", "amount", "currency", "refunded_amount", "created_at",
    "updated_at",
)  # fmt: skip


class Statements:
    """The INSERT .. ON CONFLICT statements of one dialect, compiled once and reused."""

    def __init__(self, dialect: ModuleType) -> None:
        self.record = (
            dialect.insert(PROCESSED).on_conflict_do_nothing().returning(PROCESSED.c.message_id)
        )
        self.add_payment = (
            dialect.insert(PAYMENTS)
            .on_conflict_do_nothing(index_elements=[PAYMENTS.c.idempotency_key])
            .returning(PAYMENTS.c.id)
        )
        # One order per booking (unique booking_id): a second one inserts nothing, under no race.
        self.create_order = (
            dialect.insert(ORDERS)
            .on_conflict_do_nothing(index_elements=[ORDERS.c.booking_id])
            .returning(ORDERS.c.id)
        )
        # Insert a night's row, or take one more room of it only while reserved < total.
        self.reserve_nights: Insert = (
            dialect.insert(NIGHTS)
            .on_conflict_do_update(
                index_elements=[NIGHTS.c.room_type_id, NIGHTS.c.night],
                set_={"reserved": NIGHTS.c.reserved + 1},
                where=NIGHTS.c.reserved < NIGHTS.c.total,
            )
            .returning(NIGHTS.c.night)
        )


def processed_row(consumer: str, message_id: str) -> dict[str, Any]:
    return {"consumer": consumer, "message_id": message_id, "processed_at": utcnow()}


def payment_row(payment: NewPayment) -> dict[str, Any]:
    return {
        "order_id": payment.order_id, "kind": str(payment.kind), "amount": payment.amount,
        "currency": payment.currency, "gateway_ref": payment.gateway_ref,
        "idempotency_key": payment.idempotency_key, "created_at": utcnow(),
    }  # fmt: skip


def outbox_rows(events: Sequence[Event]) -> list[dict[str, Any]]:
    now = utcnow()
    return [
        {
            "event_type": type(event).__name__,
            "payload": event.model_dump(mode="json"),
            "created_at": now,
            "message_id": str(uuid4()),
        }
        for event in events
    ]


def saved_order(order: Order) -> dict[str, Any]:
    return {
        "saved_id": order.id,
        "new_status": str(order.status),
        "new_updated_at": order.updated_at,
        "new_refunded_amount": order.refunded_amount,
    }


def event_row(entry: OrderEvent) -> dict[str, Any]:
    return {
        "order_id": entry.order_id,
        "type": entry.type,
        "at": entry.at,
        "detail": entry.detail,
        "data": entry.data,
    }


class SqlProcessedMessages:
    def __init__(self, session: Session, statements: Statements) -> None:
        self.session, self.statements = session, statements

    def record(self, consumer: str, message_id: str) -> bool:
        row = processed_row(consumer, message_id)
        return self.session.connection().execute(self.statements.record, row).first() is not None


class SqlRoomNights:
    def __init__(self, session: Session, statements: Statements) -> None:
        self.session, self.statements = session, statements

    def reserve(self, room_type_id: int, stay: Sequence[date], total: int) -> list[date]:
        """One multi-row INSERT .. ON CONFLICT for the whole stay (SQLAlchemy's
        "insertmanyvalues"); on Postgres it takes the row locks in the stay's order, and the CHECK
        (reserved <= total) rejects any overbooking even if every other guard failed."""
        if total < 1 or not stay:
            return []
        rows = [
            {"room_type_id": room_type_id, "night": n, "total": total, "reserved": 1} for n in stay
        ]
        return [
            night
            for (night,) in self.session.connection().execute(self.statements.reserve_nights, rows)
        ]

    def release(self, room_type_id: int, stay: Sequence[date]) -> None:
        if stay:
            params = {"of_room_type": room_type_id, "stay": list(stay)}
            self.session.connection().execute(_RELEASE_NIGHTS, params)


class SqlPayments:
    def __init__(self, session: Session, statements: Statements) -> None:
        self.session, self.statements = session, statements

    def add(self, payment: NewPayment) -> bool:
        row = payment_row(payment)
        return (
            self.session.connection().execute(self.statements.add_payment, row).first() is not None
        )


class SqlOutbox:
    def __init__(self, session: Session) -> None:
        self.session = session

    def emit(self, *events: Event) -> None:
        self.session.connection().execute(_OUTBOX_INSERT, outbox_rows(events))


class SqlOrders:
    """Orders read under their row lock into detached `Order`s and written back with Core."""

    def __init__(self, session: Session, statements: Statements) -> None:
        self.session, self.statements = session, statements

    def create(self, order: Order) -> bool:
        row = {name: getattr(order, name) for name in _CREATED_COLUMNS}
        row["status"] = str(order.status)
        inserted = self.session.connection().execute(self.statements.create_order, row).first()
        if inserted is None:
            return False
        order.id = inserted.id
        return True

    def claim(self, consumer: str, message_id: str, order_id: int) -> tuple[bool, Order | None]:
        row = processed_row(consumer, message_id)
        if self.session.connection().execute(self.statements.record, row).first() is None:
            return False, None
        return True, self.locked(order_id)

    def locked(self, order_id: int) -> Order | None:
        # SQLite has no FOR UPDATE (SQLAlchemy leaves it out): its write lock is the whole database.
        found = self.session.connection().execute(_LOCK_ORDER, {"order_id": order_id}).first()
        return Order(**found._mapping) if found is not None else None

    def locked_by_booking(self, booking_id: int) -> Order | None:
        found = (
            self.session.connection()
            .execute(_LOCK_ORDER_OF_BOOKING, {"booking_id": booking_id})
            .first()
        )
        return Order(**found._mapping) if found is not None else None

    def move(self, order: Order, entry: OrderEvent) -> None:
        self.save(order)
        self.append(entry)

    def save(self, order: Order) -> None:
        self.session.connection().execute(SAVE_ORDER, saved_order(order))

    def append(self, entry: OrderEvent) -> None:
        self.session.connection().execute(APPEND_EVENT, event_row(entry))


def sql_stores(
    session: Session, statements: Statements, orders: type[SqlOrders] = SqlOrders
) -> Stores:
    """The stores of one unit of work: the shared ones, with an adapter's own `Orders` if it has one."""
    return Stores(
        processed=SqlProcessedMessages(session, statements),
        nights=SqlRoomNights(session, statements),
        payments=SqlPayments(session, statements),
        orders=orders(session, statements),
        outbox=SqlOutbox(session),
    )
