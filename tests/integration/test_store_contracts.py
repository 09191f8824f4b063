"""The storage ports (backend/ports.py), one contract per port, against both adapters.

Each test runs in local mode (backend/adapters/sqlite/: the shared Core statements, the shortcuts
as plain transactions) and in full mode (backend/adapters/postgres/: the same statements plus the
one-statement claim, move and shortcuts), so every PostgreSQL statement is exercised directly
here, not only through the saga's flow tests.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from factories import make_hotel, stay
from sagas import fast_user
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
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
    Payment,
    PaymentKind,
    ProcessedMessage,
    RoomInventory,
)
from backend.ports import NewPayment
from backend.saga.events import Event, InventoryReserved, PaymentFailed, PaymentSucceeded
from backend.saga.order_state import timeline_entry
from backend.saga.status_bus import StatusChange, Subscription
from backend.services.booking import HoldRequest, hold_room
from backend.unit_of_work import UnitOfWork, processed_key

CONSUMER = "contracts.consumer"
OTHER_CONSUMER = "contracts.other"
MISSING_ID = 987_654
# What the saga writes to the outbox (a hold writes a BookingHeld row of its own).
SAGA_EVENTS = ("PaymentSucceeded", "PaymentFailed", "InventoryReserved", "InventoryFailed")


# -- building rows --------------------------------------------------------------------------------


def _message_id() -> str:
    return str(uuid.uuid4())


def _held_booking(ctx: Context, email: str = "guest@example.com") -> Booking:
    """A fresh hotel with one room, held for two nights by the user of that email."""
    _, room_type_id = make_hotel(ctx, rooms=1, price="120.00")
    _, user_id = fast_user(ctx, email)
    check_in, check_out = stay(nights=2)
    return hold_room(ctx, HoldRequest(user_id, room_type_id, check_in, check_out, 2))


def _new_order(booking: Booking) -> Order:
    return Order(
        user_id=booking.user_id,
        booking_id=booking.id or 0,
        amount=booking.total_price,
        currency=booking.currency,
    )


def _created_order(ctx: Context) -> Order:
    order = _new_order(_held_booking(ctx))
    with _committed(ctx) as uow:
        assert uow.orders.create(order)
    return order


def _charge(order: Order, key: str = "", gateway_ref: str = "ch_first") -> NewPayment:
    return NewPayment(
        order_id=order.id or 0,
        kind=PaymentKind.CHARGE,
        amount=order.amount,
        currency=order.currency,
        gateway_ref=gateway_ref,
        idempotency_key=key or f"charge:{order.id}",
    )


def _succeeded(order: Order, charge_ref: str = "ch_first") -> PaymentSucceeded:
    return PaymentSucceeded(
        order_id=order.id or 0,
        booking_id=order.booking_id,
        amount=order.amount,
        currency=order.currency,
        charge_ref=charge_ref,
    )


def _reserved(booking: Booking, order_id: int = 1) -> InventoryReserved:
    return InventoryReserved(order_id=order_id, booking_id=booking.id or 0, charge_ref="ch_first")


def _nights(count: int, days_ahead: int = 40) -> list[date]:
    first = date.today() + timedelta(days=days_ahead)
    return [first + timedelta(days=n) for n in range(count)]


@contextmanager
def _committed(ctx: Context) -> Iterator[UnitOfWork]:
    with ctx.unit_of_work() as uow:
        yield uow
        uow.commit()


def _set_booking_status(ctx: Context, booking_id: int, status: BookingStatus) -> None:
    with transaction(ctx.engine) as session:
        booking = session.get(Booking, booking_id)
        assert booking is not None
        booking.status = status
        session.add(booking)


# -- reading rows ----------------------------------------------------------------------------------


def _rows(ctx: Context, model: Any, *where: Any) -> list[Any]:
    with transaction(ctx.engine) as session:
        statement = select(model)
        if where:
            statement = statement.where(*where)
        return list(session.exec(statement).all())


def _processed(ctx: Context, message_id: str) -> list[str]:
    rows = _rows(ctx, ProcessedMessage, col(ProcessedMessage.message_id) == message_id)
    return sorted(row.consumer for row in rows)


def _outbox(ctx: Context) -> list[OutboxMessage]:
    return sorted(_rows(ctx, OutboxMessage), key=lambda row: row.id or 0)


def _outbox_of(ctx: Context, *event_types: str) -> list[tuple[str, dict[str, Any]]]:
    return [(r.event_type, r.payload) for r in _outbox(ctx) if r.event_type in event_types]


def _written(event: Event) -> tuple[str, dict[str, Any]]:
    """The (event_type, payload) an outbox row of the event must hold."""
    return type(event).__name__, event.model_dump(mode="json")


def _night_rows(ctx: Context, room_type_id: int) -> dict[date, tuple[int, int]]:
    rows = _rows(ctx, RoomInventory, col(RoomInventory.room_type_id) == room_type_id)
    return {row.night: (row.total, row.reserved) for row in rows}


def _order(ctx: Context, order_id: int) -> Order:
    with transaction(ctx.engine) as session:
        order = session.get(Order, order_id)
    assert order is not None
    return order


def _fields(order: Order) -> tuple[Any, ...]:
    """Every column of an order, comparable whichever way it was read."""
    return (
        order.id, order.user_id, order.booking_id, str(order.status), order.amount,
        order.currency, order.refunded_amount, _utc(order.created_at), _utc(order.updated_at),
    )  # fmt: skip


def _booking(ctx: Context, booking_id: int) -> Booking:
    with transaction(ctx.engine) as session:
        booking = session.get(Booking, booking_id)
    assert booking is not None
    return booking


def _timeline(ctx: Context, order_id: int) -> list[tuple[str, str, dict[str, Any], datetime]]:
    rows = _rows(ctx, OrderEvent, col(OrderEvent.order_id) == order_id)
    return [(r.type, r.detail, r.data, _utc(r.at)) for r in sorted(rows, key=lambda r: r.id or 0)]


def _utc(moment: datetime) -> datetime:
    """The same instant whether a driver hands it back aware or naive (UTC)."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


_TABLES = {
    "processed_messages": "consumer, message_id",
    "room_inventory": "room_type_id, night, total, reserved",
    "payments": "order_id, kind, amount, idempotency_key",
    "orders": "id, booking_id, status, refunded_amount",
    "order_events": "order_id, type",
    "outbox": "event_type, message_id",
    "bookings": "id, status",
}


def _snapshot(ctx: Context) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the stores and shortcuts write, table by table."""
    with ctx.engine.connect() as conn:
        return {
            table: [
                tuple(row)
                for row in conn.execute(text(f"SELECT {cols} FROM {table} ORDER BY 1, 2"))
            ]
            for table, cols in _TABLES.items()
        }


def _changes(updates: Subscription, wait: float, event: str) -> list[StatusChange]:
    """The changes pushed for `event` (unique per test: another session on the same Redis may
    push changes of an order with the same id)."""
    seen = []
    while (change := updates.get(timeout=wait)) is not None:
        if change.event == event:
            seen.append(change)
    return seen


# -- ProcessedMessages ------------------------------------------------------------------------------


def test_processed_record_is_true_once_per_consumer_and_message(ctx: Context) -> None:
    message, other_message = _message_id(), _message_id()
    with _committed(ctx) as uow:
        assert uow.processed.record(CONSUMER, message) is True
        assert uow.processed.record(CONSUMER, message) is False
        assert uow.processed.record(OTHER_CONSUMER, message) is True
        assert uow.processed.record(CONSUMER, other_message) is True
    with ctx.unit_of_work() as uow:  # committed: every later unit of work finds them
        assert uow.processed.record(CONSUMER, message) is False
        assert uow.processed.record(OTHER_CONSUMER, message) is False
        assert uow.processed.record(CONSUMER, other_message) is False
    assert _processed(ctx, message) == [CONSUMER, OTHER_CONSUMER]
    assert _processed(ctx, other_message) == [CONSUMER]


# -- RoomNights ---------------------------------------------------------------------------------------


def test_reserve_inserts_a_row_per_night(ctx: Context) -> None:
    _, room_type_id = make_hotel(ctx, rooms=3)
    nights = _nights(3)
    with _committed(ctx) as uow:
        assert sorted(uow.nights.reserve(room_type_id, nights, 3)) == nights
    assert _night_rows(ctx, room_type_id) == {night: (3, 1) for night in nights}


def test_reserve_takes_a_room_while_one_is_free(ctx: Context) -> None:
    _, room_type_id = make_hotel(ctx, rooms=2)
    nights = _nights(2)
    for _ in range(2):
        with _committed(ctx) as uow:
            assert sorted(uow.nights.reserve(room_type_id, nights, 2)) == nights
    assert _night_rows(ctx, room_type_id) == {night: (2, 2) for night in nights}
    with _committed(ctx) as uow:  # every room taken on every night
        assert uow.nights.reserve(room_type_id, nights, 2) == []
    assert _night_rows(ctx, room_type_id) == {night: (2, 2) for night in nights}


def test_reserve_returns_only_the_nights_taken_when_one_is_full(ctx: Context) -> None:
    _, room_type_id = make_hotel(ctx, rooms=1)
    first, full, last = _nights(3)
    with _committed(ctx) as uow:
        assert uow.nights.reserve(room_type_id, [full], 1) == [full]
    with _committed(ctx) as uow:
        assert sorted(uow.nights.reserve(room_type_id, [first, full, last], 1)) == [first, last]
    assert _night_rows(ctx, room_type_id) == {first: (1, 1), full: (1, 1), last: (1, 1)}


def test_reserve_takes_nothing_without_rooms_or_nights(ctx: Context) -> None:
    _, room_type_id = make_hotel(ctx, rooms=1)
    with _committed(ctx) as uow:
        assert uow.nights.reserve(room_type_id, _nights(2), 0) == []
        assert uow.nights.reserve(room_type_id, [], 1) == []
    assert _night_rows(ctx, room_type_id) == {}


def test_reserve_keeps_room_types_apart(ctx: Context) -> None:
    _, one = make_hotel(ctx, rooms=1, name="Hotel One")
    _, other = make_hotel(ctx, rooms=1, name="Hotel Other")
    nights = _nights(2)
    with _committed(ctx) as uow:
        assert sorted(uow.nights.reserve(one, nights, 1)) == nights
        assert sorted(uow.nights.reserve(other, nights, 1)) == nights
    assert _night_rows(ctx, one) == _night_rows(ctx, other) == {n: (1, 1) for n in nights}


def test_release_gives_back_one_room_and_never_goes_below_zero(ctx: Context) -> None:
    _, room_type_id = make_hotel(ctx, rooms=2, name="Hotel Released")
    _, untouched = make_hotel(ctx, rooms=2, name="Hotel Untouched")
    first, second, never_reserved = _nights(3)
    for _ in range(2):
        with _committed(ctx) as uow:
            uow.nights.reserve(room_type_id, [first, second], 2)
            uow.nights.reserve(untouched, [first, second], 2)
    with _committed(ctx) as uow:
        uow.nights.release(room_type_id, [first])
    assert _night_rows(ctx, room_type_id) == {first: (2, 1), second: (2, 2)}
    with _committed(ctx) as uow:
        for _ in range(3):  # one more release than rooms taken
            uow.nights.release(room_type_id, [first, never_reserved])
        uow.nights.release(room_type_id, [])
    assert _night_rows(ctx, room_type_id) == {first: (2, 0), second: (2, 2)}
    assert _night_rows(ctx, untouched) == {first: (2, 2), second: (2, 2)}
    with _committed(ctx) as uow:  # a released room can be taken again
        assert sorted(uow.nights.reserve(room_type_id, [first, second], 2)) == [first]
    assert _night_rows(ctx, room_type_id) == {first: (2, 1), second: (2, 2)}


# -- Payments -----------------------------------------------------------------------------------------


def test_payment_add_is_true_once_per_idempotency_key(ctx: Context) -> None:
    order = _created_order(ctx)
    charge = _charge(order, key="charge:contract", gateway_ref="ch_first")
    refund = NewPayment(
        order_id=order.id or 0,
        kind=PaymentKind.REFUND,
        amount=Decimal("60.00"),
        currency="EUR",
        gateway_ref="re_first",
        idempotency_key="refund:contract",
    )
    with _committed(ctx) as uow:
        assert uow.payments.add(charge) is True
        assert uow.payments.add(_charge(order, key="charge:contract", gateway_ref="ch_2")) is False
        assert uow.payments.add(refund) is True
    with ctx.unit_of_work() as uow:
        assert uow.payments.add(charge) is False
    rows = sorted(_rows(ctx, Payment, col(Payment.order_id) == order.id), key=lambda p: p.id or 0)
    assert [(p.kind, p.amount, p.currency, p.gateway_ref, p.idempotency_key) for p in rows] == [
        (PaymentKind.CHARGE, order.amount, "EUR", "ch_first", "charge:contract"),
        (PaymentKind.REFUND, Decimal("60.00"), "EUR", "re_first", "refund:contract"),
    ]


# -- Orders -------------------------------------------------------------------------------------------


def test_create_sets_the_id_and_refuses_a_second_order_of_the_booking(ctx: Context) -> None:
    booking = _held_booking(ctx)
    order, second = _new_order(booking), _new_order(booking)
    assert order.id is None
    with _committed(ctx) as uow:
        assert uow.orders.create(order) is True
        assert isinstance(order.id, int)
        assert uow.orders.create(second) is False
        assert second.id is None
    other = _new_order(_held_booking(ctx, "other@example.com"))
    with _committed(ctx) as uow:
        assert uow.orders.create(other) is True
    assert other.id not in (None, order.id)
    (row,) = _rows(ctx, Order, col(Order.booking_id) == booking.id)
    assert (row.id, row.user_id, row.status, row.amount, row.currency, row.refunded_amount) == (
        order.id,
        booking.user_id,
        OrderStatus.PENDING,
        booking.total_price,
        booking.currency,
        Decimal("0"),
    )


def test_claim_records_the_message_and_hands_over_the_order(ctx: Context) -> None:
    order = _created_order(ctx)
    message = _message_id()
    with _committed(ctx) as uow:
        fresh, claimed = uow.orders.claim(CONSUMER, message, order.id or 0)
        assert fresh is True and claimed is not None
        assert (claimed.id, claimed.booking_id, claimed.user_id) == (
            order.id,
            order.booking_id,
            order.user_id,
        )
        assert (claimed.status, claimed.amount, claimed.currency) == (
            OrderStatus.PENDING,
            order.amount,
            order.currency,
        )
        assert uow.orders.claim(CONSUMER, message, order.id or 0) == (False, None)
    assert _processed(ctx, message) == [CONSUMER]
    with ctx.unit_of_work() as uow:  # a redelivery after the commit
        assert uow.orders.claim(CONSUMER, message, order.id or 0) == (False, None)
        fresh, claimed = uow.orders.claim(OTHER_CONSUMER, message, order.id or 0)
        assert fresh is True and claimed is not None and claimed.id == order.id


def test_claim_of_a_new_message_for_a_missing_order_is_fresh_with_no_order(ctx: Context) -> None:
    message = _message_id()
    with ctx.unit_of_work() as uow:
        assert uow.orders.claim(CONSUMER, message, MISSING_ID) == (True, None)
        assert uow.processed.record(CONSUMER, message) is False  # the claim recorded it
    assert _processed(ctx, message) == []  # no commit: the caller's rollback drops it


def test_claim_of_a_recorded_message_is_a_duplicate_even_without_its_order(ctx: Context) -> None:
    """Orders.claim: "(False, None) for a message processed already", whatever the order."""
    message = _message_id()
    with _committed(ctx) as uow:
        assert uow.processed.record(CONSUMER, message)
    with ctx.unit_of_work() as uow:
        assert uow.orders.claim(CONSUMER, message, MISSING_ID) == (False, None)


def test_locked_and_locked_by_booking_read_the_order_or_none(ctx: Context) -> None:
    order = _created_order(ctx)
    with ctx.unit_of_work() as uow:
        by_id = uow.orders.locked(order.id or 0)
        by_booking = uow.orders.locked_by_booking(order.booking_id)
        assert uow.orders.locked(MISSING_ID) is None
        assert uow.orders.locked_by_booking(MISSING_ID) is None
    assert by_id is not None and by_booking is not None
    assert _fields(by_id) == _fields(by_booking) == _fields(_order(ctx, order.id or 0))
    assert (by_id.id, by_id.booking_id, by_id.status) == (
        order.id,
        order.booking_id,
        OrderStatus.PENDING,
    )


LOCKS: dict[str, Callable[[UnitOfWork, Order], object]] = {
    "locked": lambda uow, order: uow.orders.locked(order.id or 0),
    "locked_by_booking": lambda uow, order: uow.orders.locked_by_booking(order.booking_id),
    "claim": lambda uow, order: uow.orders.claim(CONSUMER, _message_id(), order.id or 0)[1],
}


@pytest.mark.parametrize("lock", list(LOCKS))
def test_a_locked_order_stays_locked_until_the_unit_of_work_ends(
    ctx: Context, mode: str, lock: str
) -> None:
    """PostgreSQL: the order's row lock (another order stays free). SQLite: no row locks, its
    write lock is the whole database (BEGIN IMMEDIATE), taken by the same read."""
    order, other = _created_order(ctx), _created_order(ctx)

    def lockable(order_id: int) -> bool:
        if mode == "local":
            rival = sqlite3.connect(ctx.engine.url.database or "", timeout=0, isolation_level=None)
            try:
                rival.execute("BEGIN IMMEDIATE")
                rival.execute("ROLLBACK")
                return True
            except sqlite3.OperationalError:
                return False
            finally:
                rival.close()
        with ctx.engine.connect() as rival, rival.begin():
            try:
                rival.execute(
                    text("SELECT id FROM orders WHERE id = :id FOR UPDATE NOWAIT"), {"id": order_id}
                )
                return True
            except OperationalError:
                return False

    with ctx.unit_of_work() as uow:
        found = LOCKS[lock](uow, order)
        assert isinstance(found, Order) and found.id == order.id
        assert not lockable(order.id or 0)
        if mode == "full":
            assert lockable(other.id or 0)
    assert lockable(order.id or 0)


def _two_orders(ctx: Context) -> tuple[Order, Order]:
    return _created_order(ctx), _created_order(ctx)


def test_save_writes_the_status_refund_and_time_of_that_order_only(ctx: Context) -> None:
    order, bystander = _two_orders(ctx)
    later = datetime.now(UTC) + timedelta(minutes=5)
    with _committed(ctx) as uow:
        locked = uow.orders.locked(order.id or 0)
        assert locked is not None
        locked.status, locked.refunded_amount, locked.updated_at = (
            OrderStatus.REFUNDED,
            Decimal("120.00"),
            later,
        )
        uow.orders.save(locked)
    saved = _order(ctx, order.id or 0)
    assert (saved.status, saved.refunded_amount, _utc(saved.updated_at)) == (
        OrderStatus.REFUNDED,
        Decimal("120.00"),
        later,
    )
    assert (saved.amount, saved.booking_id) == (order.amount, order.booking_id)
    assert _timeline(ctx, order.id or 0) == []
    assert _fields(_order(ctx, bystander.id or 0)) == _fields(bystander)


def test_append_writes_a_timeline_entry_and_leaves_the_order(ctx: Context) -> None:
    order = _created_order(ctx)
    at = datetime.now(UTC) - timedelta(seconds=3)
    with _committed(ctx) as uow:
        uow.orders.append(timeline_entry(order, "BookingCancelled", at, "by guest", {"n": 1}))
        uow.orders.append(timeline_entry(order, "RefundIssued", at, "", {}))
    assert _timeline(ctx, order.id or 0) == [
        ("BookingCancelled", "by guest", {"n": 1}, at),
        ("RefundIssued", "", {}, at),
    ]
    assert _fields(_order(ctx, order.id or 0)) == _fields(order)


def test_move_writes_the_order_and_the_entry_that_explains_it(ctx: Context) -> None:
    order, bystander = _two_orders(ctx)
    at = datetime.now(UTC) + timedelta(seconds=7)
    with _committed(ctx) as uow:
        locked = uow.orders.locked(order.id or 0)
        assert locked is not None
        locked.status, locked.refunded_amount, locked.updated_at = (
            OrderStatus.PAID,
            Decimal("12.50"),
            at,
        )
        uow.orders.move(locked, timeline_entry(locked, "PaymentSucceeded", at, "paid", {"x": "y"}))
    moved = _order(ctx, order.id or 0)
    assert (moved.status, moved.refunded_amount, _utc(moved.updated_at)) == (
        OrderStatus.PAID,
        Decimal("12.50"),
        at,
    )
    assert _timeline(ctx, order.id or 0) == [("PaymentSucceeded", "paid", {"x": "y"}, at)]
    assert _fields(_order(ctx, bystander.id or 0)) == _fields(bystander)
    assert _timeline(ctx, bystander.id or 0) == []


# -- Outbox -------------------------------------------------------------------------------------------


def test_emit_writes_one_unpublished_row_per_event(ctx: Context) -> None:
    failed = PaymentFailed(order_id=3, booking_id=4, code="card_declined", reason="Declined")
    paid = PaymentSucceeded(
        order_id=3, booking_id=4, amount=Decimal("240.00"), currency="EUR", charge_ref="ch_9"
    )
    reserved = InventoryReserved(order_id=3, booking_id=4)
    with _committed(ctx) as uow:
        uow.outbox.emit(failed, paid)
        uow.outbox.emit(reserved)
    rows = _outbox(ctx)
    assert [(r.event_type, r.payload) for r in rows] == [
        _written(failed),
        _written(paid),
        _written(reserved),
    ]
    assert rows[1].payload["amount"] == "240.00"
    assert all(r.published_at is None for r in rows)
    assert len({r.message_id for r in rows} - {None}) == 3


# -- the unit of work -----------------------------------------------------------------------------


def _write_everything(uow: UnitOfWork, order: Order, booking: Booking, message: str) -> None:
    """One call of every store's writes, and the after-commit notes."""
    assert uow.processed.record(CONSUMER, message)
    assert uow.nights.reserve(booking.room_type_id, _nights(2, days_ahead=60), 1)
    assert uow.payments.add(_charge(order))
    assert uow.orders.create(_new_order(booking))
    locked = uow.orders.locked(order.id or 0)
    assert locked is not None
    locked.status, locked.updated_at = OrderStatus.PAID, datetime.now(UTC)
    uow.orders.move(locked, timeline_entry(locked, "PaymentSucceeded", locked.updated_at))
    uow.orders.save(locked)
    uow.orders.append(timeline_entry(locked, "Extra", locked.updated_at))
    uow.outbox.emit(_succeeded(order))
    uow.mark_processed(CONSUMER, message)
    uow.note_status(locked, f"Contract-{message}")


def test_a_unit_of_work_left_without_commit_leaves_nothing(ctx: Context) -> None:
    order = _created_order(ctx)
    booking = _held_booking(ctx, "second@example.com")
    message = _message_id()
    before = _snapshot(ctx)
    with ctx.status_bus.subscribe(order.id) as updates:
        updates.get(timeout=0.2)  # the subscription is live before anything can be sent
        with ctx.unit_of_work() as uow:
            _write_everything(uow, order, booking, message)
        assert _changes(updates, wait=0.5, event=f"Contract-{message}") == []
    assert _snapshot(ctx) == before
    assert not ctx.redis.sismember(processed_key(CONSUMER), message)


def test_an_error_in_a_unit_of_work_rolls_it_back(ctx: Context) -> None:
    order = _created_order(ctx)
    booking = _held_booking(ctx, "second@example.com")
    message = _message_id()
    before = _snapshot(ctx)
    with pytest.raises(RuntimeError, match="mid-step"), ctx.unit_of_work() as uow:
        _write_everything(uow, order, booking, message)
        raise RuntimeError("mid-step")
    assert _snapshot(ctx) == before
    assert not ctx.redis.sismember(processed_key(CONSUMER), message)


def test_commit_writes_then_sends_the_processed_id_and_the_status_change(ctx: Context) -> None:
    order = _created_order(ctx)
    message = _message_id()
    event = f"Contract-{message}"
    with ctx.status_bus.subscribe(order.id) as updates:
        updates.get(timeout=0.2)  # the subscription is live before anything can be sent
        with ctx.unit_of_work() as uow:
            assert uow.processed.record(CONSUMER, message)
            locked = uow.orders.locked(order.id or 0)
            assert locked is not None
            locked.status, locked.updated_at = OrderStatus.PAID, datetime.now(UTC)
            uow.orders.move(locked, timeline_entry(locked, "PaymentSucceeded", locked.updated_at))
            uow.mark_processed(CONSUMER, message)
            uow.note_status(locked, event)
            assert not ctx.redis.sismember(processed_key(CONSUMER), message)  # not sent early
            assert _changes(updates, wait=0.2, event=event) == []
            uow.commit()
        assert ctx.redis.sismember(processed_key(CONSUMER), message)
        expected = StatusChange(
            order_id=order.id or 0,
            user_id=order.user_id,
            status=str(OrderStatus.PAID),
            event=event,
            at=locked.updated_at.isoformat(),
        )
        assert _changes(updates, wait=1.0, event=event) == [expected]
    assert _processed(ctx, message) == [CONSUMER]
    assert _order(ctx, order.id or 0).status == OrderStatus.PAID
    assert [entry[0] for entry in _timeline(ctx, order.id or 0)] == ["PaymentSucceeded"]


# -- SagaShortcuts: record_charge_outcome -------------------------------------------------------------


def test_a_charge_outcome_is_recorded_once(ctx: Context) -> None:
    order = _created_order(ctx)
    charge, paid, message = _charge(order), _succeeded(order), _message_id()
    ctx.shortcuts.record_charge_outcome(CONSUMER, message, charge, paid)
    after_first = _snapshot(ctx)
    assert _processed(ctx, message) == [CONSUMER]
    (row,) = _rows(ctx, Payment, col(Payment.order_id) == order.id)
    assert (row.kind, row.amount, row.currency, row.gateway_ref, row.idempotency_key) == (
        charge.kind,
        charge.amount,
        charge.currency,
        charge.gateway_ref,
        charge.idempotency_key,
    )
    assert _outbox_of(ctx, *SAGA_EVENTS) == [_written(paid)]
    (outbox_row,) = [r for r in _outbox(ctx) if r.event_type in SAGA_EVENTS]
    assert outbox_row.message_id and outbox_row.published_at is None
    for _ in range(2):  # redeliveries: the message is recorded, nothing at all is written
        ctx.shortcuts.record_charge_outcome(CONSUMER, message, charge, paid)
    assert _snapshot(ctx) == after_first


def test_a_charge_the_sweeper_recorded_first_writes_no_event(ctx: Context) -> None:
    order = _created_order(ctx)
    with _committed(ctx) as uow:
        assert uow.payments.add(_charge(order, gateway_ref="ch_by_sweeper"))
    message = _message_id()
    ctx.shortcuts.record_charge_outcome(
        CONSUMER, message, _charge(order, gateway_ref="ch_by_worker"), _succeeded(order)
    )
    assert _processed(ctx, message) == [CONSUMER]
    payments = _rows(ctx, Payment, col(Payment.order_id) == order.id)
    assert [p.gateway_ref for p in payments] == ["ch_by_sweeper"]
    assert _outbox_of(ctx, *SAGA_EVENTS) == []


def test_a_decline_records_the_message_and_its_event_only(ctx: Context) -> None:
    order = _created_order(ctx)
    failed = PaymentFailed(
        order_id=order.id or 0, booking_id=order.booking_id, code="card_declined", reason="No"
    )
    message = _message_id()
    ctx.shortcuts.record_charge_outcome(CONSUMER, message, None, failed)
    assert _processed(ctx, message) == [CONSUMER]
    assert _rows(ctx, Payment) == []
    assert _outbox_of(ctx, *SAGA_EVENTS) == [_written(failed)]
    after_first = _snapshot(ctx)
    ctx.shortcuts.record_charge_outcome(CONSUMER, message, None, failed)
    assert _snapshot(ctx) == after_first


def test_the_same_charge_outcome_for_another_consumer_is_its_own_message(ctx: Context) -> None:
    """The processed row is per consumer: a second consumer's record is new, its charge not."""
    order = _created_order(ctx)
    message = _message_id()
    ctx.shortcuts.record_charge_outcome(CONSUMER, message, _charge(order), _succeeded(order))
    ctx.shortcuts.record_charge_outcome(OTHER_CONSUMER, message, _charge(order), _succeeded(order))
    assert _processed(ctx, message) == [CONSUMER, OTHER_CONSUMER]
    assert len(_rows(ctx, Payment)) == 1
    assert _outbox_of(ctx, "PaymentSucceeded") == [_written(_succeeded(order))]


# -- SagaShortcuts: confirm_live_hold -----------------------------------------------------------------


def test_a_live_hold_is_confirmed_once(ctx: Context) -> None:
    booking = _held_booking(ctx)
    reserved, message = _reserved(booking), _message_id()
    now = datetime.now(UTC) + timedelta(seconds=11)
    assert ctx.shortcuts.confirm_live_hold(CONSUMER, message, reserved, now) is True
    confirmed = _booking(ctx, booking.id or 0)
    assert (confirmed.status, _utc(confirmed.updated_at)) == (BookingStatus.CONFIRMED, now)
    assert _processed(ctx, message) == [CONSUMER]
    assert _outbox_of(ctx, "InventoryReserved") == [_written(reserved)]
    after_first = _snapshot(ctx)
    later = now + timedelta(seconds=5)
    assert ctx.shortcuts.confirm_live_hold(CONSUMER, message, reserved, later) is False
    assert ctx.shortcuts.confirm_live_hold(CONSUMER, _message_id(), reserved, later) is False
    assert _snapshot(ctx) == after_first
    assert _utc(_booking(ctx, booking.id or 0).updated_at) == now


@pytest.mark.parametrize(
    "status", [BookingStatus.EXPIRED, BookingStatus.CANCELLED, BookingStatus.CONFIRMED]
)
def test_a_booking_no_longer_held_is_left_alone(ctx: Context, status: BookingStatus) -> None:
    booking = _held_booking(ctx)
    _set_booking_status(ctx, booking.id or 0, status)
    before, message = _snapshot(ctx), _message_id()
    updated_at = _booking(ctx, booking.id or 0).updated_at
    now = datetime.now(UTC) + timedelta(seconds=11)
    assert ctx.shortcuts.confirm_live_hold(CONSUMER, message, _reserved(booking), now) is False
    assert _snapshot(ctx) == before
    assert _booking(ctx, booking.id or 0).updated_at == updated_at
    assert _processed(ctx, message) == []


def test_a_recorded_message_confirms_nothing(ctx: Context) -> None:
    booking = _held_booking(ctx)
    message = _message_id()
    with _committed(ctx) as uow:
        assert uow.processed.record(CONSUMER, message)
    before = _snapshot(ctx)
    now = datetime.now(UTC) + timedelta(seconds=11)
    assert ctx.shortcuts.confirm_live_hold(CONSUMER, message, _reserved(booking), now) is False
    assert _snapshot(ctx) == before
    assert _booking(ctx, booking.id or 0).status == BookingStatus.HELD
    # The same message is new to another consumer: that one confirms.
    assert ctx.shortcuts.confirm_live_hold(OTHER_CONSUMER, message, _reserved(booking), now)
    assert _booking(ctx, booking.id or 0).status == BookingStatus.CONFIRMED


def test_a_missing_booking_confirms_nothing(ctx: Context) -> None:
    booking = _held_booking(ctx)
    before = _snapshot(ctx)
    ghost = InventoryReserved(order_id=1, booking_id=MISSING_ID)
    assert (
        ctx.shortcuts.confirm_live_hold(CONSUMER, _message_id(), ghost, datetime.now(UTC)) is False
    )
    assert _snapshot(ctx) == before
    assert _booking(ctx, booking.id or 0).status == BookingStatus.HELD
