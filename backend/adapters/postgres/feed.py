"""PostgreSQL's change feed and notifications.

- The horizon is the snapshot's xmin: txids are allocated before commit, so a change may still
  appear behind one already visible until every older transaction has finished.
- A rebuild reads database-built NDJSON (documents.py).
- The writer lock is a session advisory lock, scoped to the database, so it orders processes on
  any host; the server frees it when the holder's session ends (a kill -9 included).
- Notifications: one LISTEN connection per `listening` block, on a thread of its own; the relay
  (outbox inserts) and the search sync (hotel changes) both use it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Sequence

from sqlalchemy import Connection, Engine, text

from backend.adapters.postgres.documents import encoded_documents
from backend.ports import LockBusy
from backend.search.port import HotelDoc

log = logging.getLogger("trinity.postgres.listen")

WRITER_KEY = 0x54524E59  # "TRNY": the advisory lock key of the search index's writer
RETRY_S = 0.05


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
    def writer_lock(self, timeout: float) -> Iterator[_SessionLease]:
        # Autocommit: held for hours by the worker, an idle-in-transaction session could be ended
        # by a server timeout, and the lock with it.
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            _take(conn, timeout)
        except BaseException:
            conn.invalidate()  # interrupted while taking: the session may hold it; closing frees it
            conn.close()
            raise
        try:
            yield _SessionLease(conn)
        finally:
            _release(conn)


def _take(conn: Connection, timeout: float) -> None:
    """pg_try_advisory_lock until `timeout`: pg_advisory_lock would wait without a limit."""
    deadline = time.monotonic() + timeout
    take = text("SELECT pg_try_advisory_lock(:key)")
    while not conn.execute(take, {"key": WRITER_KEY}).scalar_one():
        if time.monotonic() >= deadline:
            raise LockBusy(f"the search writer lock was busy for {timeout:g} s")
        time.sleep(RETRY_S)


def _release(conn: Connection) -> None:
    try:
        conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": WRITER_KEY})
    except Exception as error:  # the session is gone already, and the lock with it
        log.warning("releasing the search writer lock failed (%s); closing its session", error)
        conn.invalidate()
    finally:
        conn.close()


class _SessionLease:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def held(self) -> bool:
        try:
            return bool(
                self.conn.execute(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                        "AND pid = pg_backend_pid() AND classid = 0 AND objid::text::bigint = :key"
                    ),
                    {"key": WRITER_KEY},
                ).scalar_one()
            )
        except Exception:  # the session (so the lock) is gone
            return False


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
