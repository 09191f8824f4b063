"""Idempotent consumers: a message's effect and its processed-message row commit together.

The database is the truth: a second delivery of a message collides with the first one's row (the
primary key (consumer, message_id)) and changes nothing. A Redis set per consumer is only a fast
pre-check that saves the transaction (and, for payments, the gateway call) on most duplicates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import redis
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from backend.bootstrap import Context
from backend.db import transaction
from backend.models import Order, ProcessedMessage
from backend.saga.status_bus import StatusChange

log = logging.getLogger("trinity.saga")
_CHANGES = "trinity_status_changes"


class _Duplicate(Exception):
    pass


def processed_key(consumer: str) -> str:
    return f"trinity:processed:{consumer}"


def already_processed(ctx: Context, consumer: str, message_id: str) -> bool:
    """The fast pre-check (Redis). A miss is fine: `apply_once` asks the database at commit."""
    try:
        return bool(ctx.redis.sismember(processed_key(consumer), message_id))
    except redis.RedisError:
        return False


def apply_once(
    ctx: Context, consumer: str, message_id: str, effect: Callable[[Session], None]
) -> bool:
    """Run `effect` and record the message in one transaction; False when it was a duplicate.

    After the commit, one Redis round trip both remembers the message id (the pre-check's set)
    and pushes the noted status changes on the status bus.
    """
    changes: list[StatusChange] = []
    try:
        with transaction(ctx.engine) as session:
            session.add(ProcessedMessage(consumer=consumer, message_id=message_id))
            try:
                session.flush()  # a concurrent duplicate waits here, then collides
            except IntegrityError as error:
                raise _Duplicate from error
            effect(session)
            changes = session.info.pop(_CHANGES, [])
    except _Duplicate:
        log.info("%s: message %s was already processed", consumer, message_id)
        applied = False
    else:
        applied = True
    pipe = ctx.redis.pipeline(transaction=False)
    pipe.sadd(processed_key(consumer), message_id)
    for change in changes:
        ctx.status_bus.add_to(pipe, change)
    try:
        pipe.execute()
    except redis.RedisError as error:
        log.warning("%s: Redis unavailable after commit (status not pushed): %s", consumer, error)
    return applied


def skip_if_processed(ctx: Context, consumer: str, message_id: str) -> bool:
    if already_processed(ctx, consumer, message_id):
        log.info("%s: skipping duplicate message %s", consumer, message_id)
        return True
    return False


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


@contextmanager
def saga_transaction(ctx: Context) -> Iterator[Session]:
    """`transaction` that pushes the noted status changes on the status bus after commit."""
    with transaction(ctx.engine) as session:
        yield session
        changes: list[StatusChange] = list(session.info.pop(_CHANGES, []))
    if changes:
        ctx.status_bus.publish(*changes)


class OutOfOrder(Exception):
    """The message arrived before one it depends on was applied; retry it a little later."""
