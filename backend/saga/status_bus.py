"""Order status changes for live pages: Redis pub/sub (full mode) or fakeredis in-process (local).

Publishing happens after the change committed and is best effort: a page that misses a message
still reads the truth from GET /api/orders/{id}.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import redis

log = logging.getLogger("trinity.status_bus")
ALL_ORDERS = "trinity:orders"


def order_channel(order_id: int) -> str:
    return f"trinity:order:{order_id}"


@dataclass(frozen=True)
class StatusChange:
    order_id: int
    user_id: int
    status: str
    event: str  # the timeline entry that caused it, e.g. PaymentSucceeded
    at: str  # ISO 8601 UTC


class Subscription:
    def __init__(self, pubsub: redis.client.PubSub) -> None:
        self._pubsub = pubsub

    def get(self, timeout: float = 1.0) -> StatusChange | None:
        """The next change, or None when none arrived within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            message = self._pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
            if message is not None and message.get("type") == "message":
                return StatusChange(**json.loads(message["data"]))
        return None


class StatusBus:
    def __init__(self, client: redis.Redis) -> None:
        self.redis = client

    def publish(self, *changes: StatusChange) -> None:
        """Push the changes (one Redis round trip for all of them)."""
        pipe = self.redis.pipeline(transaction=False)
        for change in changes:
            self.add_to(pipe, change)
        try:
            pipe.execute()
        except redis.RedisError as error:
            orders = [change.order_id for change in changes]
            log.warning(
                "status bus unavailable, changes of orders %s not pushed: %s", orders, error
            )

    @staticmethod
    def add_to(pipe: redis.client.Pipeline, change: StatusChange) -> None:
        """Queue the change's messages on a pipeline the caller executes (with its own commands)."""
        body = json.dumps(asdict(change))
        pipe.publish(order_channel(change.order_id), body)
        pipe.publish(ALL_ORDERS, body)

    @contextmanager
    def subscribe(self, order_id: int | None = None) -> Iterator[Subscription]:
        """Changes of one order (or of all orders when `order_id` is None) until the block ends."""
        pubsub = self.redis.pubsub()
        pubsub.subscribe(order_channel(order_id) if order_id is not None else ALL_ORDERS)
        try:
            yield Subscription(pubsub)
        finally:
            pubsub.close()
