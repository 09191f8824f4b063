"""SQLite's change feed (local mode) and its notifications, which there are none of.

- Writers are serialized, so every logged change is committed: the horizon is above any txid
  (migration 0002 logs txid 0 on SQLite).
- A rebuild reads documents built in Python (nothing to gain from the database building JSON).
- The writer lock is an flock on a file beside the database: the sync worker is a thread of the
  server, `trinity reindex` may be another process on the same host. The kernel frees it when
  its holder dies, however it dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from sqlalchemy import Connection, Engine

from backend.ports import LockBusy
from backend.search.documents import all_documents
from backend.search.port import HotelDoc

NO_HORIZON = 2**62  # above every txid: every logged change is committed
RETRY_S = 0.05


class SqliteFeed:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def horizon(self, conn: Connection) -> int:
        return NO_HORIZON

    def rebuild_pages(self, batch: int) -> Iterable[Sequence[HotelDoc]]:
        return all_documents(self.engine, batch)

    @contextlib.contextmanager
    def writer_lock(self, timeout: float) -> Iterator[_FileLease]:
        # Its own open file: flocks of one file opened twice exclude each other, threads too.
        with Path(f"{self.engine.url.database}.search-writer").open("a") as handle:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise LockBusy(
                            f"the search writer lock was busy for {timeout:g} s"
                        ) from None
                    time.sleep(RETRY_S)
            try:
                yield _FileLease()
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


class _FileLease:
    def held(self) -> bool:
        return True  # an flock lasts as long as its open file, which the block keeps


class SqliteNotifications:
    """SQLite cannot notify another connection: callers' polling (and, in-process, the relay's
    commit hook) wake them instead."""

    def listening(self, channel: str, wake: threading.Event) -> contextlib.nullcontext[None]:
        return contextlib.nullcontext()
