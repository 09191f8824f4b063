"""The saga's message topology with handlers that only pass the baton: what bench/saga_floor.py runs.

Every actor has the real one's name, queue, retry options and middleware (workers/saga.py) and
does nothing but send the message(s) the real handler's outcome leads to, to the real topology's
subscribers (backend/saga/topology.py): no database, no outbox, no relay, no Redis pre-check. One
process per queue, started like `trinity worker -q X`:

    python -m bench.saga_floor_actors QUEUE READY_FILE RESULTS_FILE CHAINS

The orders process (every chain's last message lands on the orders queue) notes when each chain's
last message was handled and writes `{chain: [started, finished]}` to RESULTS_FILE once all
CHAINS are done.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import dramatiq
import redis
from dramatiq.middleware import Retries

from backend.bootstrap import build_broker
from backend.metrics import Metrics
from backend.saga.topology import CONSUMERS, ORDERS, Consumer, subscribers
from backend.settings import Mode, Settings
from workers.saga import DEFAULT_RETRY, FINAL_ERRORS, RETRY, WORKER_TIMEOUT_MS, RecordFailures
from workers.telemetry import WorkerMetrics

# The saga's outcomes as bench/saga.py mixes them: paid and confirmed, card declined, hold lost
# after payment (paid, then refunded).
KINDS = ("confirmed", "failed", "refunded")
START_EVENT = "OrderCreated"
# The event each real handler emits, by outcome (backend/saga/payments.py, inventory.py,
# orders.py); a consumer missing here emits nothing for that outcome.
EMITS: dict[str, dict[str, str]] = {
    "charge_order": {
        "confirmed": "PaymentSucceeded",
        "failed": "PaymentFailed",
        "refunded": "PaymentSucceeded",
    },
    "confirm_booking": {"confirmed": "InventoryReserved", "refunded": "InventoryFailed"},
    "complete_order": {"refunded": "RefundRequested"},
    "refund_order": {"refunded": "RefundIssued"},
}
BROKERS = ("rabbitmq", "rabbitmq-noconfirm", "redis")


def chain(kind: str) -> list[Consumer]:
    """Every consumer that handles a message of one saga with this outcome, in causal order."""
    handled: list[Consumer] = []
    pending = [START_EVENT]
    while pending:
        event = pending.pop(0)
        for consumer in subscribers(event):
            handled.append(consumer)
            if following := EMITS.get(consumer.actor_name, {}).get(kind):
                pending.append(following)
    return handled


def orders_messages(kind: str) -> int:
    return sum(consumer.queue == ORDERS for consumer in chain(kind))


def build_floor_broker(kind: str, url: str) -> dramatiq.Broker:
    """The workers' own broker (`build_broker`), or RabbitMQ without publisher confirms."""
    if kind == "rabbitmq-noconfirm":
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        return RabbitmqBroker(url=url, confirm_delivery=False)
    return build_broker(Settings(mode=Mode.FULL, broker_url=url))


def send(broker: dramatiq.Broker, prefix: str, event: str, payload: dict[str, Any]) -> None:
    """One envelope per event, one message per subscriber: what the relay publishes."""
    body = {
        "message_id": str(uuid4()),
        "type": event,
        "payload": payload,
        "occurred_at": datetime.now(UTC).isoformat(),
    }
    for consumer in subscribers(event):
        broker.enqueue(
            dramatiq.Message(
                queue_name=prefix + consumer.queue,
                actor_name=consumer.actor_name,
                args=(body,),
                kwargs={},
                options={},
            )
        )


class Finish:
    """Notes when each chain's last (orders) message was handled; writes them all at the end."""

    def __init__(self, results: Path, chains: int) -> None:
        self.results, self.chains = results, chains
        self.expected = {kind: orders_messages(kind) for kind in KINDS}
        self._lock = threading.Lock()
        self._seen: Counter[int] = Counter()
        self._done: dict[int, tuple[float, float]] = {}

    def handled(self, payload: dict[str, Any]) -> None:
        now, chain_id = time.time(), int(payload["order_id"])
        with self._lock:
            self._seen[chain_id] += 1
            if self._seen[chain_id] == self.expected[payload["kind"]]:
                self._done[chain_id] = (float(payload["started"]), now)
                if len(self._done) == self.chains:
                    partial = self.results.with_suffix(".part")
                    partial.write_text(json.dumps(self._done))
                    partial.rename(self.results)


def declare(
    broker: dramatiq.Broker, prefix: str, finish: Finish | None
) -> dict[str, dramatiq.Actor[Any, None]]:
    """Every consumer of the topology as an actor that only sends what its outcome leads to."""
    broker.add_middleware(RecordFailures(client=_redis()), before=Retries)
    broker.add_middleware(WorkerMetrics(Metrics(_redis())))
    actors: dict[str, dramatiq.Actor[Any, None]] = {}
    for consumer in CONSUMERS:
        declare_actor = dramatiq.actor(
            actor_name=consumer.actor_name,
            queue_name=prefix + consumer.queue,
            broker=broker,
            throws=FINAL_ERRORS,
            **RETRY.get(consumer.actor_name, DEFAULT_RETRY),
        )
        actors[consumer.actor_name] = declare_actor(_pass_on(broker, prefix, consumer, finish))
    return actors


def _pass_on(
    broker: dramatiq.Broker, prefix: str, consumer: Consumer, finish: Finish | None
) -> Callable[[dict[str, Any]], None]:
    emits = EMITS.get(consumer.actor_name, {})

    def process(message: dict[str, Any]) -> None:
        payload = message["payload"]
        if following := emits.get(payload["kind"]):
            send(broker, prefix, following, payload)
        if finish is not None and consumer.queue == ORDERS:
            finish.handled(payload)

    process.__name__ = consumer.actor_name
    return process


def _redis() -> redis.Redis:
    """Like the workers' client (backend/bootstrap.py): for the middleware's metrics."""
    url = os.environ["REDIS_URL"]
    return redis.Redis.from_url(
        url, decode_responses=True, socket_connect_timeout=1, socket_timeout=2
    )


def main(argv: list[str]) -> None:
    queue, ready, results, chains = argv
    broker = build_floor_broker(os.environ["FLOOR_BROKER"], os.environ["FLOOR_BROKER_URL"])
    prefix = os.environ["BROKER_QUEUE_PREFIX"]
    declare(broker, prefix, Finish(Path(results), int(chains)) if queue == ORDERS else None)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    worker = dramatiq.Worker(
        broker,
        queues={prefix + queue},
        worker_threads=Settings().worker_threads,
        worker_timeout=WORKER_TIMEOUT_MS,
    )
    worker.start()
    Path(ready).touch()
    try:
        stop.wait()
    finally:
        worker.stop(timeout=10_000)
        broker.close()


if __name__ == "__main__":
    main(sys.argv[1:])
