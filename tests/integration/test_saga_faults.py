"""The saga under faults: duplicate deliveries, re-published outbox, flaky gateway, cancellations.

Every test ends with the invariant checker (money and rooms add up).
"""

# ruff: noqa: F811  (pytest fixtures imported from tests/sagas.py)
from __future__ import annotations

from decimal import Decimal
from typing import Any

import dramatiq
from factories import bearer
from fastapi.testclient import TestClient
from sagas import DECLINED_CARD, SagaHarness, saga, saga_factory  # noqa: F401
from sqlalchemy import update
from sqlmodel import select

from backend.api.main import create_api
from backend.db import transaction
from backend.models import (
    Booking,
    Hotel,
    Order,
    OrderEvent,
    OrderStatus,
    OutboxMessage,
    Payment,
    PaymentKind,
    ProcessedMessage,
    RoomInventory,
)


class DeliverTwice(dramatiq.Middleware):
    """Every message the relay publishes reaches its actor twice (a broker redelivery)."""

    def after_enqueue(
        self, broker: dramatiq.Broker, message: dramatiq.Message[Any], delay: Any
    ) -> None:
        if delay is None and not message.options.get("copy"):
            broker.enqueue(
                message.copy(message_id=message.message_id + "-copy", options={"copy": True})
            )


def _mixed_sagas(saga: SagaHarness) -> dict[str, int]:
    """One saga per path: confirmed, declined, and paid-then-refunded."""
    ok = saga.held_booking(rooms=2)
    declined = saga.held_booking(rooms=1)
    late = saga.held_booking(rooms=1)
    orders = {
        "ok": saga.checkout(ok),
        "declined": saga.checkout(declined, DECLINED_CARD),
        "late": saga.checkout(late),
    }
    saga.expire(late)
    saga.hold(late.room_type_id)
    return orders


def _snapshot(saga: SagaHarness) -> dict[str, Any]:
    with transaction(saga.ctx.engine) as session:
        return {
            "orders": sorted(
                (o.id, o.status, o.refunded_amount) for o in session.exec(select(Order))
            ),
            "events": sorted((e.order_id, e.type) for e in session.exec(select(OrderEvent))),
            "payments": sorted(
                (p.order_id, p.kind, p.amount) for p in session.exec(select(Payment))
            ),
            "bookings": sorted((b.id, b.status) for b in session.exec(select(Booking))),
            "inventory": sorted(
                (r.room_type_id, r.night, r.reserved) for r in session.exec(select(RoomInventory))
            ),
        }


def _expected_timelines(saga: SagaHarness, orders: dict[str, int]) -> None:
    assert saga.timeline(orders["ok"]) == ["OrderCreated", "PaymentSucceeded", "InventoryReserved"]
    assert saga.timeline(orders["declined"]) == ["OrderCreated", "PaymentFailed"]
    assert saga.timeline(orders["late"]) == [
        "OrderCreated",
        "PaymentSucceeded",
        "InventoryFailed",
        "RefundIssued",
    ]
    assert len(saga.payments(orders["ok"])) == 1 and saga.payments(orders["declined"]) == []
    assert sorted(p.kind for p in saga.payments(orders["late"])) == [
        PaymentKind.CHARGE,
        PaymentKind.REFUND,
    ]


def test_every_message_delivered_twice_has_one_effect(saga: SagaHarness) -> None:
    saga.ctx.broker.add_middleware(DeliverTwice())
    orders = _mixed_sagas(saga)
    saga.start()
    settled = saga.wait_terminal(*orders.values())
    assert [o.status for o in settled] == [
        OrderStatus.CONFIRMED,
        OrderStatus.FAILED,
        OrderStatus.REFUNDED,
    ]
    saga.wait_quiet()
    _expected_timelines(saga, orders)
    with transaction(saga.ctx.engine) as session:
        processed = session.exec(select(ProcessedMessage.consumer)).all()
    # 3 charges, 1 refund, 2 bookings, 3+1 payment outcomes, 2 inventory outcomes, 1 refund issued
    assert sorted(set(processed)) == [
        "inventory.confirm_booking",
        "orders.complete_order",
        "orders.record_payment",
        "orders.record_refund",
        "payments.charge_order",
        "payments.refund_order",
    ]
    assert len(processed) == 3 + 1 + 2 + 3 + 2 + 1
    saga.invariants()


def test_republished_outbox_changes_nothing(saga: SagaHarness) -> None:
    """The relay died after publishing but before marking rows sent: everything is sent again."""
    orders = _mixed_sagas(saga)
    saga.start()
    saga.wait_terminal(*orders.values())
    saga.wait_quiet()
    before = _snapshot(saga)
    with transaction(saga.ctx.engine) as session:
        session.execute(update(OutboxMessage).values(published_at=None))
    saga.relay.wake.set()
    saga.wait_quiet()
    assert _snapshot(saga) == before
    _expected_timelines(saga, orders)
    saga.invariants()


def test_flaky_gateway_every_order_settles_without_double_charge(saga_factory: Any) -> None:
    saga: SagaHarness = saga_factory(gateway_failure_rate=0.3)
    orders = []
    for index in range(12):
        booking = saga.held_booking(rooms=1)
        orders.append(
            saga.checkout(booking, DECLINED_CARD if index % 4 == 0 else "4242424242424242")
        )
    late = saga.held_booking(rooms=1)
    orders.append(saga.checkout(late))
    saga.expire(late)
    saga.hold(late.room_type_id)
    saga.start()
    settled = saga.wait_terminal(*orders, timeout=40)
    statuses = [o.status for o in settled]
    assert statuses.count(OrderStatus.FAILED) == 3
    assert statuses.count(OrderStatus.CONFIRMED) == 9
    assert statuses[-1] == OrderStatus.REFUNDED
    saga.wait_quiet(timeout=40)
    report = saga.invariants()  # includes: the gateway's own ledger equals our payments
    assert report.charged == Decimal("240.00") * 10 and report.refunded == Decimal("240.00")


def test_cancelling_a_confirmed_booking_refunds_per_policy(saga: SagaHarness) -> None:
    saga.start()
    # Ten days before check-in: inside flexible's (48 h) and moderate's (7 days) free period.
    expected = {
        "flexible": Decimal("240.00"),
        "moderate": Decimal("240.00"),
        "strict": Decimal("0"),
    }
    client = TestClient(create_api(saga.ctx), raise_server_exceptions=False)
    orders = {}
    for policy in expected:
        booking = saga.held_booking(rooms=1)
        with transaction(saga.ctx.engine) as session:
            hotel = session.get(Hotel, booking.hotel_id)
            assert hotel is not None
            hotel.cancellation_policy = policy  # type: ignore[assignment]
            session.add(hotel)
        orders[policy] = (booking, saga.checkout(booking))
    saga.wait_terminal(*(order_id for _, order_id in orders.values()))
    for booking, _ in orders.values():
        quote = client.get(
            f"/api/bookings/{booking.id}/cancellation-quote",
            headers=bearer(saga.tokens[booking.user_id]),
        )
        assert Decimal(quote.json()["refund"]) in expected.values()
        response = client.delete(
            f"/api/bookings/{booking.id}", headers=bearer(saga.tokens[booking.user_id])
        )
        assert response.status_code == 200 and response.json()["status"] == "cancelled"
    saga.wait_quiet()
    for policy, (booking, order_id) in orders.items():
        order = saga.order(order_id)
        assert order.status == OrderStatus.CONFIRMED  # API.md has no transition out of confirmed
        assert order.refunded_amount == expected[policy], policy
        refunds = [p.amount for p in saga.payments(order_id) if p.kind == PaymentKind.REFUND]
        assert refunds == ([expected[policy]] if expected[policy] else [])
        timeline = saga.timeline(order_id)
        assert timeline[3] == "BookingCancelled"
        assert timeline[4:] == (["RefundIssued"] if expected[policy] else [])
        assert saga.booking(booking.id or 0).status == "cancelled"
    saga.invariants()
