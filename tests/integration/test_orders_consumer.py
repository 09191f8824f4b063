"""The orders consumers called directly (no relay, no worker), in both modes.

They read and write orders with Core statements (backend/saga/orders.py): these tests pin what
those writes must leave behind, message by message, including redeliveries and early arrivals.
"""

# ruff: noqa: F811  (pytest fixtures imported from tests/sagas.py)
from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from sagas import SagaHarness, saga, saga_factory  # noqa: F401

from backend.models import OrderStatus
from backend.saga import orders
from backend.saga.consumer import OutOfOrder, processed_key
from backend.saga.events import (
    Event,
    InventoryReserved,
    PaymentSucceeded,
    RefundIssued,
)


def _envelope(event: Event, message_id: str | None = None) -> dict[str, Any]:
    return {
        "message_id": message_id or str(uuid.uuid4()),
        "type": type(event).__name__,
        "payload": event.model_dump(mode="json"),
    }


def _paid(saga: SagaHarness) -> tuple[int, int, PaymentSucceeded]:
    booking = saga.held_booking()
    order_id = saga.checkout(booking)
    order = saga.order(order_id)
    paid = PaymentSucceeded(
        order_id=order_id,
        booking_id=booking.id or 0,
        amount=order.amount,
        currency=order.currency,
        charge_ref="ch_test",
    )
    return order_id, booking.id or 0, paid


def test_redelivered_payment_moves_the_order_once(saga: SagaHarness) -> None:
    order_id, _, paid = _paid(saga)
    message = _envelope(paid)
    orders.record_payment(saga.ctx, message)
    # Lose the fast pre-check: the processed-message row must decide.
    saga.ctx.redis.srem(processed_key("orders.record_payment"), message["message_id"])
    orders.record_payment(saga.ctx, message)
    order = saga.order(order_id)
    assert order.status == OrderStatus.PAID
    assert order.updated_at > order.created_at
    assert saga.timeline(order_id) == ["OrderCreated", "PaymentSucceeded"]


def test_inventory_outcome_before_any_charge_is_retried_without_a_trace(
    saga: SagaHarness,
) -> None:
    order_id, booking_id, _ = _paid(saga)
    early = _envelope(InventoryReserved(order_id=order_id, booking_id=booking_id))
    with pytest.raises(OutOfOrder):
        orders.complete_order(saga.ctx, early)
    assert saga.order(order_id).status == OrderStatus.PENDING
    assert saga.timeline(order_id) == ["OrderCreated"]


def test_inventory_outcome_that_overtook_the_payment_records_both(saga: SagaHarness) -> None:
    order_id, booking_id, paid = _paid(saga)
    reserved = InventoryReserved(order_id=order_id, booking_id=booking_id, charge_ref="ch_test")
    orders.complete_order(saga.ctx, _envelope(reserved))
    orders.record_payment(saga.ctx, _envelope(paid))  # late: changes nothing
    assert saga.order(order_id).status == OrderStatus.CONFIRMED
    assert saga.timeline(order_id) == ["OrderCreated", "PaymentSucceeded", "InventoryReserved"]


def test_cancellation_refund_keeps_the_order_confirmed_and_adds_up(saga: SagaHarness) -> None:
    order_id, booking_id, paid = _paid(saga)
    orders.record_payment(saga.ctx, _envelope(paid))
    orders.complete_order(
        saga.ctx, _envelope(InventoryReserved(order_id=order_id, booking_id=booking_id))
    )
    for ref in ("rf_1", "rf_2"):
        refund = RefundIssued(
            order_id=order_id,
            amount=Decimal("10.00"),
            currency=paid.currency,
            reason="cancellation",
            refund_ref=ref,
        )
        orders.record_refund(saga.ctx, _envelope(refund))
    order = saga.order(order_id)
    assert order.status == OrderStatus.CONFIRMED
    assert order.refunded_amount == Decimal("20.00")
    assert saga.timeline(order_id)[-2:] == ["RefundIssued", "RefundIssued"]
