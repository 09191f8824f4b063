"""Operating the saga: health of the broker, dead letters, and a worker killed mid-saga."""

# ruff: noqa: F811  (pytest fixtures imported from tests/sagas.py)
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import dramatiq
import pytest
from fastapi.testclient import TestClient
from sagas import SagaHarness, saga, saga_factory  # noqa: F401
from sqlmodel import select

from backend.api.main import create_api
from backend.db import transaction
from backend.models import OrderStatus, Payment, PaymentKind
from backend.saga.dlq import dead_letters
from backend.saga.topology import queue_name

ROOT = Path(__file__).resolve().parents[2]


def test_health_reports_the_broker(saga: SagaHarness, saga_factory: Any, mode: str) -> None:
    body = TestClient(create_api(saga.ctx)).get("/api/health").json()
    assert body["components"]["broker"] == "ok"
    if mode == "full":
        down = saga_factory(broker_url="amqp://guest:guest@127.0.0.1:9/")  # nothing listens there
        response = TestClient(create_api(down.ctx)).get("/api/health")
        assert response.status_code == 503
        assert response.json()["components"]["broker"].startswith("error")


def test_a_poison_message_is_dead_lettered_listed_and_replayed(saga: SagaHarness) -> None:
    saga.start(relay=False)
    poison = {
        "message_id": "m-1",
        "type": "OrderCreated",
        "payload": {"version": 1, "order_id": "x"},
    }
    saga.ctx.broker.enqueue(
        dramatiq.Message(
            queue_name=queue_name(saga.ctx.settings, "payments"),
            actor_name="charge_order",
            args=(poison,),
            kwargs={},
            options={},
        )
    )
    (letter,) = saga.wait_for(lambda: dead_letters(saga.ctx), what="a dead letter")
    assert (letter.actor_name, letter.event_type, letter.message_id) == (
        "charge_order",
        "OrderCreated",
        "m-1",
    )
    assert letter.retries == 0  # a malformed message fails fast, it is not retried
    assert "BadMessage" in letter.error
    assert len(dead_letters(saga.ctx, replay=True)) == 1
    # Replayed to the actor, it fails again (still malformed) and is dead-lettered once more.
    (again,) = saga.wait_for(lambda: dead_letters(saga.ctx), what="the replayed letter")
    assert again.message_id == "m-1"


def _spawn_worker(saga: SagaHarness, log: Path, **env: str) -> subprocess.Popen[bytes]:
    settings = saga.ctx.settings
    environment = {
        **os.environ,
        "TRINITY_MODE": "full",
        "DATABASE_URL": settings.sqlalchemy_url,
        "REDIS_URL": settings.redis_url or "",
        "BROKER_QUEUE_PREFIX": settings.broker_queue_prefix,
        "WORKER_THREADS": "4",
        **env,
    }
    command = [
        sys.executable,
        "-m",
        "workers.cli",
        "worker",
        "-q",
        "payments",
        "-q",
        "inventory",
        "-q",
        "orders",
    ]
    return subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )


def test_worker_killed_mid_saga_every_order_settles_once(
    saga: SagaHarness, mode: str, tmp_path: Path
) -> None:
    if mode != "full":
        pytest.skip("separate worker processes exist in full mode only")
    bookings = [saga.held_booking(rooms=1) for _ in range(12)]
    orders = [saga.checkout(b) for b in bookings]
    # Two worker processes share the queues (started together: each takes seconds to import);
    # the first is killed once charges are under way, with messages in flight.
    first = _spawn_worker(saga, tmp_path / "worker1.log", GATEWAY_LATENCY_MS="150")
    second = _spawn_worker(saga, tmp_path / "worker2.log", GATEWAY_LATENCY_MS="150")
    saga.start(worker=False)  # the relay runs here
    try:

        def some_charged() -> bool:
            with transaction(saga.ctx.engine) as session:
                return len(session.exec(select(Payment.id)).all()) >= 2

        try:
            saga.wait_for(some_charged, timeout=60, what="the first charges")
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        settled_before = [saga.order(o).status for o in orders]
        assert OrderStatus.PENDING in settled_before or OrderStatus.PAID in settled_before, (
            settled_before
        )
        final = saga.wait_terminal(*orders, timeout=40)
        saga.wait_quiet()
    finally:  # never leave a worker process behind, whatever failed
        for process in (first, second):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(20)
    assert [o.status for o in final] == [OrderStatus.CONFIRMED] * len(orders)
    charges = [p for o in orders for p in saga.payments(o) if p.kind == PaymentKind.CHARGE]
    assert len(charges) == len(orders)
    saga.invariants()  # the gateway's ledger agrees: nobody was charged twice
