"""The gate between the sync worker's batches and a reindex, across processes.

A sync batch holds it shared from reading the database to the index's confirmation; a reindex
holds it exclusively while it takes the position it will put the checkpoint back to. So a batch
that read the database before that position can never write into the index the reindex builds:
it has finished (its write went to the old index, or is in the database's past the rebuild reads)
before the position is taken. PostgreSQL: an advisory lock (scoped to the database); SQLite: an
flock on a file beside the database (the worker is a thread of the server, `trinity reindex`
another process).

`rebuild_lock` lets one rebuild of the index run at a time (`trinity reindex`, or the worker's after
a TRUNCATE): both build the same fresh index name, and two at once would drop each other's.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, text

ADVISORY_KEY = 0x54524E59  # "TRNY": the search sync gate
REBUILD_KEY = 0x54524E5A  # one rebuild at a time


class RebuildRunning(Exception):
    """Another rebuild of the index is running (the caller retries later)."""


@contextlib.contextmanager
def batch_gate(engine: Engine, *, exclusive: bool = False) -> Iterator[None]:
    with _lock(engine, ADVISORY_KEY, "sync-gate", exclusive=exclusive, wait=True):
        yield


@contextlib.contextmanager
def rebuild_lock(engine: Engine, *, wait: bool = True) -> Iterator[None]:
    """Held for a whole rebuild; without `wait`, RebuildRunning when another one holds it."""
    with _lock(engine, REBUILD_KEY, "rebuild", exclusive=True, wait=wait):
        yield


@contextlib.contextmanager
def _lock(engine: Engine, key: int, name: str, *, exclusive: bool, wait: bool) -> Iterator[None]:
    if engine.dialect.name == "postgresql":
        with _advisory(engine, key, exclusive, wait):
            yield
        return
    with Path(f"{engine.url.database}.{name}").open("a") as handle:
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        try:
            fcntl.flock(handle, mode if wait else mode | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RebuildRunning("another rebuild of the search index is running") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def _advisory(engine: Engine, key: int, exclusive: bool, wait: bool) -> Iterator[None]:
    kind = "" if exclusive else "_shared"
    take = f"pg_advisory_lock{kind}" if wait else f"pg_try_advisory_lock{kind}"
    # Autocommit: held for minutes by a reindex, an idle-in-transaction session could be ended by
    # a server timeout, and the lock with it.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        released = False
        try:
            taken = conn.execute(text(f"SELECT {take}(:key)"), {"key": key}).scalar_one()
            if not wait and not taken:  # pg_advisory_lock itself returns nothing: it waited
                released = True
                raise RebuildRunning("another rebuild of the search index is running")
            try:
                yield
            finally:
                conn.execute(text(f"SELECT pg_advisory_unlock{kind}(:key)"), {"key": key})
                released = True
        finally:
            if not released:  # interrupted while taking or releasing: the session may hold it
                conn.invalidate()
