"""The `SagaShortcuts.move_order` and `place_order` contracts (backend/ports.py), both adapters.

Local mode runs the SQLite adapter (a plain transaction of the shared statements), full mode the
PostgreSQL one (one statement on the psycopg connection). `move_order` must move an order only
from the move's source status and only for a new message, and otherwise write nothing at all, so
that the orders step's general path can take over with nothing half done. `place_order` must
create an order (with its timeline entry and OrderCreated) only for a live hold of the guest
without an order, and report what it read of the booking either way.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from factories import make_hotel, stay
from sagas import fast_user
from sqlalchemy import text
from sqlmodel import col, select

from backend.context import Context
from backend.db import transaction
from backend.models import (
    Booking,
    BookingStatus,
    Order,
    OrderEvent,
    OrderStatus,
    OutboxMessage,
    ProcessedMessage,
)
from backend.ports import OrderMove, OrderPlacement
from backend.saga.events import OrderCreated
from backend.saga.orders import CHARGED, CONFIRMED
from backend.services.booking import HoldRequest, hold_room
from backend.unit_of_work import UnitOfWork

CONSUMER = "contracts.consumer"
OTHER_CONSUMER = "contracts.other"
MISSING_ID = 987_654


def _message_id() -> str:
    return str(uuid.uuid4())


@contextmanager
def _committed(ctx: Context) -> Iterator[UnitOfWork]:
    with ctx.unit_of_work() as uow:
        yield uow
        uow.commit()


def _created_order(ctx: Context, price: str = "120.00") -> Order:
    """A pending order for a fresh two-night hold (a total of twice `price`)."""
    _, room_type_id = make_hotel(ctx, rooms=1, price=price)
    _, user_id = fast_user(ctx, "guest@example.com")
    check_in, check_out = stay(nights=2)
    booking = hold_room(ctx, HoldRequest(user_id, room_type_id, check_in, check_out, 2))
    order = Order(
        user_id=booking.user_id,
        booking_id=booking.id or 0,
        amount=booking.total_price,
        currency=booking.currency,
    )
    with _committed(ctx) as uow:
        assert uow.orders.create(order)
    return order


def _paid(order_id: int, at: datetime, charge_ref: str = "ch_1") -> OrderMove:
    data = {"charge_ref": charge_ref}
    return OrderMove(
        order_id, OrderStatus.PENDING, OrderStatus.PAID, "PaymentSucceeded", at, CHARGED, data
    )


def _confirmed(order_id: int, at: datetime) -> OrderMove:
    return OrderMove(
        order_id, OrderStatus.PAID, OrderStatus.CONFIRMED, "InventoryReserved", at, CONFIRMED, {}
    )


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _order(ctx: Context, order_id: int) -> Order:
    with transaction(ctx.engine) as session:
        order = session.get(Order, order_id)
    assert order is not None
    return order


def _timeline(ctx: Context, order_id: int) -> list[tuple[str, str, dict[str, Any], datetime]]:
    with transaction(ctx.engine) as session:
        rows = session.exec(
            select(OrderEvent)
            .where(col(OrderEvent.order_id) == order_id)
            .order_by(col(OrderEvent.id))
        ).all()
    return [(r.type, r.detail, r.data, _utc(r.at)) for r in rows]


def _processed(ctx: Context, message_id: str) -> list[str]:
    with transaction(ctx.engine) as session:
        rows = session.exec(
            select(ProcessedMessage).where(col(ProcessedMessage.message_id) == message_id)
        ).all()
    return sorted(row.consumer for row in rows)


def _snapshot(ctx: Context) -> dict[str, list[tuple[Any, ...]]]:
    tables = {
        "processed_messages": "consumer, message_id",
        "orders": "id, status, updated_at, refunded_amount",
        "order_events": "order_id, type, detail",
        "outbox": "event_type, message_id",
        "bookings": "id, status",
    }
    with ctx.engine.connect() as conn:
        return {
            table: [
                tuple(row)
                for row in conn.execute(text(f"SELECT {cols} FROM {table} ORDER BY 1, 2"))
            ]
            for table, cols in tables.items()
        }


def test_a_pending_order_is_moved_once(ctx: Context) -> None:
    order = _created_order(ctx)
    message, at = _message_id(), datetime.now(UTC) + timedelta(seconds=7)
    moved = ctx.shortcuts.move_order(CONSUMER, message, _paid(order.id or 0, at))
    assert moved is not None
    assert (moved.id, moved.user_id, moved.status, moved.updated_at) == (
        order.id,
        order.user_id,
        OrderStatus.PAID,
        at,
    )
    assert _utc(moved.created_at) == _utc(order.created_at)
    stored = _order(ctx, order.id or 0)
    assert (stored.status, _utc(stored.updated_at)) == (OrderStatus.PAID, at)
    assert (stored.amount, stored.refunded_amount) == (order.amount, order.refunded_amount)
    # The detail is the one the general path writes: the order's own amount and currency.
    detail = CHARGED.format(amount=stored.amount, currency=stored.currency)
    assert detail == "Charged 240.00 EUR."
    assert _timeline(ctx, order.id or 0) == [
        ("PaymentSucceeded", detail, {"charge_ref": "ch_1"}, at)
    ]
    assert _processed(ctx, message) == [CONSUMER]
    after_first = _snapshot(ctx)
    later = at + timedelta(seconds=5)
    assert ctx.shortcuts.move_order(CONSUMER, message, _paid(order.id or 0, later)) is None
    assert _snapshot(ctx) == after_first  # a redelivery writes nothing


def test_the_next_move_follows_from_the_status_the_first_left(ctx: Context) -> None:
    order = _created_order(ctx, price="99.50")
    at = datetime.now(UTC) + timedelta(seconds=3)
    assert ctx.shortcuts.move_order(CONSUMER, _message_id(), _paid(order.id or 0, at))
    done = at + timedelta(seconds=1)
    moved = ctx.shortcuts.move_order(OTHER_CONSUMER, _message_id(), _confirmed(order.id or 0, done))
    assert moved is not None and moved.status == OrderStatus.CONFIRMED and moved.updated_at == done
    assert _order(ctx, order.id or 0).status == OrderStatus.CONFIRMED
    assert [(t, d, data) for t, d, data, _ in _timeline(ctx, order.id or 0)] == [
        ("PaymentSucceeded", "Charged 199.00 EUR.", {"charge_ref": "ch_1"}),
        ("InventoryReserved", CONFIRMED, {}),
    ]


@pytest.mark.parametrize("status", [OrderStatus.PAID, OrderStatus.FAILED, OrderStatus.CONFIRMED])
def test_an_order_not_in_the_source_status_is_left_alone(ctx: Context, status: OrderStatus) -> None:
    order = _created_order(ctx)
    with transaction(ctx.engine) as session:
        stored = session.get(Order, order.id)
        assert stored is not None
        stored.status = status
        session.add(stored)
    before, message = _snapshot(ctx), _message_id()
    assert (
        ctx.shortcuts.move_order(CONSUMER, message, _paid(order.id or 0, datetime.now(UTC))) is None
    )
    assert _snapshot(ctx) == before
    assert _processed(ctx, message) == []


def test_a_recorded_message_moves_nothing(ctx: Context) -> None:
    order = _created_order(ctx)
    message = _message_id()
    with _committed(ctx) as uow:
        assert uow.processed.record(CONSUMER, message)
    before = _snapshot(ctx)
    assert (
        ctx.shortcuts.move_order(CONSUMER, message, _paid(order.id or 0, datetime.now(UTC))) is None
    )
    assert _snapshot(ctx) == before
    assert _order(ctx, order.id or 0).status == OrderStatus.PENDING
    # The same message is new to another consumer: that one moves the order.
    assert ctx.shortcuts.move_order(
        OTHER_CONSUMER, message, _paid(order.id or 0, datetime.now(UTC))
    )
    assert _order(ctx, order.id or 0).status == OrderStatus.PAID


def test_a_missing_order_moves_nothing(ctx: Context) -> None:
    _created_order(ctx)
    before, message = _snapshot(ctx), _message_id()
    assert ctx.shortcuts.move_order(CONSUMER, message, _paid(MISSING_ID, datetime.now(UTC))) is None
    assert _snapshot(ctx) == before
    assert _processed(ctx, message) == []


# -- place_order ------------------------------------------------------------------------------------


def _held(ctx: Context, email: str = "guest@example.com") -> Booking:
    _, room_type_id = make_hotel(ctx, rooms=1, price="120.00")
    _, user_id = fast_user(ctx, email)
    check_in, check_out = stay(nights=2)
    return hold_room(ctx, HoldRequest(user_id, room_type_id, check_in, check_out, 2))


def _placement(booking: Booking, at: datetime, user_id: int | None = None) -> OrderPlacement:
    guest = booking.user_id if user_id is None else user_id
    created = OrderCreated(
        order_id=0, booking_id=booking.id or 0, user_id=guest, amount=Decimal("0"), currency="",
        payment_token="tok_visa",
    )  # fmt: skip
    detail = f"Order for booking {booking.id}: {{amount}} {{currency}}."
    return OrderPlacement(guest, booking.id or 0, at, "OrderCreated", detail, created)


def _outbox(ctx: Context, event_type: str) -> list[dict[str, Any]]:
    with transaction(ctx.engine) as session:
        rows = session.exec(
            select(OutboxMessage).where(col(OutboxMessage.event_type) == event_type)
        ).all()
    return [row.payload for row in rows]


def test_a_live_hold_gets_one_order_with_its_entry_and_event(ctx: Context) -> None:
    booking = _held(ctx)
    at = datetime.now(UTC)
    placed = ctx.shortcuts.place_order(_placement(booking, at))
    assert placed.hold is not None and placed.order is not None
    assert (placed.hold.user_id, placed.hold.status) == (booking.user_id, BookingStatus.HELD)
    assert _utc(placed.hold.hold_expires_at) == _utc(booking.hold_expires_at)
    order = placed.order
    assert order.id is not None
    assert (order.user_id, order.booking_id, order.status) == (
        booking.user_id, booking.id, OrderStatus.PENDING
    )  # fmt: skip
    assert (order.amount, order.currency, order.refunded_amount) == (
        Decimal("240.00"), booking.currency, Decimal("0")
    )  # fmt: skip
    assert (order.created_at, order.updated_at) == (at, at)
    stored = _order(ctx, order.id)
    assert (stored.status, stored.amount, stored.currency) == (
        OrderStatus.PENDING, order.amount, order.currency
    )  # fmt: skip
    assert (_utc(stored.created_at), _utc(stored.updated_at)) == (at, at)
    detail = f"Order for booking {booking.id}: 240.00 {booking.currency}."
    assert _timeline(ctx, order.id) == [("OrderCreated", detail, {}, at)]
    expected = OrderCreated(
        order_id=order.id, booking_id=booking.id or 0, user_id=booking.user_id,
        amount=order.amount, currency=order.currency, payment_token="tok_visa",
    )  # fmt: skip
    assert _outbox(ctx, "OrderCreated") == [expected.model_dump(mode="json")]
    after_first = _snapshot(ctx)
    again = ctx.shortcuts.place_order(_placement(booking, at + timedelta(seconds=1)))
    assert again.order is None and again.hold is not None  # one order per booking
    assert again.hold.status == BookingStatus.HELD
    assert _snapshot(ctx) == after_first


def test_another_guests_hold_gets_no_order(ctx: Context) -> None:
    booking = _held(ctx)
    _, intruder = fast_user(ctx, "other@example.com")
    before = _snapshot(ctx)
    placed = ctx.shortcuts.place_order(_placement(booking, datetime.now(UTC), user_id=intruder))
    assert placed.order is None and placed.hold is not None
    assert placed.hold.user_id == booking.user_id  # what the caller tells NotFound by
    assert _snapshot(ctx) == before


@pytest.mark.parametrize(
    "status", [BookingStatus.EXPIRED, BookingStatus.CANCELLED, BookingStatus.CONFIRMED]
)
def test_a_booking_no_longer_held_gets_no_order(ctx: Context, status: BookingStatus) -> None:
    booking = _held(ctx)
    with transaction(ctx.engine) as session:
        stored = session.get(Booking, booking.id)
        assert stored is not None
        stored.status = status
        session.add(stored)
    before = _snapshot(ctx)
    placed = ctx.shortcuts.place_order(_placement(booking, datetime.now(UTC)))
    assert placed.order is None and placed.hold is not None and placed.hold.status == status
    assert _snapshot(ctx) == before


def test_a_hold_past_its_deadline_gets_no_order(ctx: Context) -> None:
    booking = _held(ctx)
    before = _snapshot(ctx)
    for late in (booking.hold_expires_at, booking.hold_expires_at + timedelta(seconds=1)):
        placed = ctx.shortcuts.place_order(_placement(booking, late))
        assert placed.order is None and placed.hold is not None
        assert placed.hold.status == BookingStatus.HELD
    assert _snapshot(ctx) == before


def test_a_missing_booking_gets_nothing(ctx: Context) -> None:
    booking = _held(ctx)
    ghost = dataclasses.replace(booking, id=MISSING_ID)
    before = _snapshot(ctx)
    placed = ctx.shortcuts.place_order(_placement(ghost, datetime.now(UTC)))
    assert (placed.hold, placed.order) == (None, None)
    assert _snapshot(ctx) == before
