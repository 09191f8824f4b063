"""A simulated card processor with Stripe's public test cards, kept in Redis.

Its ledger lives in Redis so that every process (web app, payment workers) sees the same charges;
Lua scripts make "charge once per key" and "never refund beyond the charge" atomic. Latency and a
transient failure rate are configurable: half of the injected failures happen *after* the charge
went through (a lost response), which is what makes idempotency keys necessary.
"""

from __future__ import annotations

import hashlib
import random
import time
from decimal import Decimal

import redis

from backend.payments.cards import normalize_card
from backend.payments.gateway import (
    CardDeclined,
    Charge,
    GatewayUnavailable,
    IdempotencyConflict,
    Refund,
    RefundRejected,
)

# Card -> token, and the decline each token produces (the processors' documented test numbers).
DECLINING_CARDS = {
    "4000000000000002": "tok_chargeDeclined",
    "4000000000009995": "tok_chargeDeclinedInsufficientFunds",
}
DECLINES = {
    "tok_chargeDeclined": ("card_declined", "Your card was declined."),
    "tok_chargeDeclinedInsufficientFunds": (
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
}
PREFIX = "gw:"
LEDGER = PREFIX + "ledger"

# KEYS: charge record, ledger. ARGV: ref, cents, currency, outcome. Returns the stored record.
CHARGE_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'ref', ARGV[1], 'cents', ARGV[2], 'currency', ARGV[3],
             'outcome', ARGV[4], 'refunded', 0)
  if ARGV[4] == 'ok' then redis.call('HINCRBY', KEYS[2], 'charged', ARGV[2]) end
end
return redis.call('HMGET', KEYS[1], 'ref', 'cents', 'currency', 'outcome')
"""
# KEYS: refund record, charge record, ledger. ARGV: ref, cents, charge ref.
REFUND_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('HMGET', KEYS[1], 'ref', 'cents', 'charge')
end
if redis.call('HGET', KEYS[2], 'outcome') ~= 'ok' then return {'error', 'unknown_charge'} end
local left = tonumber(redis.call('HGET', KEYS[2], 'cents')) - tonumber(redis.call('HGET', KEYS[2], 'refunded'))
if tonumber(ARGV[2]) > left then return {'error', 'exceeds_charge'} end
redis.call('HINCRBY', KEYS[2], 'refunded', ARGV[2])
redis.call('HSET', KEYS[1], 'ref', ARGV[1], 'cents', ARGV[2], 'charge', ARGV[3])
redis.call('HINCRBY', KEYS[3], 'refunded', ARGV[2])
return redis.call('HMGET', KEYS[1], 'ref', 'cents', 'charge')
"""


def _cents(amount: Decimal) -> int:
    return int(amount.quantize(Decimal("0.01")) * 100)


def _amount(cents: str | int) -> Decimal:
    return (Decimal(int(cents)) / 100).quantize(Decimal("0.01"))


def _ref(prefix: str, key: str) -> str:
    """Deterministic per idempotency key, so a retried call finds the first one's record."""
    return prefix + hashlib.sha256(key.encode()).hexdigest()[:24]


class SimulatedGateway:
    def __init__(
        self,
        client: redis.Redis,
        *,
        latency_ms: float = 0.0,
        failure_rate: float = 0.0,
        rng: random.Random | None = None,
    ) -> None:
        self.redis = client
        self.latency_ms = latency_ms
        self.failure_rate = failure_rate
        self.rng = rng or random.Random()
        self._charge = client.register_script(CHARGE_SCRIPT)
        self._refund = client.register_script(REFUND_SCRIPT)

    def tokenize(self, card_number: str) -> str:
        return DECLINING_CARDS.get(normalize_card(card_number), "tok_visa")

    def charge(self, *, idempotency_key: str, token: str, amount: Decimal, currency: str) -> Charge:
        ref = _ref("ch_", idempotency_key)
        outcome = DECLINES[token][0] if token in DECLINES else "ok"
        stored = self._call(
            self._charge,
            [PREFIX + "charge:" + ref, LEDGER],
            [ref, _cents(amount), currency, outcome],
        )
        _, cents, stored_currency, stored_outcome = stored
        if int(cents) != _cents(amount) or stored_currency != currency:
            raise IdempotencyConflict(f"key {idempotency_key!r} was used for another amount")
        if stored_outcome != "ok":
            raise CardDeclined(
                stored_outcome, DECLINES[token][1] if token in DECLINES else "Declined."
            )
        return Charge(ref=ref, amount=_amount(cents), currency=currency)

    def refund(self, *, idempotency_key: str, charge_ref: str, amount: Decimal) -> Refund:
        ref = _ref("re_", idempotency_key)
        keys = [PREFIX + "refund:" + ref, PREFIX + "charge:" + charge_ref, LEDGER]
        stored = self._call(self._refund, keys, [ref, _cents(amount), charge_ref])
        if stored[0] == "error":
            raise RefundRejected(f"refund of {amount} on {charge_ref} rejected: {stored[1]}")
        if int(stored[1]) != _cents(amount) or stored[2] != charge_ref:
            raise IdempotencyConflict(f"key {idempotency_key!r} was used for another refund")
        return Refund(ref=ref, charge_ref=charge_ref, amount=_amount(stored[1]))

    def find_charge(self, idempotency_key: str) -> Charge | None:
        ref = _ref("ch_", idempotency_key)
        record: dict[str, str] = self.redis.hgetall(PREFIX + "charge:" + ref)  # type: ignore[assignment]
        if not record or record.get("outcome") != "ok":
            return None
        return Charge(ref=ref, amount=_amount(record["cents"]), currency=record["currency"])

    def totals(self) -> tuple[Decimal, Decimal]:
        ledger: dict[str, str] = self.redis.hgetall(LEDGER)  # type: ignore[assignment]
        return _amount(ledger.get("charged", 0)), _amount(ledger.get("refunded", 0))

    def _call(
        self, script: redis.commands.core.Script, keys: list[str], args: list[str | int]
    ) -> list[str]:
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        if self.rng.random() < self.failure_rate / 2:
            raise GatewayUnavailable("simulated gateway timeout (before processing)")
        try:
            result = script(keys=keys, args=args)
        except redis.RedisError as error:
            raise GatewayUnavailable(f"gateway store unreachable: {error}") from error
        if self.rng.random() < self.failure_rate / 2:
            raise GatewayUnavailable("simulated gateway timeout (response lost after processing)")
        return [str(value) for value in result]
