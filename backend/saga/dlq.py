"""Dead letters: messages whose retries ran out or that failed for good, listed and replayed.

RabbitMQ keeps them in `<queue>.XQ` (dramatiq's dead-letter queues, 7 days); the StubBroker keeps
them in memory. RabbitMQ dead-letters the original body, so why a message failed is kept beside it
in Redis (written by the workers' RecordFailures middleware). Replaying sends a fresh copy (retries
reset) to the original queue; consumers are idempotent, so replaying a message that did take effect
changes nothing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import xq_name

from backend.context import Context
from backend.saga.topology import QUEUES, queue_name

FAILURES_KEY = "trinity:dead_letter_errors"  # dramatiq message id -> why it failed for good


@dataclass(frozen=True)
class DeadLetter:
    queue: str
    actor_name: str
    event_type: str
    message_id: str  # the envelope's, i.e. the outbox row's
    retries: int
    error: str

    @classmethod
    def of(cls, message: dramatiq.Message[Any]) -> DeadLetter:
        body = message.args[0] if message.args and isinstance(message.args[0], dict) else {}
        trace = str(message.options.get("traceback") or "").strip().splitlines()
        return cls(
            queue=message.queue_name,
            actor_name=message.actor_name,
            event_type=str(body.get("type", "?")),
            message_id=str(body.get("message_id", message.message_id)),
            retries=int(message.options.get("retries", 0)),
            error=trace[-1] if trace else "",
        )


def dead_letters(ctx: Context, *, replay: bool = False) -> list[DeadLetter]:
    """List the dead letters of every saga queue; with `replay`, also send each one again."""
    broker = ctx.broker
    names = [queue_name(ctx.settings, queue) for queue in QUEUES]
    if isinstance(broker, StubBroker):
        messages = _stub(broker, names, replay)
    elif isinstance(broker, RabbitmqBroker):
        messages = _rabbitmq(broker, names, replay)
    else:
        raise NotImplementedError(f"dead letters of a {type(broker).__name__} are not supported")
    letters = []
    for message in messages:
        letter = DeadLetter.of(message)
        reason = str(ctx.redis.hget(FAILURES_KEY, message.message_id) or "")
        letters.append(dataclasses.replace(letter, error=reason) if reason else letter)
    return letters


def _fresh(message: dramatiq.Message[Any]) -> dramatiq.Message[Any]:
    return dramatiq.Message(
        queue_name=message.queue_name,
        actor_name=message.actor_name,
        args=message.args,
        kwargs=message.kwargs,
        options={},
    )


def _stub(broker: StubBroker, names: list[str], replay: bool) -> list[dramatiq.Message[Any]]:
    found = []
    for name in names:
        letters = broker.dead_letters_by_queue[name]
        for proxy in list(letters):
            message = proxy._message
            found.append(message)
            if replay:
                broker.enqueue(_fresh(message))
                letters.remove(proxy)
    return found


def _rabbitmq(
    broker: RabbitmqBroker, names: list[str], replay: bool
) -> list[dramatiq.Message[Any]]:
    found: list[tuple[int, dramatiq.Message[Any]]] = []
    # Its own channel: closing it requeues what was not acked. Every letter is taken before any
    # is replayed, so a replayed message that fails again at once is not listed (or replayed) twice.
    channel = broker.connection.channel()
    try:
        for name in names:
            broker.declare_queue(name, ensure=True)
            while True:
                method, _properties, body = channel.basic_get(xq_name(name), auto_ack=False)
                if method is None:
                    break
                found.append((method.delivery_tag, dramatiq.Message.decode(body)))
        if replay:
            for delivery_tag, message in found:
                broker.enqueue(_fresh(message))
                channel.basic_ack(delivery_tag)
    finally:
        channel.close()
    return [message for _tag, message in found]
