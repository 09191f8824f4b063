"""The order state machine: only the transitions of the API contract, each one on the timeline.

    pending -> paid -> confirmed
    pending -> failed            (payment declined)
    paid    -> refunded          (rooms could not be reserved after payment: compensation)

Pure functions over the Order model: no session, no I/O.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.models import Order, OrderEvent, OrderStatus

S = OrderStatus
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.PENDING: frozenset({S.PAID, S.FAILED}),
    S.PAID: frozenset({S.CONFIRMED, S.REFUNDED}),
    S.CONFIRMED: frozenset(),
    S.FAILED: frozenset(),
    S.REFUNDED: frozenset(),
}
TERMINAL = frozenset(status for status, nexts in TRANSITIONS.items() if not nexts)
# How far along the lifecycle a status is: an event meant for a later stage that arrives early
# (InventoryReserved before PaymentSucceeded was applied) is retried, a late one is ignored.
STAGE = {S.PENDING: 0, S.PAID: 1, S.CONFIRMED: 2, S.FAILED: 2, S.REFUNDED: 2}


class IllegalTransition(Exception):
    def __init__(self, order_id: int | None, source: OrderStatus, target: OrderStatus) -> None:
        super().__init__(f"order {order_id}: {source} -> {target} is not allowed")
        self.source, self.target = source, target


def can_transition(source: OrderStatus, target: OrderStatus) -> bool:
    return target in TRANSITIONS[OrderStatus(source)]


def transition(
    order: Order,
    target: OrderStatus,
    event_type: str,
    at: datetime,
    detail: str = "",
    data: dict[str, Any] | None = None,
) -> OrderEvent:
    """Move the order to `target` and return the timeline entry recording why."""
    if not can_transition(order.status, target):
        raise IllegalTransition(order.id, OrderStatus(order.status), target)
    order.status = target
    order.updated_at = at
    return timeline_entry(order, event_type, at, detail, data)


def timeline_entry(
    order: Order,
    event_type: str,
    at: datetime,
    detail: str = "",
    data: dict[str, Any] | None = None,
) -> OrderEvent:
    return OrderEvent(
        order_id=order.id or 0, type=event_type, at=at, detail=detail, data=data or {}
    )


def is_terminal(status: OrderStatus) -> bool:
    return OrderStatus(status) in TERMINAL
