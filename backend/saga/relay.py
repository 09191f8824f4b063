"""The outbox relay: publishes committed outbox rows to the broker, then marks them sent.

- Nothing is published for a rolled-back transaction: rows exist only once committed.
- Nothing committed is lost: a row is marked sent only once the broker holds its messages (on
  RabbitMQ the batch's AMQP transaction committed); if the relay dies in between, the row is
  published again, and consumers recognise the repeat by its message id.
- Batches: one transaction claims up to `batch_size` unsent rows and marks them sent in the same
  UPDATE (`FOR UPDATE SKIP LOCKED` on Postgres, so several relays can run side by side, each
  taking other rows), publishes all their messages at once (one broker round trip), then
  commits; a failed publish rolls the marks back. The claim holds row locks for the length of
  one broker round trip, nothing longer.
- Woken by Postgres NOTIFY (trigger from migration 0003; `ctx.notifications` listens) or,
  in-process, by any commit on the engine; polls every RELAY_POLL_SECONDS in case a wake-up is lost. It claims at most once per
  MIN_CLAIM_INTERVAL: a wake-up after a quiet spell claims at once, one soon after the last
  claim waits for the rest of the interval, so at a steady rate a batch takes every row
  committed meanwhile instead of costing a claim and a broker transaction per row.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dramatiq
from sqlalchemy import Table, bindparam, event, select, update

from backend.context import Context
from backend.models import OutboxMessage, utcnow
from backend.saga.broker import BatchPublisher, batch_publisher
from backend.saga.events import OutboxRow, envelope
from backend.saga.topology import QUEUES, queue_name, subscribers

log = logging.getLogger("trinity.relay")
CHANNEL = "trinity_outbox"
# At a few dozen sagas/s a claim per row cost the relay ~3 ms of CPU and Postgres as much again
# per saga; 50 ms adds at most that much to each hop of a saga.
MIN_CLAIM_INTERVAL = 0.05
_OUTBOX: Table = OutboxMessage.__table__  # type: ignore[attr-defined]
# Core, built once: claim and mark sent in one statement, plain rows back (no ORM objects).
_UNSENT = (
    select(_OUTBOX.c.id)
    .where(_OUTBOX.c.published_at.is_(None))
    .order_by(_OUTBOX.c.id)
    .limit(bindparam("batch"))
    .with_for_update(skip_locked=True)
)
_CLAIM = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id.in_(_UNSENT.scalar_subquery()))
    .values(published_at=bindparam("now"))
    .returning(
        *(_OUTBOX.c[name] for name in ("id", "event_type", "payload", "created_at", "message_id"))
    )
)


class OutboxRelay:
    def __init__(self, ctx: Context, *, batch_size: int = 500) -> None:
        self.ctx = ctx
        self.batch_size = batch_size
        self.wake = threading.Event()
        self._publisher: BatchPublisher | None = None

    @property
    def publisher(self) -> BatchPublisher:
        if self._publisher is None:
            self._publisher = batch_publisher(self.ctx.broker)
        return self._publisher

    def declare_queues(self) -> None:
        for queue in QUEUES:
            self.ctx.broker.declare_queue(queue_name(self.ctx.settings, queue))

    def publish_pending(self) -> int:
        """Claim (marked sent) and publish one batch of unsent rows; returns how many it took.

        The marks commit only once the broker holds the batch: a failed publish rolls them back.
        """
        with self.ctx.unit_of_work() as uow:
            session = uow.session
            claimed = session.execute(_CLAIM, {"batch": self.batch_size, "now": utcnow()})
            rows = sorted(claimed.all(), key=lambda row: row.id)  # RETURNING keeps no order
            if not rows:
                return 0
            self.publisher.publish([m for row in rows for m in self._messages(row)])
            uow.commit()
        return len(rows)

    def run(self, stop: threading.Event) -> None:
        """Relay until `stop` is set; broker or database outages are logged and retried."""
        self.declare_queues()
        failures = 0
        try:
            with self._wakeups():
                while not stop.is_set():
                    self.wake.clear()
                    claimed_at = time.monotonic()
                    try:
                        taken = self.publish_pending()
                        failures = 0
                    except Exception:
                        failures += 1
                        log.exception("relay batch failed (attempt %d); retrying", failures)
                        self._sleep(stop, min(0.1 * 2**failures, 5.0))
                        continue
                    if taken < self.batch_size:
                        self._sleep(stop, self.ctx.settings.relay_poll_seconds)
                        stop.wait(claimed_at + MIN_CLAIM_INTERVAL - time.monotonic())
        finally:
            self.publisher.close()

    def _messages(self, row: OutboxRow) -> list[dramatiq.Message[Any]]:
        body = envelope(row)
        return [
            dramatiq.Message(
                queue_name=queue_name(self.ctx.settings, consumer.queue),
                actor_name=consumer.actor_name,
                args=(body,),
                kwargs={},
                options={},
            )
            for consumer in subscribers(row.event_type)
        ]

    def _sleep(self, stop: threading.Event, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not (stop.is_set() or self.wake.is_set()) and time.monotonic() < deadline:
            self.wake.wait(min(0.05, max(deadline - time.monotonic(), 0)))
        self.publisher.keepalive()

    @contextmanager
    def _wakeups(self) -> Iterator[None]:
        engine = self.ctx.engine
        relay_thread = threading.get_ident()

        def on_commit(_connection: Any) -> None:
            # The relay's own commits (its claim + mark) must not wake it: that would spin.
            if threading.get_ident() != relay_thread:
                self.wake.set()

        event.listen(engine, "commit", on_commit)
        try:
            # NOTIFY from the outbox trigger, where the database has it (other processes' commits).
            with self.ctx.notifications.listening(CHANNEL, self.wake):
                yield
        finally:
            event.remove(engine, "commit", on_commit)
