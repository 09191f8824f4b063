"""The inventory and orders steps, called directly: once per message, whatever the delivery.

In full mode these are the one-statement paths (backend/adapters/postgres/shortcuts.py, the order claim
and move of backend/adapters/postgres/stores.py), in local mode the plain transactions. The Redis
pre-check is emptied between deliveries, so the database alone must stop the duplicate.
"""

# ruff: noqa: F811  (pytest fixtures imported from tests/sagas.py)
from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any
from unittest.mock import patch

import pytest
from sagas import SagaHarness, saga, saga_factory  # noqa: F401
from sqlmodel import col, select

from backend.db import transaction
from backend.models import Booking, BookingStatus, OrderStatus, OutboxMessage, ProcessedMessage
from backend.saga.consumer import processed_key
from backend.saga.events import BadMessage, envelope
from backend.saga.inventory import confirm_booking
from backend.saga.orders import complete_order, record_payment
from backend.saga.payments import charge_order


def _event(saga: SagaHarness, event_type: str, order_id: int) -> dict[str, Any]:
    with transaction(saga.ctx.engine) as session:
        rows = session.exec(
            select(OutboxMessage).where(OutboxMessage.event_type == event_type)
        ).all()
    (row,) = [r for r in rows if r.payload.get("order_id") == order_id]
    return envelope(row)


def _deliver_twice(saga: SagaHarness, consumer: str, handler: Any, message: Any) -> None:
    handler(saga.ctx, message)
    saga.ctx.redis.delete(processed_key(consumer))  # e.g. Redis lost its data
    handler(saga.ctx, message)


def _processed(saga: SagaHarness, consumer: str) -> int:
    with transaction(saga.ctx.engine) as session:
        rows = session.exec(
            select(ProcessedMessage).where(col(ProcessedMessage.consumer) == consumer)
        ).all()
    return len(rows)


def _outbox(saga: SagaHarness, event_type: str) -> int:
    with transaction(saga.ctx.engine) as session:
        rows = session.exec(
            select(OutboxMessage).where(OutboxMessage.event_type == event_type)
        ).all()
    return len(rows)


def _assert_one_inventory_outcome(
    saga: SagaHarness, booking_id: int, status: BookingStatus, outcome: str
) -> None:
    """The inventory step took effect once: the booking's status, one processed row, and
    exactly one outcome event (`outcome`, never the other)."""
    assert saga.booking(booking_id).status == status
    assert _processed(saga, "inventory.confirm_booking") == 1
    events = {kind: _outbox(saga, kind) for kind in ("InventoryReserved", "InventoryFailed")}
    assert events == {kind: int(kind == outcome) for kind in events}


def _paid_order(saga: SagaHarness) -> tuple[int, int]:
    booking = saga.held_booking()
    order_id = saga.checkout(booking)
    charge_order(saga.ctx, _event(saga, "OrderCreated", order_id))
    return order_id, booking.id or 0


def test_a_live_hold_confirmed_twice_is_confirmed_once(saga: SagaHarness) -> None:
    order_id, booking_id = _paid_order(saga)
    message = _event(saga, "PaymentSucceeded", order_id)
    _deliver_twice(saga, "inventory.confirm_booking", confirm_booking, message)
    _assert_one_inventory_outcome(saga, booking_id, BookingStatus.CONFIRMED, "InventoryReserved")


def test_an_expired_hold_takes_the_general_path(saga: SagaHarness) -> None:
    order_id, booking_id = _paid_order(saga)
    saga.expire(saga.booking(booking_id))
    saga.hold(saga.booking(booking_id).room_type_id)  # a rival takes the only room
    message = _event(saga, "PaymentSucceeded", order_id)
    _deliver_twice(saga, "inventory.confirm_booking", confirm_booking, message)
    _assert_one_inventory_outcome(saga, booking_id, BookingStatus.EXPIRED, "InventoryFailed")


def test_each_order_step_delivered_twice_moves_the_order_once(saga: SagaHarness) -> None:
    order_id, _ = _paid_order(saga)
    paid = _event(saga, "PaymentSucceeded", order_id)
    _deliver_twice(saga, "orders.record_payment", record_payment, paid)
    assert saga.order(order_id).status == OrderStatus.PAID
    confirm_booking(saga.ctx, paid)
    reserved = _event(saga, "InventoryReserved", order_id)
    _deliver_twice(saga, "orders.complete_order", complete_order, reserved)
    assert saga.order(order_id).status == OrderStatus.CONFIRMED
    assert saga.timeline(order_id) == ["OrderCreated", "PaymentSucceeded", "InventoryReserved"]
    assert _processed(saga, "orders.record_payment") == 1
    assert _processed(saga, "orders.complete_order") == 1


def test_a_message_for_a_missing_order_records_nothing(saga: SagaHarness) -> None:
    order_id, _ = _paid_order(saga)
    paid = _event(saga, "PaymentSucceeded", order_id)
    paid["payload"] = {**paid["payload"], "order_id": order_id + 1000}
    with pytest.raises(BadMessage):
        record_payment(saga.ctx, paid)
    assert _processed(saga, "orders.record_payment") == 0


def _at_once(*steps: Callable[[], object]) -> list[BaseException]:
    """Run the steps on their own threads, released at the same moment; their errors."""
    start = threading.Barrier(len(steps))
    errors: list[BaseException] = []

    def run(step: Callable[[], object]) -> None:
        start.wait()
        try:
            step()
        except BaseException as error:  # returned to the test
            errors.append(error)

    threads = [threading.Thread(target=run, args=(step,)) for step in steps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _deliver_at_once(saga: SagaHarness, handler: Any, message: Any, copies: int = 6) -> None:
    """The same message handled by several threads at the same moment (redelivery to two
    workers), no Redis pre-check to stop any of them: the database alone decides."""
    # The inventory step tries its shortcut before any pre-check (the statement finds a
    # duplicate itself), so only its general path (consumer.apply_once) has one to patch.
    pre_checks = [f"backend.saga.{m}.already_processed" for m in ("consumer", "orders")]
    with contextlib.ExitStack() as stack:
        for target in pre_checks:
            stack.enter_context(patch(target, return_value=False))
        errors = _at_once(*(partial(handler, saga.ctx, dict(message)) for _ in range(copies)))
    assert errors == []


def test_a_confirmation_delivered_to_many_workers_at_once_confirms_once(
    saga: SagaHarness,
) -> None:
    order_id, booking_id = _paid_order(saga)
    paid = _event(saga, "PaymentSucceeded", order_id)
    _deliver_at_once(saga, confirm_booking, paid)
    _assert_one_inventory_outcome(saga, booking_id, BookingStatus.CONFIRMED, "InventoryReserved")
    _deliver_at_once(saga, record_payment, paid)
    assert saga.order(order_id).status == OrderStatus.PAID
    assert saga.timeline(order_id) == ["OrderCreated", "PaymentSucceeded"]
    assert _processed(saga, "orders.record_payment") == 1


def test_payment_and_reservation_arriving_at_once_confirm_the_order_once(
    saga: SagaHarness,
) -> None:
    """PaymentSucceeded and InventoryReserved leave for the orders queue moments apart, so two
    orders workers can take them at the same instant: whichever wins the order's lock, the order
    ends confirmed with the payment recorded once and each message processed once."""
    for _ in range(4):
        order_id, _booking = _paid_order(saga)
        paid = _event(saga, "PaymentSucceeded", order_id)
        confirm_booking(saga.ctx, paid)
        reserved = _event(saga, "InventoryReserved", order_id)
        steps = (
            partial(record_payment, saga.ctx, paid),
            partial(complete_order, saga.ctx, reserved),
        )
        assert _at_once(*steps) == []
        order = saga.order(order_id)
        assert order.status == OrderStatus.CONFIRMED
        assert saga.timeline(order_id) == ["OrderCreated", "PaymentSucceeded", "InventoryReserved"]
    assert _processed(saga, "orders.record_payment") == 4
    assert _processed(saga, "orders.complete_order") == 4


def test_a_confirmation_racing_the_hold_expiry_has_one_outcome(saga: SagaHarness) -> None:
    """The hold's deadline passes as its payment's confirmation arrives: the sweeper's expiry and
    the inventory step run at the same moment. Either order is fine; what must hold is one
    outcome event, one processed row, and a saga that ends with money and rooms adding up."""
    from backend.services.booking import expire_holds

    orders = []
    for _ in range(4):
        order_id, booking_id = _paid_order(saga)
        orders.append(order_id)
        with transaction(saga.ctx.engine) as session:
            booking = session.get(Booking, booking_id)
            assert booking is not None
            booking.hold_expires_at = saga.ctx.clock() - timedelta(seconds=1)
            session.add(booking)
        paid = _event(saga, "PaymentSucceeded", order_id)
        assert (
            _at_once(partial(confirm_booking, saga.ctx, paid), partial(expire_holds, saga.ctx))
            == []
        )
        outcomes = [
            e["type"]
            for e in _events_of(saga, order_id)
            if e["type"] in ("InventoryReserved", "InventoryFailed")
        ]
        assert len(outcomes) == 1, outcomes
        status = saga.booking(booking_id).status
        assert (outcomes[0], status) in (
            ("InventoryReserved", BookingStatus.CONFIRMED),
            ("InventoryFailed", BookingStatus.EXPIRED),
        )
    assert _processed(saga, "inventory.confirm_booking") == 4
    # The rest of each saga runs on the relay and the workers (the steps done above come round
    # again as duplicates): confirmed, or refunded; money and rooms add up.
    saga.start()
    saga.wait_terminal(*orders)
    saga.wait_quiet()
    saga.invariants()


def _events_of(saga: SagaHarness, order_id: int) -> list[dict[str, Any]]:
    with transaction(saga.ctx.engine) as session:
        rows = session.exec(select(OutboxMessage)).all()
    return [envelope(r) for r in rows if r.payload.get("order_id") == order_id]
