"""The sync worker: hotel_changes (written by triggers) -> the search index, with a checkpoint.

Change rows name hotels, not edits: for each batch the worker reads the hotels' *current* state
and upserts their documents (or deletes those whose hotel is gone or has no room type left). So a
replay is harmless, order inside a batch does not matter, and nothing is duplicated.

The worker is the index's only writer: it holds the writer lock (`ChangeFeed.writer_lock`) for as
long as it runs, and does the full rebuilds too (backend/search/rebuilds.py: `trinity reindex`
asks for one through the database). A second worker stands by until the lock is free.

The checkpoint (backend/search/checkpoint.py) advances only after the index confirmed the batch,
and only over changes below the horizon. Visible changes above the horizon are applied at once
anyway and remembered in memory, so an unrelated long transaction delays the checkpoint, never
the search.

A change row for hotel 0 (ALL_HOTELS, logged by a TRUNCATE: migration 0004) means any hotel
may have changed: that batch rebuilds the whole index from the database and swaps it in.

Wake-ups: notifications on hotel_changes (`ctx.notifications`: LISTEN on PostgreSQL, where the
triggers NOTIFY, rebuild requests included; nothing on SQLite), polling as the fallback.
Failures (index or database down) back off exponentially and retry the same batch.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from backend.context import Context
from backend.ports import ChangeFeed, Lease, LockBusy
from backend.search.checkpoint import (
    Position,
    load_checkpoint,
    prune,
    read_changes,
    store_checkpoint,
)
from backend.search.documents import REBUILD_BATCH, documents_for
from backend.search.rebuilds import serve_rebuilds

log = logging.getLogger("trinity.search.sync")

CHANNEL = "hotel_changes"
PRUNE_EVERY_S = 60.0
MAX_BACKOFF_S = 5.0
ALL_HOTELS = 0  # the hotel id a TRUNCATE logs (no hotel has it)
LOCK_WAIT_S = 1.0  # one try for the writer lock; a standby worker tries again and again
LEASE_CHECK_S = 1.0  # how often the worker makes sure it still holds the writer lock


class LeaseLost(Exception):
    """The writer lock's database session ended (a server restart): another worker may write."""


# -- one batch --------------------------------------------------------------------------------------


@dataclass
class SyncState:
    """Changes already applied but still beyond the checkpoint (their transaction id is above the
    horizon because some older transaction is still open). Kept in memory only: after a restart
    they are applied once more, which is harmless."""

    applied: dict[int, Position] = field(default_factory=dict)

    def forget_until(self, position: Position) -> None:
        self.applied = {i: p for i, p in self.applied.items() if p > position}


def _position(row: Any) -> Position:
    return Position(int(row.txid), int(row.id))


def sync_once(ctx: Context, state: SyncState | None = None, limit: int | None = None) -> int:
    """Apply the next batch of changes to the index; returns how many new change rows it applied.

    Every visible change is applied at once (low lag even while an unrelated long transaction
    is open), but the checkpoint only advances over changes below the horizon.
    """
    state = state if state is not None else SyncState()
    limit = limit or ctx.settings.search_sync_batch
    with ctx.engine.connect() as conn:
        checkpoint = load_checkpoint(conn)
        rows, fresh, horizon = _next_rows(ctx.feed, conn, checkpoint, limit, state)
    if fresh:
        _apply(ctx, {int(r.hotel_id) for r in fresh})
    settled = [r for r in rows if int(r.txid) < horizon]
    for row in fresh:
        state.applied[int(row.id)] = _position(row)
    if settled:
        target = _position(settled[-1])
        store_checkpoint(ctx.engine, target)
        state.forget_until(target)
    return len(fresh)


def _apply(ctx: Context, hotel_ids: set[int]) -> None:
    """Bring the index up to date with these hotels as the database has them now."""
    if ALL_HOTELS in hotel_ids:  # read after the batch's rows, so it covers every change in it
        ctx.search.rebuild(ctx.feed.rebuild_pages(REBUILD_BATCH), lambda n: None)
        return
    with ctx.engine.connect() as conn:
        docs, gone = documents_for(conn, sorted(hotel_ids))
    # No database transaction is open while the index works (it is a network call in full mode).
    ctx.search.upsert(docs)
    ctx.search.delete(gone)


def _next_rows(
    feed: ChangeFeed, conn: Connection, after: Position, limit: int, state: SyncState
) -> tuple[list[Any], list[Any], int]:
    """Rows from the checkpoint on (all of them read, in order) and those not yet applied."""
    rows: list[Any] = []
    cursor = after
    while True:
        page, horizon = read_changes(feed, conn, cursor, limit)
        rows += page
        fresh = [r for r in rows if int(r.id) not in state.applied]
        if fresh or len(page) < limit:
            return rows, fresh, horizon
        cursor = _position(page[-1])  # a full page of applied rows: look further


# -- wake-ups ---------------------------------------------------------------------------------------


def backoff_seconds(failures: int) -> float:
    return min(MAX_BACKOFF_S, 0.05 * 2**failures) * random.uniform(0.5, 1.0)


def run_sync(ctx: Context, stop: threading.Event) -> None:
    """The worker: become the index's writer (or stand by until it can), then drain the log and
    serve rebuild requests, sleeping until a notification or the poll interval in between."""
    wake = threading.Event()
    failures = 0
    with ctx.notifications.listening(CHANNEL, wake):
        while not stop.is_set():
            try:
                with ctx.feed.writer_lock(timeout=LOCK_WAIT_S) as lease:
                    if failures:
                        log.info("the search sync worker is the index's writer now")
                    failures = 0
                    _sync_loop(ctx, stop, wake, lease)
            except LockBusy:
                if not failures:
                    log.warning(
                        "the search writer lock is held elsewhere (another `trinity sync`, or a "
                        "`trinity reindex` rebuilding in its own process); standing by"
                    )
                failures = max(failures, 1)
            except Exception as error:  # the database is down, or the lock's session ended
                failures += 1
                delay = backoff_seconds(failures)
                log.warning("search sync stopped (%s); again in %.2fs", error, delay)
                stop.wait(delay)


def _sync_loop(ctx: Context, stop: threading.Event, wake: threading.Event, lease: Lease) -> None:
    state = SyncState()
    failures = 0
    last_prune = last_lease_check = time.monotonic()
    while not stop.is_set():
        if time.monotonic() - last_lease_check > LEASE_CHECK_S:
            if not lease.held():
                raise LeaseLost("the search writer lock's database session ended")
            last_lease_check = time.monotonic()
        wake.clear()  # before reading: a change notified during the batch cuts the next wait short
        try:
            if serve_rebuilds(ctx):
                state = SyncState()  # what it applied to the old index is no news to the new one
                continue
            applied = sync_once(ctx, state)
            failures = 0
        except Exception as error:  # index or database down: retry the same batch later
            failures += 1
            delay = backoff_seconds(failures)
            log.warning("search sync failed (%s); retrying in %.2fs", error, delay)
            stop.wait(delay)
            continue
        if applied:
            continue
        if time.monotonic() - last_prune > PRUNE_EVERY_S:
            last_prune = time.monotonic()
            _prune_quietly(ctx)
        _sleep(stop, wake, ctx.settings.search_sync_poll_seconds)


def _sleep(stop: threading.Event, wake: threading.Event, seconds: float) -> None:
    """Until a notification, `stop` or the poll interval's end, whichever comes first."""
    deadline = time.monotonic() + seconds
    while not (stop.is_set() or wake.is_set()) and time.monotonic() < deadline:
        # Short slices: one Event cannot be waited on together with the other.
        wake.wait(min(0.05, max(deadline - time.monotonic(), 0)))


def _prune_quietly(ctx: Context) -> None:
    try:
        prune(ctx)
    except Exception as error:
        log.warning("pruning hotel_changes failed: %s", error)
