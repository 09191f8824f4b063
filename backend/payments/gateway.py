"""The payment gateway port: what the saga needs from a card processor.

Every call that moves money takes an idempotency key: the same key never charges or refunds twice,
whatever the network did to the first attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol


class GatewayError(Exception):
    """Base of gateway failures."""


class GatewayUnavailable(GatewayError):
    """Transient: timeout, 5xx, connection reset. The same call may be retried with the same key."""


class CardDeclined(GatewayError):
    """Final: the issuer said no. `code` is the processor's decline code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class RefundRejected(GatewayError):
    """Final: the refund would exceed what is left of the charge, or the charge is unknown."""


class IdempotencyConflict(GatewayError):
    """Final: the key was used before for a different amount or charge."""


@dataclass(frozen=True)
class Charge:
    ref: str
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Refund:
    ref: str
    charge_ref: str
    amount: Decimal


class PaymentGateway(Protocol):
    def tokenize(self, card_number: str) -> str:
        """A payment token for a (Luhn-valid) card number; only the token travels in events."""
        ...

    def charge(self, *, idempotency_key: str, token: str, amount: Decimal, currency: str) -> Charge:
        """Charge once per key; raises CardDeclined or GatewayUnavailable."""
        ...

    def refund(self, *, idempotency_key: str, charge_ref: str, amount: Decimal) -> Refund:
        """Refund once per key, never beyond the charge; raises RefundRejected, GatewayUnavailable."""
        ...

    def find_charge(self, idempotency_key: str) -> Charge | None:
        """The successful charge made under this key, if any (used to resolve stuck orders)."""
        ...

    def totals(self) -> tuple[Decimal, Decimal]:
        """(charged, refunded) over the gateway's whole ledger: the invariant checker's outside view."""
        ...
