"""Helpers for the search tests: a context with an index of its own, and a running sync worker.

Each test gets its own index (a fresh Meilisearch index uid in full mode, a fresh file in local
mode), so test sessions sharing a Meilisearch server never see each other's documents.
"""

from __future__ import annotations

import atexit
import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import redis
from modes import reset_full
from sqlalchemy import text

from backend.bootstrap import build_context
from backend.context import Context
from backend.ports import LockBusy
from backend.search.port import HotelDoc
from backend.search.sync import run_sync

# Full mode shares one Meilisearch index per test session, emptied before each test: the first
# write into a brand-new index costs Meilisearch seconds (it sets up the index's storage), later
# writes tens of milliseconds. Dropped when the session ends.
SESSION_INDEX = f"test_{uuid.uuid4().hex[:12]}"


def search_context(
    mode: str, settings_factory: Callable[..., Any], **overrides: Any
) -> Iterator[Context]:
    name = SESSION_INDEX if mode == "full" else f"test_{uuid.uuid4().hex[:12]}"
    context = build_context(settings_factory(search_index=name, **overrides))
    if mode == "full":
        reset_full(context)
        _empty_meili_index(context)
    context.search.ensure_ready()
    try:
        yield context
    finally:
        if mode == "local":
            context.search.drop()
        context.close()
        if isinstance(context.redis, redis.Redis):
            context.redis.close()


def _empty_meili_index(context: Context) -> None:
    index = context.search.inner  # type: ignore[attr-defined]
    index.ensure_ready()
    if not _cleanup_registered:
        atexit.register(index.drop)
        _cleanup_registered.append(True)
    index._wait(index.client.index(index.uid).delete_all_documents().task_uid)
    _wait_for_idle_task_queue(index.client)


def warm_up(ctx: Context, within: float = 90.0) -> None:
    """A young Meilisearch server stalls for seconds on some writes (measured here: 2-3 s stalls
    among ~40 ms writes during its first minutes, on upserts and deletes alike; a long-running
    server never does). Before a test times a sync, write and delete a throw-away document until
    five cycles in a row are quick, so the 1 s bound measures the sync, not the server's youth."""
    if ctx.settings.mode != "full":
        return
    doc = HotelDoc(
        id=999_999_999, name="Warm-up", city="Faro", country="PT", lat=37.0, lng=-7.9,
        rating=3.0, amenities=["wifi"], description="warm-up", currency="EUR",
        price_min=1.0, price_max=1.0, max_capacity=1,
    )  # fmt: skip
    deadline, quick_in_a_row = time.monotonic() + within, 0
    while time.monotonic() < deadline and quick_in_a_row < 5:
        started = time.monotonic()
        ctx.search.upsert([doc])
        ctx.search.delete([doc.id])
        quick_in_a_row = quick_in_a_row + 1 if time.monotonic() - started < 0.3 else 0


def _wait_for_idle_task_queue(client: Any, within: float = 60.0) -> None:
    """Meilisearch runs one task queue for all indexes: let other tests' leftovers (index
    deletions, swaps) finish first, so a test's timings measure its own writes only."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        busy = client.get_tasks({"statuses": ["enqueued", "processing"], "limit": 1})
        if not busy.results:
            return
        time.sleep(0.05)


_cleanup_registered: list[bool] = []


@contextmanager
def running_sync(ctx: Context, standby: bool = False) -> Iterator[threading.Thread]:
    """The sync worker in a thread, holding the index's writer lock before the block begins
    (`standby`: someone else holds it, the worker waits for it)."""
    stop = threading.Event()
    worker = threading.Thread(target=run_sync, args=(ctx, stop), name="test-sync", daemon=True)
    worker.start()
    try:
        if not standby:
            eventually(lambda: _writer_lock_taken(ctx), within=10)
        yield worker
    finally:
        stop.set()
        worker.join(timeout=10)
        assert not worker.is_alive(), "the sync worker did not stop"


def _writer_lock_taken(ctx: Context) -> bool:
    try:
        with ctx.feed.writer_lock(timeout=0):
            return False
    except LockBusy:
        return True


def insert_hotel_sql(ctx: Context, name: str, price: str = "80.00") -> int:
    with ctx.engine.begin() as conn:
        hotel_id = conn.execute(
            text(
                "INSERT INTO hotels (name, city, country, lat, lng, rating, amenities, description, "
                "currency, cancellation_policy, updated_at) VALUES (:name, 'Faro', 'PT', 37.02, "
                "-7.93, 3.9, '[\"wifi\"]', 'By the lagoon.', 'EUR', 'flexible', CURRENT_TIMESTAMP) "
                "RETURNING id"
            ),
            {"name": name},
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO room_types (hotel_id, name, capacity, rooms, price) "
                "VALUES (:h, 'Double', 2, 3, :p)"
            ),
            {"h": hotel_id, "p": price},
        )
    return int(hotel_id)


def eventually(check: Callable[[], bool], within: float = 1.0, step: float = 0.01) -> float:
    """Seconds until `check()` held; fails when it did not within `within` seconds."""
    started = time.monotonic()
    while True:
        if check():
            return time.monotonic() - started
        if time.monotonic() - started > within:
            raise AssertionError(f"not true within {within}s")
        time.sleep(step)


class TcpProxy:
    """Forwards a local port to a server; `down()` refuses and cuts connections, `up()` restores.

    Lets a test take the real Meilisearch away from the app (connection refused) and bring it back,
    without touching the shared server.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        if self._listener is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone would not, and that
            # accept() would keep letting connections through.
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            for conn in self._conns:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            self._conns.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by down()
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)
