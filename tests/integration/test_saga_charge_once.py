"""The payments step's recording, called directly: once per message, whatever the delivery.

In full mode this is the one-statement path (backend/adapters/postgres/shortcuts.py), in local mode the
transaction; both must keep the same guarantees.
"""

# ruff: noqa: F811  (pytest fixtures imported from tests/sagas.py)
from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sagas import DECLINED_CARD, SagaHarness, saga, saga_factory  # noqa: F401
from sqlmodel import select

from backend.db import transaction
from backend.models import OutboxMessage, Payment, ProcessedMessage
from backend.saga.consumer import processed_key
from backend.saga.events import envelope
from backend.saga.payments import charge_key, charge_order, record_charge


def _order_created(saga: SagaHarness, order_id: int) -> dict[str, Any]:
    with transaction(saga.ctx.engine) as session:
        rows = session.exec(select(OutboxMessage)).all()
    (row,) = [
        r for r in rows if r.event_type == "OrderCreated" and r.payload["order_id"] == order_id
    ]
    return envelope(row)


def _recorded(saga: SagaHarness, order_id: int) -> tuple[int, list[str], int]:
    """(payments, outcome events written, processed-message rows) for the order."""
    with transaction(saga.ctx.engine) as session:
        payments = session.exec(select(Payment).where(Payment.order_id == order_id)).all()
        outbox = session.exec(select(OutboxMessage)).all()
        processed = session.exec(
            select(ProcessedMessage).where(ProcessedMessage.consumer == "payments.charge_order")
        ).all()
    outcomes = [
        r.event_type
        for r in outbox
        if r.event_type != "OrderCreated" and r.payload.get("order_id") == order_id
    ]
    return len(payments), outcomes, len(processed)


def test_a_charge_delivered_three_times_is_recorded_once(saga: SagaHarness) -> None:
    order_id = saga.checkout(saga.held_booking())
    message = _order_created(saga, order_id)
    for _ in range(3):
        charge_order(saga.ctx, message)
    assert _recorded(saga, order_id) == (1, ["PaymentSucceeded"], 1)


def test_a_decline_writes_its_outcome_and_no_payment(saga: SagaHarness) -> None:
    order_id = saga.checkout(saga.held_booking(), DECLINED_CARD)
    message = _order_created(saga, order_id)
    charge_order(saga.ctx, message)
    charge_order(saga.ctx, message)
    assert _recorded(saga, order_id) == (0, ["PaymentFailed"], 1)


def test_a_charge_the_sweeper_recorded_first_emits_nothing(saga: SagaHarness) -> None:
    order_id = saga.checkout(saga.held_booking())
    message = _order_created(saga, order_id)
    created = message["payload"]
    charge = saga.ctx.gateway.charge(
        idempotency_key=charge_key(order_id),
        token=created["payment_token"],
        amount=Decimal(created["amount"]),
        currency=created["currency"],
    )
    with saga.ctx.unit_of_work() as uow:  # the sweeper settled the order first
        assert record_charge(uow.payments, order_id, charge)
        uow.commit()
    charge_order(saga.ctx, message)
    assert _recorded(saga, order_id) == (1, [], 1)


def test_a_known_duplicate_stops_at_the_redis_pre_check(
    saga: SagaHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    order_id = saga.checkout(saga.held_booking())
    message = _order_created(saga, order_id)
    charge_order(saga.ctx, message)
    assert saga.ctx.redis.sismember(processed_key("payments.charge_order"), message["message_id"])

    def no_second_call(**_: Any) -> None:
        raise AssertionError("a known duplicate reached the gateway")

    monkeypatch.setattr(saga.ctx.gateway, "charge", no_second_call)
    charge_order(saga.ctx, message)
    assert _recorded(saga, order_id) == (1, ["PaymentSucceeded"], 1)


def test_without_the_pre_check_the_database_still_stops_a_duplicate(saga: SagaHarness) -> None:
    order_id = saga.checkout(saga.held_booking())
    message = _order_created(saga, order_id)
    charge_order(saga.ctx, message)
    saga.ctx.redis.delete(processed_key("payments.charge_order"))  # e.g. Redis lost its data
    charge_order(saga.ctx, message)
    assert _recorded(saga, order_id) == (1, ["PaymentSucceeded"], 1)
