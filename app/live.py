"""Order status changes for open pages: one status-bus subscription per process, fanned out.

A single daemon thread listens on the bus (Redis pub/sub in full mode, fakeredis in local mode)
and hands each change to the asyncio queues of the listeners that want it (one user's orders, or
one order). So a page's background task awaits a queue instead of holding a worker thread, and
any number of open pages cost one thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from backend.bootstrap import get_context
from backend.saga.status_bus import StatusChange

log = logging.getLogger("trinity.web.live")
RECONNECT_DELAY_S = 1.0


@dataclass(eq=False)
class Listener:
    user_id: int
    queue: asyncio.Queue[StatusChange]
    loop: asyncio.AbstractEventLoop
    order_id: int | None = None

    def wants(self, change: StatusChange) -> bool:
        if change.user_id != self.user_id:
            return False
        return self.order_id is None or change.order_id == self.order_id


@dataclass
class OrderFeed:
    listeners: set[Listener] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    thread: threading.Thread | None = None
    subscribed: threading.Event = field(default_factory=threading.Event)

    async def _ensure_thread(self) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(
                    target=self._run, name="trinity-order-feed", daemon=True
                )
                self.thread.start()
        if not self.subscribed.is_set():  # only while the first subscription is being made
            await asyncio.to_thread(self.subscribed.wait, 2.0)

    def _run(self) -> None:
        bus = get_context().status_bus
        while True:
            try:
                with bus.subscribe() as subscription:
                    self.subscribed.set()
                    while True:
                        change = subscription.get(timeout=5.0)
                        if change is not None:
                            self._dispatch(change)
            except Exception as error:  # the bus is down: keep trying
                self.subscribed.clear()
                log.warning("order feed lost the status bus (%s); reconnecting", error)
                threading.Event().wait(RECONNECT_DELAY_S)

    def _dispatch(self, change: StatusChange) -> None:
        with self.lock:
            targets = [listener for listener in self.listeners if listener.wants(change)]
        for listener in targets:
            with contextlib.suppress(RuntimeError):  # its event loop has closed
                listener.loop.call_soon_threadsafe(listener.queue.put_nowait, change)

    @contextlib.asynccontextmanager
    async def listen(
        self, user_id: int, order_id: int | None = None
    ) -> AsyncIterator[asyncio.Queue[StatusChange]]:
        """Changes of this user's orders (or of one of them) while the block runs."""
        listener = Listener(user_id, asyncio.Queue(), asyncio.get_running_loop(), order_id)
        with self.lock:
            self.listeners.add(listener)
        await self._ensure_thread()
        try:
            yield listener.queue
        finally:
            with self.lock:
                self.listeners.discard(listener)


feed = OrderFeed()


async def next_change(queue: asyncio.Queue[StatusChange], timeout: float) -> StatusChange | None:
    try:
        return await asyncio.wait_for(queue.get(), timeout)
    except TimeoutError:
        return None
