"""The order state machine allows exactly API.md's transitions, each recorded on the timeline."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from itertools import product

import pytest

from backend.models import Order, OrderStatus
from backend.saga.order_state import (
    TERMINAL,
    IllegalTransition,
    can_transition,
    is_terminal,
    transition,
)

S = OrderStatus
ALLOWED = {(S.PENDING, S.PAID), (S.PAID, S.CONFIRMED), (S.PENDING, S.FAILED), (S.PAID, S.REFUNDED)}
AT = datetime(2030, 1, 1, tzinfo=UTC)


def _order(status: OrderStatus) -> Order:
    return Order(id=7, user_id=1, booking_id=2, status=status, amount=Decimal("10"), currency="EUR")


@pytest.mark.parametrize(("source", "target"), list(product(S, S)))
def test_only_the_contracts_transitions_are_allowed(
    source: OrderStatus, target: OrderStatus
) -> None:
    order = _order(source)
    if (source, target) in ALLOWED:
        entry = transition(order, target, "Because", AT, "why", {"k": "v"})
        assert order.status == target and order.updated_at == AT
        assert (entry.order_id, entry.type, entry.at, entry.detail, entry.data) == (
            7,
            "Because",
            AT,
            "why",
            {"k": "v"},
        )
    else:
        assert not can_transition(source, target)
        with pytest.raises(IllegalTransition):
            transition(order, target, "Because", AT)
        assert order.status == source  # unchanged


def test_terminal_states() -> None:
    assert {S.CONFIRMED, S.FAILED, S.REFUNDED} == TERMINAL
    assert [s for s in S if is_terminal(s)] == [S.CONFIRMED, S.FAILED, S.REFUNDED]


def test_a_full_happy_path_and_a_compensated_one() -> None:
    happy, compensated = _order(S.PENDING), _order(S.PENDING)
    timeline = [
        transition(happy, S.PAID, "PaymentSucceeded", AT),
        transition(happy, S.CONFIRMED, "InventoryReserved", AT),
    ]
    assert [e.type for e in timeline] == ["PaymentSucceeded", "InventoryReserved"]
    transition(compensated, S.PAID, "PaymentSucceeded", AT)
    transition(compensated, S.REFUNDED, "RefundIssued", AT)
    with pytest.raises(IllegalTransition):
        transition(compensated, S.CONFIRMED, "InventoryReserved", AT)
