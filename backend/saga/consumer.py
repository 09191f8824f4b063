"""Idempotent consumers: a message's effect and its processed-message row commit together.

The database is the truth. A consumer's first statement inserts the message's row (primary key
(consumer, message_id)) with ON CONFLICT DO NOTHING: a second delivery inserts nothing (a
concurrent one waits for the first to commit or roll back) and its transaction changes nothing.
A Redis set of processed ids per consumer is only a fast pre-check that stops most duplicates
before a transaction (or, for payments, a gateway call); a miss there costs nothing but that.
The unit of work remembers the id in that set after its commit (backend/unit_of_work.py).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import redis

from backend.context import Context
from backend.unit_of_work import UnitOfWork, processed_key

log = logging.getLogger("trinity.saga")
Message = dict[str, Any]
Step = Callable[[Context, str, Message], None]  # (ctx, its consumer id, the envelope)
Handler = Callable[[Context, Message], None]


def consumer_id(service: str, actor_name: str) -> str:
    """A consumer's id (the key of its processed messages): its service's queue and its actor."""
    return f"{service}.{actor_name}"


def consumes(service: str) -> Callable[[Step], Handler]:
    """A saga step of `service`: it is handed its consumer id, derived like the topology's."""

    def declare(step: Step) -> Handler:
        consumer = consumer_id(service, step.__name__)

        @functools.wraps(step)
        def handler(ctx: Context, message: Message) -> None:
            step(ctx, consumer, message)

        handler.consumer_id = consumer  # type: ignore[attr-defined]
        return handler

    return declare


def already_processed(ctx: Context, consumer: str, message_id: str) -> bool:
    """The fast pre-check (Redis). A miss is fine: the processed-message row decides."""
    try:
        seen = bool(ctx.redis.sismember(processed_key(consumer), message_id))
    except redis.RedisError:
        return False
    if seen:
        log.info("%s: skipping duplicate message %s", consumer, message_id)
    return seen


def apply_once(
    ctx: Context, consumer: str, message_id: str, effect: Callable[[UnitOfWork], None]
) -> bool:
    """Record the message and run `effect` in one unit of work; False when it was a duplicate."""
    if already_processed(ctx, consumer, message_id):
        return False
    with ctx.unit_of_work() as uow:
        if not uow.processed.record(consumer, message_id):
            log.info("%s: message %s was already processed", consumer, message_id)
            return False
        effect(uow)
        uow.mark_processed(consumer, message_id)
        uow.commit()
    return True


def remember_processed(ctx: Context, consumer: str, message_id: str) -> None:
    """After a shortcut (a transaction of its own) committed: feed the pre-check."""
    after = ctx.post_commit()
    after.processed.append((consumer, message_id))
    after.send()


class OutOfOrder(Exception):
    """The message arrived before one it depends on was applied; retry it a little later."""
