"""The gate between the sync worker's batches and a reindex, across processes.

A sync batch holds it shared from reading the database to the index's confirmation; a reindex
holds it exclusively while it takes the position it will put the checkpoint back to. So a batch
that read the database before that position can never write into the index the reindex builds:
it has finished (its write went to the old index, or is in the database's past the rebuild reads)
before the position is taken. The locks are the change feed's (`ChangeFeed.lock`: an advisory
lock on PostgreSQL, an flock beside the database on SQLite, where the worker is a thread of the
server and `trinity reindex` another process).

`rebuild_lock` lets one rebuild of the index run at a time (`trinity reindex`, or the worker's after
a TRUNCATE): both build the same fresh index name, and two at once would drop each other's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from backend.ports import ChangeFeed, LockBusy


class RebuildRunning(LockBusy):
    """Another rebuild of the index is running (the caller retries later)."""


@contextlib.contextmanager
def batch_gate(feed: ChangeFeed, *, exclusive: bool = False) -> Iterator[None]:
    with feed.lock("sync-gate", exclusive=exclusive, wait=True):
        yield


@contextlib.contextmanager
def rebuild_lock(feed: ChangeFeed, *, wait: bool = True) -> Iterator[None]:
    """Held for a whole rebuild; without `wait`, RebuildRunning when another one holds it."""
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(feed.lock("rebuild", exclusive=True, wait=wait))
        except LockBusy:  # only the taking: a LockBusy from the block is not ours to rename
            raise RebuildRunning("another rebuild of the search index is running") from None
        yield
