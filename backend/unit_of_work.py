"""The unit of work: one transaction, the stores bound to it, and what happens after its commit.

    with ctx.unit_of_work() as uow:
        uow.orders.move(order, entry)
        uow.note_status(order, "PaymentSucceeded")
        uow.commit()

Leaving the block without `commit()` rolls back (an exception, a step that decided to change
nothing, or a read: the objects read stay usable after the block). Effects that must only follow a commit are noted on the unit of work while it runs, never
sent early: the processed-message id for the consumers' Redis pre-check, order status changes for
live pages, and metrics. `commit()` sends all of them in one Redis round trip, best effort (the
database is the truth; a page that misses a push reads it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

import redis
from sqlalchemy import Connection, Engine
from sqlmodel import Session

from backend.metrics import Metrics, MetricsBatch
from backend.models import Order
from backend.ports import StoreFactory, Stores
from backend.saga.status_bus import StatusBus, StatusChange

log = logging.getLogger("trinity.uow")


def processed_key(consumer: str) -> str:
    """The Redis set of message ids a consumer has processed (its duplicate pre-check)."""
    return f"trinity:processed:{consumer}"


@dataclass
class PostCommit:
    """What a commit leaves to Redis, sent in one pipeline."""

    redis: redis.Redis
    status_bus: StatusBus
    metrics: Metrics
    processed: list[tuple[str, str]] = field(default_factory=list)
    changes: list[StatusChange] = field(default_factory=list)
    batch: MetricsBatch = field(default_factory=MetricsBatch)

    def send(self) -> None:
        pipe = self.redis.pipeline(transaction=False)
        for consumer, message_id in self.processed:
            pipe.sadd(processed_key(consumer), message_id)
        for change in self.changes:
            self.status_bus.add_to(pipe, change)
        self.metrics.queue(pipe, self.batch)
        self.processed, self.changes = [], []
        if not len(pipe):
            return
        try:
            pipe.execute()
        except redis.RedisError as error:
            log.warning("Redis unavailable after commit (status/metrics not pushed): %s", error)


class UnitOfWork:
    def __init__(
        self, engine: Engine, stores: StoreFactory, post_commit: Callable[[], PostCommit]
    ) -> None:
        self._engine = engine
        self._stores = stores
        self._post_commit = post_commit
        self._committed = False

    def __enter__(self) -> UnitOfWork:
        self.session = Session(self._engine, expire_on_commit=False)
        stores: Stores = self._stores(self.session)
        self.processed = stores.processed
        self.nights = stores.nights
        self.payments = stores.payments
        self.orders = stores.orders
        self.outbox = stores.outbox
        self.after = self._post_commit()
        self._committed = False
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _error: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        # Without commit(), close() rolls the transaction back; unlike rollback() it leaves what
        # was read loaded (detached), so a read-only unit of work can hand its objects out.
        self.session.close()

    def commit(self) -> None:
        self.session.commit()
        self._committed = True
        self.after.send()

    @property
    def connection(self) -> Connection:
        """The transaction's connection, for Core statements: no ORM execution path on them."""
        return self.session.connection()

    @property
    def metrics(self) -> MetricsBatch:
        """Metrics that count only if the transaction commits."""
        return self.after.batch

    def mark_processed(self, consumer: str, message_id: str) -> None:
        self.after.processed.append((consumer, message_id))

    def note_status(self, order: Order, event_type: str) -> None:
        self.after.changes.append(
            StatusChange(
                order_id=order.id or 0,
                user_id=order.user_id,
                status=str(order.status),
                event=event_type,
                at=order.updated_at.isoformat(),
            )
        )
