"""The simulated payment gateway: test cards, idempotency keys, refund limits, injected faults."""

from __future__ import annotations

import random
from decimal import Decimal

import fakeredis
import pytest

from backend.errors import InvalidInput
from backend.payments.cards import luhn_valid, normalize_card
from backend.payments.gateway import (
    CardDeclined,
    GatewayUnavailable,
    IdempotencyConflict,
    RefundRejected,
)
from backend.payments.simulated import SimulatedGateway


@pytest.fixture
def gateway() -> SimulatedGateway:
    return SimulatedGateway(fakeredis.FakeRedis(decode_responses=True))


def test_luhn_and_normalisation() -> None:
    assert luhn_valid("4242424242424242") and not luhn_valid("4242424242424241")
    assert normalize_card("4242 4242-4242 4242") == "4242424242424242"
    for bad in ("4242424242424241", "abcd", "", "4242", "４２４２４２４２４２４２４２４２"):
        with pytest.raises(InvalidInput):
            normalize_card(bad)


def test_test_cards(gateway: SimulatedGateway) -> None:
    ok = gateway.charge(
        idempotency_key="a",
        token=gateway.tokenize("4242424242424242"),
        amount=Decimal("12.50"),
        currency="EUR",
    )
    assert ok.amount == Decimal("12.50") and ok.ref.startswith("ch_")
    for card, code in (
        ("4000000000000002", "card_declined"),
        ("4000000000009995", "insufficient_funds"),
    ):
        with pytest.raises(CardDeclined) as declined:
            gateway.charge(
                idempotency_key=card,
                token=gateway.tokenize(card),
                amount=Decimal("1"),
                currency="EUR",
            )
        assert declined.value.code == code
    assert gateway.totals() == (Decimal("12.50"), Decimal("0.00"))


def test_one_key_never_charges_twice(gateway: SimulatedGateway) -> None:
    args = {
        "idempotency_key": "order-1",
        "token": "tok_visa",
        "amount": Decimal("100"),
        "currency": "EUR",
    }
    first, second = gateway.charge(**args), gateway.charge(**args)
    assert first == second and gateway.totals()[0] == Decimal("100.00")
    with pytest.raises(IdempotencyConflict):
        gateway.charge(**{**args, "amount": Decimal("99")})
    assert gateway.find_charge("order-1") == first and gateway.find_charge("order-2") is None


def test_refunds_never_exceed_the_charge(gateway: SimulatedGateway) -> None:
    charge = gateway.charge(
        idempotency_key="o", token="tok_visa", amount=Decimal("100"), currency="EUR"
    )
    half = gateway.refund(idempotency_key="r1", charge_ref=charge.ref, amount=Decimal("50"))
    assert gateway.refund(idempotency_key="r1", charge_ref=charge.ref, amount=Decimal("50")) == half
    with pytest.raises(RefundRejected):
        gateway.refund(idempotency_key="r2", charge_ref=charge.ref, amount=Decimal("50.01"))
    gateway.refund(idempotency_key="r3", charge_ref=charge.ref, amount=Decimal("50"))
    with pytest.raises(RefundRejected):
        gateway.refund(idempotency_key="r4", charge_ref="ch_unknown", amount=Decimal("1"))
    assert gateway.totals() == (Decimal("100.00"), Decimal("100.00"))


def test_transient_failures_are_sometimes_after_the_effect() -> None:
    gateway = SimulatedGateway(
        fakeredis.FakeRedis(decode_responses=True), failure_rate=0.5, rng=random.Random(7)
    )
    failures = 0
    for _ in range(200):
        try:
            gateway.charge(
                idempotency_key="same", token="tok_visa", amount=Decimal("5"), currency="EUR"
            )
        except GatewayUnavailable:
            failures += 1
    assert 60 < failures < 140
    # However many attempts failed before or after processing, the key charged exactly once.
    assert gateway.totals()[0] == Decimal("5.00")
