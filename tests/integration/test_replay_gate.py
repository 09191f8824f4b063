"""The Idempotency-Key gate on the mode's Redis: the answer or the lock in one call, the lock
only its owner releases, and a bounded wait for a key another request is answering."""

from __future__ import annotations

import time

import pytest

from backend.context import Context
from backend.errors import Busy
from backend.locks import LockPolicy, ReplayGate


def _gate(ctx: Context, max_wait_ms: int = 60) -> ReplayGate:
    return ReplayGate(ctx.redis, LockPolicy(ttl_ms=5_000, max_wait_ms=max_wait_ms), retention_s=60)


def test_a_second_request_of_a_key_being_answered_waits_then_gets_busy(ctx: Context) -> None:
    gate = _gate(ctx)
    first = gate.claim("bookings:1:k1")
    assert first.token is not None and first.answer is None
    started = time.monotonic()
    with pytest.raises(Busy):
        gate.claim("bookings:1:k1")
    assert 0.05 <= time.monotonic() - started < 2.0  # it waited its bound, then gave up


def test_settle_stores_the_answer_and_only_the_owner_releases_the_lock(ctx: Context) -> None:
    gate = _gate(ctx)
    owner = gate.claim("bookings:1:k2")
    gate.settle("bookings:1:k2", "someone-elses-token", None)  # not the owner: still locked
    with pytest.raises(Busy):
        gate.claim("bookings:1:k2")
    assert owner.token is not None
    gate.settle("bookings:1:k2", owner.token, '{"status_code": 201}')
    assert gate.claim("bookings:1:k2").answer == '{"status_code": 201}'
    assert 0 < ctx.redis.ttl("idempotency:{bookings:1:k2}:answer") <= 60


def test_a_failed_action_leaves_no_answer_and_frees_the_key(ctx: Context) -> None:
    gate = _gate(ctx)
    owner = gate.claim("bookings:1:k3")
    assert owner.token is not None
    gate.settle("bookings:1:k3", owner.token, None)
    retry = gate.claim("bookings:1:k3")
    assert retry.answer is None and retry.token is not None  # the retry answers it afresh
