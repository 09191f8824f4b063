"""The saga's events: versioned pydantic models, carried as JSON in outbox rows and messages.

An outbox row stores `event_type` (the class name) and `payload` (the model's fields plus
`version`). The relay wraps a row in an envelope `{message_id, type, payload, occurred_at}`: the
message id is the outbox row's, so a re-published row is still recognised by its consumers.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

RefundReason = Literal["compensation", "cancellation"]


class BadMessage(Exception):
    """A message that can never be processed (unknown type or version, invalid fields)."""


class Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    VERSION: ClassVar[int] = 1

    version: int = 1


class OrderCreated(Event):
    order_id: int
    booking_id: int
    user_id: int
    amount: Decimal
    currency: str
    payment_token: str


class PaymentSucceeded(Event):
    order_id: int
    booking_id: int
    amount: Decimal
    currency: str
    charge_ref: str


class PaymentFailed(Event):
    order_id: int
    booking_id: int
    code: str
    reason: str


class InventoryReserved(Event):
    order_id: int
    booking_id: int
    # The charge this step followed (PaymentSucceeded's): lets Orders record the payment itself
    # when this event overtakes PaymentSucceeded, instead of waiting for it. Optional (added later).
    charge_ref: str | None = None


class InventoryFailed(Event):
    order_id: int
    booking_id: int
    reason: str
    charge_ref: str | None = None


class RefundRequested(Event):
    order_id: int
    amount: Decimal
    currency: str
    reason: RefundReason


class RefundIssued(Event):
    order_id: int
    amount: Decimal
    currency: str
    reason: RefundReason
    refund_ref: str


class ConfirmedBookingCancelled(Event):
    """Written by backend/services/booking.py when a guest cancels a confirmed stay."""

    booking_id: int
    user_id: int
    cancellation_policy: str | None = None
    # The share of the order refunded, decided when the guest cancelled (the quote's); absent in
    # messages from before policies had deadlines: the saga then applies the rule itself.
    refund_share: Decimal | None = None
    cancelled_at: datetime | None = None


EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        OrderCreated,
        PaymentSucceeded,
        PaymentFailed,
        InventoryReserved,
        InventoryFailed,
        RefundRequested,
        RefundIssued,
        ConfirmedBookingCancelled,
    )
}
E = TypeVar("E", bound=Event)


class OutboxRow(Protocol):
    """An outbox row: the ORM model or a Core row of its columns (what the relay reads)."""

    id: int | None
    event_type: str
    payload: dict[str, Any]
    created_at: datetime
    message_id: str | None


def envelope(row: OutboxRow) -> dict[str, Any]:
    occurred: datetime = row.created_at
    return {
        "message_id": row.message_id or f"outbox-{row.id}",
        "type": row.event_type,
        "payload": row.payload,
        "occurred_at": occurred.isoformat(),
    }


def parse(message: dict[str, Any], *expected: type[E]) -> tuple[str, E]:
    """(message id, event) of an envelope whose type is one of `expected`; BadMessage otherwise."""
    try:
        message_id = str(message["message_id"])
        cls = EVENT_TYPES[message["type"]]
        payload = message["payload"]
    except (KeyError, TypeError) as error:
        raise BadMessage(f"not a saga envelope: {error!r}") from error
    if cls not in expected:
        raise BadMessage(f"{cls.__name__} is not one of {[e.__name__ for e in expected]}")
    if payload.get("version", 1) != cls.VERSION:
        raise BadMessage(f"{cls.__name__} version {payload.get('version')} is not supported")
    try:
        return message_id, cls.model_validate(payload)  # type: ignore[return-value]
    except ValidationError as error:
        raise BadMessage(f"invalid {cls.__name__}: {error}") from error
