"""RabbitMQ restarted mid-flow (full mode): nothing is lost, neither in the outbox nor in flight.

The broker is a private RabbitMQ node of this test's own (tests/sagas.py PrivateRabbitMQ); the
shared server is never touched. The relay and the workers run as in production, against it.
"""

# ruff: noqa: F811  (pytest fixtures imported from tests/sagas.py)
from __future__ import annotations

import time
from collections import Counter
from typing import Any

from factories import make_hotel
from sagas import PrivateRabbitMQ, SagaHarness, private_rabbitmq, saga_factory  # noqa: F401
from sqlmodel import select

from backend.db import transaction
from backend.models import OrderStatus, OutboxMessage, Payment, PaymentKind, ProcessedMessage
from backend.saga.dlq import dead_letters

ORDERS = 16


def _unsent(saga: SagaHarness) -> int:
    with transaction(saga.ctx.engine) as session:
        rows = session.exec(
            select(OutboxMessage.id).where(OutboxMessage.published_at == None)  # noqa: E711
        ).all()
    return len(rows)


def test_rabbitmq_restarted_mid_flow_loses_nothing(
    private_rabbitmq: PrivateRabbitMQ, saga_factory: Any
) -> None:
    # A slow gateway and few threads keep the first wave in flight when the broker goes down.
    saga: SagaHarness = saga_factory(
        broker_url=private_rabbitmq.url, gateway_latency_ms=150, worker_threads=2
    )
    _, room_type_id = make_hotel(saga.ctx, rooms=ORDERS, price="120.00")
    # One guest each: a guest's second hold of the same stay would resume the first.
    bookings = [saga.hold(room_type_id, email=f"guest{i}@example.com") for i in range(ORDERS)]
    first = [saga.checkout(b) for b in bookings[: ORDERS // 2]]
    saga.start()

    def some_charged() -> bool:
        with transaction(saga.ctx.engine) as session:
            return len(session.exec(select(Payment.id)).all()) >= 2

    saga.wait_for(some_charged, timeout=30, what="the first charges")
    private_rabbitmq.stop()
    # While the broker is down checkout still works: the second wave waits in the outbox.
    second = [saga.checkout(b) for b in bookings[ORDERS // 2 :]]
    time.sleep(1.0)  # the relay tries (and fails) meanwhile
    assert _unsent(saga) >= len(second)
    assert OrderStatus.PENDING in {saga.order(o).status for o in second}
    private_rabbitmq.start()

    final = saga.wait_terminal(*first, *second, timeout=90)
    saga.wait_quiet(timeout=60)
    assert [o.status for o in final] == [OrderStatus.CONFIRMED] * ORDERS
    assert _unsent(saga) == 0
    # Every event reached every consumer exactly once in effect (redeliveries were no-ops)...
    with transaction(saga.ctx.engine) as session:
        consumers = Counter(session.exec(select(ProcessedMessage.consumer)).all())
    assert consumers == {
        "payments.charge_order": ORDERS,
        "inventory.confirm_booking": ORDERS,
        "orders.record_payment": ORDERS,
        "orders.complete_order": ORDERS,
    }
    # ...nothing was dead-lettered, and nobody was charged twice.
    assert dead_letters(saga.ctx) == []
    charges = [p for o in first + second for p in saga.payments(o) if p.kind == PaymentKind.CHARGE]
    assert len(charges) == ORDERS
    saga.invariants(all_terminal_before=saga.ctx.clock())
