"""Idempotent consumers: a message's effect and its processed-message row commit together.

The database is the truth. A consumer's first statement inserts the message's row (primary key
(consumer, message_id)) with ON CONFLICT DO NOTHING: a second delivery inserts nothing (a
concurrent one waits for the first to commit or roll back) and its transaction changes nothing.
A Redis set of processed ids per consumer is only a fast pre-check that stops most duplicates
before a transaction (or, for payments, a gateway call); a miss there costs nothing but that.
After the commit, one pipeline remembers the id in the set, pushes the status changes and adds
the metrics the transaction noted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import redis
from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from backend.context import Context
from backend.db import transaction
from backend.metrics import MetricsBatch
from backend.models import Order, ProcessedMessage, utcnow
from backend.saga.status_bus import StatusChange

log = logging.getLogger("trinity.saga")
_CHANGES = "trinity_status_changes"
_METRICS = "trinity_metrics"


def processed_key(consumer: str) -> str:
    return f"trinity:processed:{consumer}"


def already_processed(ctx: Context, consumer: str, message_id: str) -> bool:
    """The fast pre-check (Redis). A miss is fine: the processed-message row decides."""
    try:
        seen = bool(ctx.redis.sismember(processed_key(consumer), message_id))
    except redis.RedisError:
        return False
    if seen:
        log.info("%s: skipping duplicate message %s", consumer, message_id)
    return seen


def _record(dialect: Any) -> Insert:
    table = ProcessedMessage.__table__  # type: ignore[attr-defined]
    return dialect.insert(table).on_conflict_do_nothing().returning(table.c.message_id)


# Built once: the statement and its compiled form are reused by every message.
_RECORDS = {"postgresql": _record(postgresql), "sqlite": _record(sqlite)}


def record_message(session: Session, consumer: str, message_id: str) -> bool:
    """Insert the processed-message row; False when the message was processed already."""
    statement = _RECORDS[session.get_bind().dialect.name]
    row = {"consumer": consumer, "message_id": message_id, "processed_at": utcnow()}
    return session.execute(statement, row).first() is not None


def apply_once(
    ctx: Context, consumer: str, message_id: str, effect: Callable[[Session], None]
) -> bool:
    """Record the message and run `effect` in one transaction; False when it was a duplicate."""
    if already_processed(ctx, consumer, message_id):
        return False
    with saga_transaction(ctx, processed=(consumer, message_id)) as session:
        if not record_message(session, consumer, message_id):
            log.info("%s: message %s was already processed", consumer, message_id)
            return False
        effect(session)
    return True


def note_status(session: Session, order: Order, event_type: str) -> None:
    """Remember a status change; `saga_transaction` publishes it once the transaction committed."""
    session.info.setdefault(_CHANGES, []).append(
        StatusChange(
            order_id=order.id or 0,
            user_id=order.user_id,
            status=str(order.status),
            event=event_type,
            at=order.updated_at.isoformat(),
        )
    )


def metrics_after_commit(session: Session) -> MetricsBatch:
    """Metrics that count only if the transaction commits; `saga_transaction` writes them."""
    batch: MetricsBatch = session.info.setdefault(_METRICS, MetricsBatch())
    return batch


@contextmanager
def saga_transaction(ctx: Context, processed: tuple[str, str] | None = None) -> Iterator[Session]:
    """`transaction`, then one Redis round trip after the commit: remember the `processed`
    (consumer, message id), push the noted status changes and add the noted metrics."""
    with transaction(ctx.engine) as session:
        yield session
        changes: list[StatusChange] = list(session.info.pop(_CHANGES, []))
        metrics: MetricsBatch | None = session.info.pop(_METRICS, None)
    after_commit(ctx, processed, changes, metrics)


def after_commit(
    ctx: Context,
    processed: tuple[str, str] | None,
    changes: list[StatusChange] = [],  # noqa: B006 (never mutated)
    metrics: MetricsBatch | None = None,
) -> None:
    pipe = ctx.redis.pipeline(transaction=False)
    if processed is not None:
        consumer, message_id = processed
        pipe.sadd(processed_key(consumer), message_id)
    for change in changes:
        ctx.status_bus.add_to(pipe, change)
    if metrics is not None:
        ctx.metrics.queue(pipe, metrics)
    if not len(pipe):
        return
    try:
        pipe.execute()
    except redis.RedisError as error:
        log.warning("Redis unavailable after commit (status/metrics not pushed): %s", error)


class OutOfOrder(Exception):
    """The message arrived before one it depends on was applied; retry it a little later."""
