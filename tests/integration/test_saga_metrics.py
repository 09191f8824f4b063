"""The saga on /api/metrics: how long sagas take by outcome, and dramatiq's own series from the
workers, in both modes."""

# ruff: noqa: F811  (pytest fixtures imported from tests/sagas.py)
from __future__ import annotations

import re
import time

from factories import bearer, make_user
from fastapi.testclient import TestClient
from sagas import DECLINED_CARD, SagaHarness, saga, saga_factory  # noqa: F401

from backend.api.main import create_api
from backend.models import OrderStatus
from backend.saga.topology import queue_name


def _value(scrape: str, series: str) -> float:
    """The sample of `series` (name and labels exactly as exposed), 0 when absent."""
    match = re.search(rf"^{re.escape(series)} (\S+)$", scrape, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_saga_durations_and_worker_messages_are_exported(saga: SagaHarness) -> None:
    admin, _ = make_user(saga.ctx, "ops@example.com", admin=True)
    client = TestClient(create_api(saga.ctx), headers=bearer(admin))
    confirmed = 'trinity_saga_duration_seconds_count{outcome="confirmed"}'
    failed = 'trinity_saga_duration_seconds_count{outcome="failed"}'
    charges = 'dramatiq_messages_total{{actor_name="charge_order",queue_name="{}"}}'.format(
        queue_name(saga.ctx.settings, "payments")
    )
    before = client.get("/api/metrics").text
    orders = [saga.checkout(saga.held_booking()), saga.checkout(saga.held_booking(), DECLINED_CARD)]
    saga.start()
    assert [o.status for o in saga.wait_terminal(*orders)] == [
        OrderStatus.CONFIRMED,
        OrderStatus.FAILED,
    ]
    saga.wait_quiet()
    deadline = time.monotonic() + 10  # the workers write their counts once a second
    while True:
        after = client.get("/api/metrics").text
        if _value(after, charges) - _value(before, charges) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert _value(after, confirmed) - _value(before, confirmed) == 1
    assert _value(after, failed) - _value(before, failed) == 1
    assert _value(after, charges) - _value(before, charges) == 2
    assert "# TYPE dramatiq_message_duration_seconds histogram" in after
