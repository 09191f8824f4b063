"""PostgreSQL's change feed and notifications.

- The horizon is the snapshot's xmin: txids are allocated before commit, so a change may still
  appear behind one already visible until every older transaction has finished.
- A rebuild reads database-built NDJSON (documents.py).
- Locks are advisory locks, scoped to the database, so they order processes on any host.
- Notifications: one LISTEN connection per `listening` block, on a thread of its own; the relay
  (outbox inserts) and the search sync (hotel changes) both use it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterable, Iterator, Sequence

from sqlalchemy import Connection, Engine, text

from backend.adapters.postgres.documents import encoded_documents
from backend.ports import LockBusy
from backend.search.port import HotelDoc

log = logging.getLogger("trinity.postgres.listen")

# Advisory lock keys, one per lock name the search sync uses.
_KEYS = {
    "sync-gate": 0x54524E59,  # "TRNY": the search sync gate
    "rebuild": 0x54524E5A,  # one rebuild at a time
}


def _conninfo(engine: Engine) -> str:
    """The engine's database as a libpq URL, for a psycopg connection outside the pool."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresFeed:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def horizon(self, conn: Connection) -> int:
        sql = "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
        return int(conn.execute(text(sql)).scalar_one())

    def rebuild_pages(self, batch: int) -> Iterable[Sequence[HotelDoc]]:
        return encoded_documents(self.engine, batch)

    @contextlib.contextmanager
    def lock(self, name: str, *, exclusive: bool, wait: bool) -> Iterator[None]:
        key = _KEYS[name]
        kind = "" if exclusive else "_shared"
        take = f"pg_advisory_lock{kind}" if wait else f"pg_try_advisory_lock{kind}"
        # Autocommit: held for minutes by a reindex, an idle-in-transaction session could be ended
        # by a server timeout, and the lock with it.
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            released = False
            try:
                taken = conn.execute(text(f"SELECT {take}(:key)"), {"key": key}).scalar_one()
                if not wait and not taken:  # pg_advisory_lock itself returns nothing: it waited
                    released = True
                    raise LockBusy(name)
                try:
                    yield
                finally:
                    conn.execute(text(f"SELECT pg_advisory_unlock{kind}(:key)"), {"key": key})
                    released = True
            finally:
                if not released:  # interrupted while taking or releasing: the session may hold it
                    conn.invalidate()


class PostgresNotifications:
    def __init__(self, engine: Engine) -> None:
        self.conninfo = _conninfo(engine)

    @contextlib.contextmanager
    def listening(self, channel: str, wake: threading.Event) -> Iterator[None]:
        listener = _Listener(self.conninfo, channel, wake)
        listener.start()
        try:
            yield
        finally:
            listener.done.set()
            listener.join(timeout=5)


class _Listener(threading.Thread):
    """LISTEN on a connection of its own, reconnecting after failures (callers poll meanwhile)."""

    def __init__(self, conninfo: str, channel: str, wake: threading.Event) -> None:
        super().__init__(name=f"trinity-listen-{channel}", daemon=True)
        self.conninfo, self.channel, self.wake = conninfo, channel, wake
        self.done = threading.Event()

    def run(self) -> None:
        import psycopg

        while not self.done.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=3) as conn:
                    conn.execute(f"LISTEN {self.channel}")
                    self.wake.set()  # whatever was notified while we were not listening
                    while not self.done.is_set():
                        # A short timeout so the block's end stops the thread within 0.5 s.
                        for _ in conn.notifies(timeout=0.5, stop_after=1):
                            self.wake.set()
            except Exception as error:  # the database may be down: callers poll meanwhile
                log.warning("LISTEN %s failed (%s); polling meanwhile", self.channel, error)
            self.done.wait(1.0)
