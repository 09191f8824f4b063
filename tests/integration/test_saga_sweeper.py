"""The sweeper settles orders stuck in pending/paid past ORDER_DEADLINE_SECONDS, in both modes.

A stuck order is an order whose events were never delivered: checkout wrote it (and OrderCreated
to the outbox) while no relay or worker ran. The sweeper then runs with the clock shifted past the
deadline, asks the gateway, and settles the order; afterwards the saga starts and finally delivers
the stale events, which must change nothing (or, for a charge that landed after the order was
closed, refund it).
"""

# ruff: noqa: F811  (pytest fixtures imported from tests/sagas.py)
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sagas import SagaHarness, saga, saga_factory  # noqa: F401
from sqlmodel import select

from backend.db import transaction
from backend.models import Booking, BookingStatus, OrderStatus, OutboxMessage, PaymentKind
from backend.saga.payments import charge_key
from backend.sweeper import sweep_once


def _sweep_after_deadline(saga: SagaHarness, *, early: bool = False) -> None:
    """One sweeper pass with the clock just before (early) or just after the orders' deadline."""
    real = saga.ctx.clock
    seconds = saga.ctx.settings.order_deadline_seconds + (-5 if early else 5)
    shifted = real() + timedelta(seconds=seconds)
    saga.ctx.clock = lambda: shifted
    try:
        sweep_once(saga.ctx)
    finally:
        saga.ctx.clock = real


def _charge_at_gateway(saga: SagaHarness, order_id: int) -> None:
    """The payments worker charged, then died before recording it (nothing in our tables)."""
    order = saga.order(order_id)
    saga.ctx.gateway.charge(
        idempotency_key=charge_key(order_id),
        token="tok_visa",
        amount=order.amount,
        currency=order.currency,
    )


def _unsent_events(saga: SagaHarness) -> list[str]:
    with transaction(saga.ctx.engine) as session:
        rows = session.exec(
            select(OutboxMessage.event_type).where(OutboxMessage.published_at == None)  # noqa: E711
        ).all()
    return sorted(rows)


def test_unpaid_stuck_order_fails_frees_the_rooms_and_a_late_charge_is_refunded(
    saga: SagaHarness,
) -> None:
    booking = saga.held_booking(rooms=1)
    order_id = saga.checkout(booking)
    _sweep_after_deadline(saga, early=True)
    assert saga.order(order_id).status == OrderStatus.PENDING  # not yet past its deadline
    _sweep_after_deadline(saga)
    order = saga.order(order_id)
    assert order.status == OrderStatus.FAILED
    assert saga.timeline(order_id) == ["OrderCreated", "PaymentTimedOut"]
    assert saga.booking(booking.id or 0).status == BookingStatus.CANCELLED
    assert saga.hold(booking.room_type_id).status == BookingStatus.HELD  # the room is free again
    saga.invariants()
    # The OrderCreated was only delayed: delivered now, the card is charged after the order was
    # closed. Orders refunds that charge; the guest ends with nothing paid and no booking.
    saga.start()
    saga.wait_for(
        lambda: saga.order(order_id).refunded_amount == Decimal("240.00"),
        what="the late charge to be refunded",
    )
    saga.wait_quiet()
    assert saga.order(order_id).status == OrderStatus.FAILED
    assert saga.timeline(order_id) == [
        "OrderCreated",
        "PaymentTimedOut",
        "PaymentSucceeded",
        "RefundIssued",
    ]
    kinds = sorted((p.kind, p.amount) for p in saga.payments(order_id))
    assert kinds == [
        (PaymentKind.CHARGE, Decimal("240.00")),
        (PaymentKind.REFUND, Decimal("240.00")),
    ]
    report = saga.invariants()
    assert report.charged == report.refunded == Decimal("240.00")


def test_charged_stuck_order_with_a_good_hold_is_confirmed(saga: SagaHarness) -> None:
    booking = saga.held_booking(rooms=1)
    order_id = saga.checkout(booking)
    _charge_at_gateway(saga, order_id)
    _sweep_after_deadline(saga)
    order = saga.order(order_id)
    assert order.status == OrderStatus.CONFIRMED
    assert saga.timeline(order_id) == ["OrderCreated", "PaymentSucceeded", "InventoryReserved"]
    assert saga.booking(booking.id or 0).status == BookingStatus.CONFIRMED
    (charge,) = saga.payments(order_id)
    assert (charge.kind, charge.amount) == (PaymentKind.CHARGE, Decimal("240.00"))
    saga.invariants()  # the gateway's ledger and our payments table agree
    # The stale OrderCreated, delivered now, finds the charge recorded: nothing more happens.
    saga.start()
    saga.wait_quiet()
    assert saga.order(order_id).status == OrderStatus.CONFIRMED
    assert saga.timeline(order_id) == ["OrderCreated", "PaymentSucceeded", "InventoryReserved"]
    assert len(saga.payments(order_id)) == 1
    saga.invariants(all_terminal_before=saga.ctx.clock())


def test_charged_stuck_order_whose_rooms_are_gone_is_refunded(saga: SagaHarness) -> None:
    booking = saga.held_booking(rooms=1)
    order_id = saga.checkout(booking)
    _charge_at_gateway(saga, order_id)
    saga.expire(booking)  # the hold lapses...
    rival = saga.hold(booking.room_type_id)  # ...and someone else takes the last room
    _sweep_after_deadline(saga)
    order = saga.order(order_id)
    assert order.status == OrderStatus.PAID  # refund requested, not yet issued
    assert saga.timeline(order_id) == ["OrderCreated", "PaymentSucceeded", "InventoryFailed"]
    assert "RefundRequested" in _unsent_events(saga)
    _sweep_after_deadline(saga, early=True)  # touched by the sweep: no second look too soon
    assert saga.timeline(order_id) == ["OrderCreated", "PaymentSucceeded", "InventoryFailed"]
    saga.start()
    (order,) = saga.wait_terminal(order_id)
    saga.wait_quiet()
    assert order.status == OrderStatus.REFUNDED
    assert order.refunded_amount == Decimal("240.00")
    assert saga.timeline(order_id) == [
        "OrderCreated",
        "PaymentSucceeded",
        "InventoryFailed",
        "RefundIssued",
    ]
    assert saga.booking(booking.id or 0).status == BookingStatus.EXPIRED
    assert saga.booking(rival.id or 0).status == BookingStatus.HELD
    report = saga.invariants(all_terminal_before=saga.ctx.clock())
    assert report.charged == report.refunded == Decimal("240.00")


def test_orders_moving_along_are_left_alone(saga: SagaHarness) -> None:
    """A sweep before the deadline, or after the saga settled an order, changes nothing."""
    booking = saga.held_booking(rooms=1)
    order_id = saga.checkout(booking)
    saga.start()
    saga.wait_terminal(order_id)
    saga.wait_quiet()
    _sweep_after_deadline(saga)
    assert saga.order(order_id).status == OrderStatus.CONFIRMED
    assert saga.timeline(order_id) == ["OrderCreated", "PaymentSucceeded", "InventoryReserved"]
    with transaction(saga.ctx.engine) as session:
        assert session.get(Booking, booking.id).status == BookingStatus.CONFIRMED  # type: ignore[union-attr]
    saga.invariants()
