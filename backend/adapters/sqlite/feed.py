"""SQLite's change feed (local mode) and its notifications, which there are none of.

- Writers are serialized, so every logged change is committed: the horizon is above any txid
  (migration 0002 logs txid 0 on SQLite).
- A rebuild reads documents built in Python (nothing to gain from the database building JSON).
- Locks are flocks on files beside the database: the sync worker is a thread of the server,
  `trinity reindex` another process on the same host.
"""

from __future__ import annotations

import contextlib
import fcntl
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from sqlalchemy import Connection, Engine

from backend.ports import LockBusy
from backend.search.documents import all_documents
from backend.search.port import HotelDoc

NO_HORIZON = 2**62  # above every txid: every logged change is committed


class SqliteFeed:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def horizon(self, conn: Connection) -> int:
        return NO_HORIZON

    def rebuild_pages(self, batch: int) -> Iterable[Sequence[HotelDoc]]:
        return all_documents(self.engine, batch)

    @contextlib.contextmanager
    def lock(self, name: str, *, exclusive: bool, wait: bool) -> Iterator[None]:
        with Path(f"{self.engine.url.database}.{name}").open("a") as handle:
            mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
            try:
                fcntl.flock(handle, mode if wait else mode | fcntl.LOCK_NB)
            except BlockingIOError:
                raise LockBusy(name) from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


class SqliteNotifications:
    """SQLite cannot notify another connection: callers' polling (and, in-process, the relay's
    commit hook) wake them instead."""

    def listening(self, channel: str, wake: threading.Event) -> contextlib.nullcontext[None]:
        return contextlib.nullcontext()
