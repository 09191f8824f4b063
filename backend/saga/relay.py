"""The outbox relay: publishes committed outbox rows to the broker, then marks them sent.

- Nothing is published for a rolled-back transaction: rows exist only once committed.
- Nothing committed is lost: a row is marked sent only after the broker confirmed it (RabbitMQ
  publisher confirms); if the relay dies in between, the row is published again on restart, and
  consumers recognise the repeat by its message id.
- No network call inside a transaction: read a batch (short transaction), publish (no transaction),
  mark (short transaction).
- Woken at once by Postgres NOTIFY (trigger from migration 0003) or, in-process, by any commit on
  the engine; polls every RELAY_POLL_SECONDS in case a wake-up is lost.
- One active relay per database: a Postgres advisory lock elects it; others wait as standbys.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dramatiq
from sqlalchemy import event, update
from sqlalchemy.engine import make_url
from sqlmodel import col, select

from backend.bootstrap import Context
from backend.db import transaction
from backend.models import OutboxMessage, utcnow
from backend.saga.events import envelope
from backend.saga.topology import QUEUES, queue_name, subscribers

log = logging.getLogger("trinity.relay")
CHANNEL = "trinity_outbox"
LEADER_LOCK = 0x7472_656C  # pg advisory lock key: one active relay per database


class OutboxRelay:
    def __init__(self, ctx: Context, *, batch_size: int = 500) -> None:
        self.ctx = ctx
        self.batch_size = batch_size
        self.wake = threading.Event()

    def declare_queues(self) -> None:
        for queue in QUEUES:
            self.ctx.broker.declare_queue(queue_name(self.ctx.settings, queue))

    def publish_pending(self) -> int:
        """Publish one batch of unsent rows; returns how many rows it took."""
        with transaction(self.ctx.engine) as session:
            rows = session.exec(
                select(OutboxMessage)
                .where(col(OutboxMessage.published_at).is_(None))
                .order_by(col(OutboxMessage.id))
                .limit(self.batch_size)
            ).all()
        sent: list[int] = []
        try:
            for row in rows:
                self._publish(row)
                sent.append(row.id or 0)
        finally:
            self._mark_sent(sent)
        return len(rows)

    def run(self, stop: threading.Event) -> None:
        """Relay until `stop` is set; broker or database outages are logged and retried."""
        self.declare_queues()
        failures = 0
        with self._wakeups(stop) as is_leader:
            while not stop.is_set():
                if not is_leader():
                    self._sleep(stop, self.ctx.settings.relay_poll_seconds)
                    continue
                self.wake.clear()
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

    def _publish(self, row: OutboxMessage) -> None:
        body = envelope(row)
        for consumer in subscribers(row.event_type):
            message: dramatiq.Message[Any] = dramatiq.Message(
                queue_name=queue_name(self.ctx.settings, consumer.queue),
                actor_name=consumer.actor_name,
                args=(body,),
                kwargs={},
                options={},
            )
            self.ctx.broker.enqueue(message)

    def _mark_sent(self, ids: list[int]) -> None:
        if not ids:
            return
        with transaction(self.ctx.engine) as session:
            session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.id).in_(ids))
                .values(published_at=utcnow())
            )

    def _sleep(self, stop: threading.Event, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not (stop.is_set() or self.wake.is_set()) and time.monotonic() < deadline:
            self.wake.wait(min(0.05, max(deadline - time.monotonic(), 0)))

    @contextmanager
    def _wakeups(self, stop: threading.Event) -> Iterator[Any]:
        engine = self.ctx.engine

        def on_commit(_connection: Any) -> None:
            self.wake.set()

        event.listen(engine, "commit", on_commit)
        listener = None
        if engine.dialect.name == "postgresql":
            listener = _PostgresListener(engine.url, self.wake, stop)
            listener.start()
        try:
            yield (lambda: listener.leader) if listener else (lambda: True)
        finally:
            event.remove(engine, "commit", on_commit)
            if listener:
                listener.join(timeout=5)


class _PostgresListener(threading.Thread):
    """LISTEN for outbox inserts and hold the leader lock, reconnecting after failures."""

    def __init__(self, url: Any, wake: threading.Event, stop: threading.Event) -> None:
        super().__init__(name="trinity-relay-listen", daemon=True)
        self.dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.wake, self.stop = wake, stop
        self.leader = False

    def run(self) -> None:
        import psycopg

        while not self.stop.is_set():
            try:
                with psycopg.connect(self.dsn, autocommit=True, connect_timeout=3) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._listen(conn)
            except Exception as error:
                log.warning("relay LISTEN connection failed (%s); polling meanwhile", error)
            self.leader = False
            self.stop.wait(1.0)

    def _listen(self, conn: Any) -> None:
        while not self.stop.is_set():
            if not self.leader:
                row = conn.execute("SELECT pg_try_advisory_lock(%s)", (LEADER_LOCK,)).fetchone()
                self.leader = bool(row and row[0])
                if self.leader:
                    self.wake.set()
            for _ in conn.notifies(timeout=0.5, stop_after=1):
                self.wake.set()
