"""Flow 3 end to end: checkout -> relay -> payments -> inventory -> orders, in both modes.

Full mode runs on the real RabbitMQ, Postgres and Redis; local mode on StubBroker + an in-process
worker, SQLite and fakeredis. The simulated gateway is the only fake.
"""

# ruff: noqa: F811  (pytest fixtures imported from tests/sagas.py)
from __future__ import annotations

from decimal import Decimal

from sagas import DECLINED_CARD, NO_FUNDS_CARD, SagaHarness, saga, saga_factory  # noqa: F401

from backend.models import BookingStatus, OrderStatus, PaymentKind


def test_success_card_confirms_the_booking(saga: SagaHarness) -> None:
    booking = saga.held_booking(nights=2)
    with saga.ctx.status_bus.subscribe() as updates:
        order_id = saga.checkout(booking)
        saga.start()
        (order,) = saga.wait_terminal(order_id)
        seen = []
        while (change := updates.get(timeout=0.5)) is not None:
            seen.append(change.status)
    assert order.status == OrderStatus.CONFIRMED
    assert order.amount == Decimal("240.00") and order.currency == "EUR"
    assert saga.timeline(order_id) == ["OrderCreated", "PaymentSucceeded", "InventoryReserved"]
    assert saga.booking(booking.id or 0).status == BookingStatus.CONFIRMED
    (charge,) = saga.payments(order_id)
    assert charge.kind == PaymentKind.CHARGE and charge.amount == Decimal("240.00")
    assert seen == ["pending", "paid", "confirmed"]
    saga.wait_quiet()
    saga.invariants()


def test_declined_cards_fail_the_order_and_free_the_rooms(saga: SagaHarness) -> None:
    first = saga.held_booking(rooms=1)
    second = saga.held_booking(rooms=1)
    declined = saga.checkout(first, DECLINED_CARD)
    no_funds = saga.checkout(second, NO_FUNDS_CARD)
    saga.start()
    orders = saga.wait_terminal(declined, no_funds)
    assert [o.status for o in orders] == [OrderStatus.FAILED, OrderStatus.FAILED]
    assert saga.timeline(declined) == ["OrderCreated", "PaymentFailed"]
    assert saga.payments(declined) == [] and saga.payments(no_funds) == []
    for booking in (first, second):
        assert saga.booking(booking.id or 0).status == BookingStatus.CANCELLED
    # The room is free again: another guest can hold it at once.
    again = saga.hold(first.room_type_id)
    assert again.status == BookingStatus.HELD
    saga.wait_quiet()
    saga.invariants()


def test_expired_hold_with_rooms_taken_is_paid_then_refunded(saga: SagaHarness) -> None:
    booking = saga.held_booking(rooms=1)
    order_id = saga.checkout(booking)
    saga.expire(booking)  # the hold lapses before the inventory step...
    rival = saga.hold(booking.room_type_id)  # ...and someone else takes the last room
    saga.start()
    (order,) = saga.wait_terminal(order_id)
    assert order.status == OrderStatus.REFUNDED
    assert saga.timeline(order_id) == [
        "OrderCreated",
        "PaymentSucceeded",
        "InventoryFailed",
        "RefundIssued",
    ]
    kinds = sorted((p.kind, p.amount) for p in saga.payments(order_id))
    assert kinds == [
        (PaymentKind.CHARGE, Decimal("240.00")),
        (PaymentKind.REFUND, Decimal("240.00")),
    ]
    assert order.refunded_amount == Decimal("240.00")
    assert saga.booking(booking.id or 0).status == BookingStatus.EXPIRED
    assert saga.booking(rival.id or 0).status == BookingStatus.HELD
    saga.wait_quiet()
    report = saga.invariants()
    assert report.charged == report.refunded == Decimal("240.00")


def test_expired_hold_with_rooms_still_free_is_confirmed(saga: SagaHarness) -> None:
    booking = saga.held_booking(rooms=1)
    order_id = saga.checkout(booking)
    saga.expire(booking)
    saga.start()
    (order,) = saga.wait_terminal(order_id)
    assert order.status == OrderStatus.CONFIRMED
    assert saga.booking(booking.id or 0).status == BookingStatus.CONFIRMED
    saga.wait_quiet()
    saga.invariants()
