"""The saga's dramatiq actors and the process roles that run them.

`declare_actors` binds every consumer of backend/saga/topology.py to the context's broker as an
actor named `verb_noun` on its service's queue (orders, payments, inventory); arguments are the
JSON envelopes the relay sends. Retry policy lives here, on the actors:

- expected transient failures (gateway outage, a message that overtook the one it depends on)
  raise dramatiq.Retry: retried with exponential backoff and jitter, without a scary traceback;
- final failures (a malformed message, a refund the gateway refuses) fail fast to the dead-letter
  queue, where `trinity dlq` lists and replays them;
- refunds are retried until they succeed (max_retries=None).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

import dramatiq
import redis
from dramatiq.middleware import Retries

from backend.context import Context
from backend.logs import bind
from backend.payments.gateway import GatewayUnavailable, IdempotencyConflict, RefundRejected
from backend.saga.consumer import OutOfOrder
from backend.saga.dlq import FAILURES_KEY
from backend.saga.events import BadMessage
from backend.saga.order_state import IllegalTransition
from backend.saga.relay import OutboxRelay
from backend.saga.topology import CONSUMERS, QUEUES, Consumer, queue_name
from workers.telemetry import WorkerMetrics

log = logging.getLogger("trinity.worker")
FINAL_ERRORS = (BadMessage, RefundRejected, IdempotencyConflict, IllegalTransition)
TRANSIENT_ERRORS = (GatewayUnavailable, OutOfOrder)
DEFAULT_RETRY: dict[str, Any] = {"max_retries": 30, "min_backoff": 50, "max_backoff": 2_000}
RETRY: dict[str, dict[str, Any]] = {
    "charge_order": {"max_retries": 30, "min_backoff": 50, "max_backoff": 2_000},
    "refund_order": {"max_retries": None, "min_backoff": 100, "max_backoff": 60_000},
}
WORKER_TIMEOUT_MS = 250  # how often idle consumer threads look up (delay queues, shutdown)


class RecordFailures(dramatiq.Middleware):
    """Remembers why a message failed for good, for `trinity dlq` (RabbitMQ dead-letters the
    original body, without the error)."""

    def __init__(self, *, client: redis.Redis) -> None:
        self.redis = client

    def after_process_message(
        self, broker: dramatiq.Broker, message: Any, *, result: Any = None, exception: Any = None
    ) -> None:
        if exception is None or not message.failed:
            return
        reason = f"{type(exception).__name__}: {exception}"[:500]
        try:
            self.redis.hset(FAILURES_KEY, message.message_id, reason)
        except redis.RedisError:
            log.warning("could not record why message %s failed: %s", message.message_id, reason)


def declare_actors(ctx: Context) -> dict[str, dramatiq.Actor[Any, None]]:
    """Bind every saga consumer to `ctx.broker` (once per broker)."""
    if not any(isinstance(m, RecordFailures) for m in ctx.broker.middleware):
        # Before Retries in the list = after it in the after_* hooks, once it decided to fail.
        ctx.broker.add_middleware(RecordFailures(client=ctx.redis), before=Retries)
        ctx.broker.add_middleware(WorkerMetrics(ctx.metrics))
    actors: dict[str, dramatiq.Actor[Any, None]] = {}
    for consumer in CONSUMERS:
        if consumer.actor_name in ctx.broker.actors:
            actors[consumer.actor_name] = ctx.broker.actors[consumer.actor_name]
            continue
        declare = dramatiq.actor(
            actor_name=consumer.actor_name,
            queue_name=queue_name(ctx.settings, consumer.queue),
            broker=ctx.broker,
            throws=FINAL_ERRORS,
            **RETRY.get(consumer.actor_name, DEFAULT_RETRY),
        )
        actors[consumer.actor_name] = declare(_bind(ctx, consumer))
    return actors


def _bind(ctx: Context, consumer: Consumer) -> Callable[[dict[str, Any]], None]:
    def process(message: dict[str, Any]) -> None:
        payload = message.get("payload") if isinstance(message, dict) else None
        ids = payload if isinstance(payload, dict) else {}
        with bind(
            order_id=ids.get("order_id"),
            booking_id=ids.get("booking_id"),
            message_id=message.get("message_id") if isinstance(message, dict) else None,
        ):
            try:
                consumer.handler(ctx, message)
            except TRANSIENT_ERRORS as error:
                log.info("%s: %s; retrying later", consumer.actor_name, error)
                raise dramatiq.Retry(str(error)) from error

    process.__name__ = consumer.actor_name
    process.__qualname__ = consumer.actor_name
    return process


def start_worker(ctx: Context, queues: Iterable[str] | None = None) -> dramatiq.Worker:
    """Declare the actors and start a dramatiq Worker on the given services' queues (all by default)."""
    declare_actors(ctx)
    wanted = {queue_name(ctx.settings, queue) for queue in (queues or QUEUES)}
    worker = dramatiq.Worker(
        ctx.broker,
        queues=wanted,
        worker_threads=ctx.settings.worker_threads,
        worker_timeout=WORKER_TIMEOUT_MS,
    )
    worker.start()
    return worker


def run_saga_worker(
    ctx: Context, stop: threading.Event, queues: Iterable[str] | None = None
) -> None:
    """A process role: consume the saga's queues until `stop` is set."""
    worker = start_worker(ctx, queues)
    try:
        stop.wait()
    finally:
        worker.stop(timeout=10_000)


def run_relay(ctx: Context, stop: threading.Event) -> None:
    """A process role: publish the outbox until `stop` is set."""
    OutboxRelay(ctx).run(stop)
