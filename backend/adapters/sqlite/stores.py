"""SQLite stores and shortcuts.

SQLite has no data-modifying CTEs and no network round trips to save: each shortcut is a plain
transaction of the shared stores' statements, with the same all-or-nothing outcome as the
PostgreSQL statement (backend/adapters/postgres/shortcuts.py). Its write lock is the whole
database (BEGIN IMMEDIATE, backend/db.py), so no row locks are needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, bindparam, insert, select, update
from sqlalchemy.dialects import sqlite
from sqlmodel import Session

from backend.adapters.sql import APPEND_EVENT, ORDERS, Statements, sql_stores
from backend.models import Booking, BookingStatus, Order, OrderStatus, OutboxMessage
from backend.ports import (
    LockedHold,
    MovedOrder,
    NewPayment,
    OrderMove,
    OrderPlacement,
    PlacedHold,
    PlacedOrder,
    Stores,
)
from backend.saga.events import Event, InventoryReserved

STATEMENTS = Statements(sqlite)
_BOOKINGS = Booking.__table__  # type: ignore[attr-defined]
_INSERT_BOOKING = insert(_BOOKINGS).returning(_BOOKINGS.c.id)
_INSERT_EVENT = insert(OutboxMessage.__table__)  # type: ignore[attr-defined]
_CONFIRM_HELD = (
    update(_BOOKINGS)
    .where(_BOOKINGS.c.id == bindparam("booking_id"))
    .where(_BOOKINGS.c.status == str(BookingStatus.HELD))
    .values(status=str(BookingStatus.CONFIRMED), updated_at=bindparam("now"))
    .returning(_BOOKINGS.c.id)
)

_MOVE_FROM = (
    update(ORDERS)
    .where(ORDERS.c.id == bindparam("order_id"))
    .where(ORDERS.c.status == bindparam("source"))
    .values(status=bindparam("target"), updated_at=bindparam("at"))
    .returning(ORDERS.c.user_id, ORDERS.c.amount, ORDERS.c.currency, ORDERS.c.created_at)
)

_HOLD = select(
    _BOOKINGS.c.user_id, _BOOKINGS.c.status, _BOOKINGS.c.hold_expires_at,
    _BOOKINGS.c.total_price, _BOOKINGS.c.currency,
).where(_BOOKINGS.c.id == bindparam("booking_id"))  # fmt: skip


def sqlite_stores(session: Session) -> Stores:
    return sql_stores(session, STATEMENTS)


class SqliteShortcuts:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record_charge_outcome(
        self, consumer: str, message_id: str, payment: NewPayment | None, outcome: Event
    ) -> None:
        with Session(self.engine) as session, session.begin():
            stores = sqlite_stores(session)
            if not stores.processed.record(consumer, message_id):
                return
            if payment is not None and not stores.payments.add(payment):
                return  # the sweeper recorded this charge and settled the order already
            stores.outbox.emit(outcome)

    def confirm_live_hold(
        self, consumer: str, message_id: str, reserved: InventoryReserved, now: datetime
    ) -> bool:
        try:
            with Session(self.engine) as session, session.begin():
                stores = sqlite_stores(session)
                params = {"booking_id": reserved.booking_id, "now": now}
                if session.execute(_CONFIRM_HELD, params).first() is None:
                    return False  # not held (any more): the general path decides; nothing written
                if not stores.processed.record(consumer, message_id):
                    raise _NothingWritten
                stores.outbox.emit(reserved)
                return True
        except _NothingWritten:
            return False

    def place_order(self, placement: OrderPlacement) -> PlacedOrder:
        with Session(self.engine) as session, session.begin():  # the write lock: no row locks
            found = session.connection().execute(_HOLD, {"booking_id": placement.booking_id})
            booking = found.first()
            if booking is None:
                return PlacedOrder(None, None)
            hold = LockedHold(booking.user_id, booking.status, booking.hold_expires_at)
            live = booking.status == BookingStatus.HELD and booking.hold_expires_at > placement.at
            if booking.user_id != placement.user_id or not live:
                return PlacedOrder(hold, None)
            order = Order(
                user_id=placement.user_id, booking_id=placement.booking_id,
                status=OrderStatus.PENDING, amount=booking.total_price, currency=booking.currency,
                refunded_amount=Decimal("0"), created_at=placement.at, updated_at=placement.at,
            )  # fmt: skip
            stores = sqlite_stores(session)
            if not stores.orders.create(order):
                return PlacedOrder(hold, None)
            detail = placement.detail.replace("{amount}", str(order.amount))
            detail = detail.replace("{currency}", order.currency)
            entry: dict[str, Any] = {"order_id": order.id, "type": placement.event_type,
                                     "at": placement.at, "detail": detail, "data": {}}  # fmt: skip
            session.connection().execute(APPEND_EVENT, entry)
            filled = {"order_id": order.id, "amount": order.amount, "currency": order.currency}
            stores.outbox.emit(placement.created.model_copy(update=filled))
            return PlacedOrder(hold, order)

    def move_order(self, consumer: str, message_id: str, move: OrderMove) -> MovedOrder | None:
        try:
            with Session(self.engine) as session, session.begin():
                connection = session.connection()
                params = {"order_id": move.order_id, "source": str(move.source),
                          "target": str(move.target), "at": move.at}  # fmt: skip
                order = connection.execute(_MOVE_FROM, params).first()
                if order is None:
                    return None  # not in the source status: the general path decides
                if not sqlite_stores(session).processed.record(consumer, message_id):
                    raise _NothingWritten
                detail = move.detail.replace("{amount}", str(order.amount))
                detail = detail.replace("{currency}", order.currency)
                entry = {"order_id": move.order_id, "type": move.event_type, "at": move.at,
                         "detail": detail, "data": move.data}  # fmt: skip
                connection.execute(APPEND_EVENT, entry)
                return MovedOrder(move.order_id, order.user_id, move.target, order.created_at,
                                  move.at)  # fmt: skip
        except _NothingWritten:
            return None


class SqliteHolds:
    """A hold as one transaction: reserve every night, then the booking and its outbox row."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def place(
        self, booking: dict[str, Any], stay: Sequence[date], rooms: int, event: dict[str, Any]
    ) -> PlacedHold:
        try:
            with Session(self.engine) as session, session.begin():
                taken = sqlite_stores(session).nights.reserve(booking["room_type_id"], stay, rooms)
                if len(taken) < len(stay):
                    raise _Full(min(set(stay) - set(taken)))
                connection = session.connection()
                booking_id = connection.execute(_INSERT_BOOKING, booking).scalar_one()
                row = event | {"payload": event["payload"] | {"booking_id": booking_id}}
                connection.execute(_INSERT_EVENT, row)
                return PlacedHold(booking_id)
        except _Full as full:
            return PlacedHold(None, full.night)


class _Full(Exception):
    """Rolls the hold's transaction back: a night of the stay has no room left."""

    def __init__(self, night: date) -> None:
        self.night = night


class _NothingWritten(Exception):
    """Rolls the shortcut's transaction back: the message was recorded already."""
