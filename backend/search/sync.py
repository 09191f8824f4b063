"""The sync worker: hotel_changes (written by triggers) -> the search index, with a checkpoint.

Change rows name hotels, not edits: for each batch the worker reads the hotels' *current* state
and upserts their documents (or deletes those whose hotel is gone or has no room type left). So a
replay is harmless, order inside a batch does not matter, and nothing is duplicated.

Checkpoint = the position (txid, id) of the last applied change, advanced only after the index
confirmed the batch, by compare-and-set on a version (a reindex may have moved it meanwhile). On
PostgreSQL ids are allocated before commit, so id order is not commit order: a transaction still
open may later commit a change *behind* one already applied. So the checkpoint only moves over
changes below the horizon (the snapshot's xmin: every transaction below it has finished), ordered
by (txid, id). Visible changes above the horizon are applied at once anyway and remembered in
memory, so an unrelated long transaction delays the checkpoint, never the search. On SQLite
writers are serialized and txid is always 0: the same code is plain id order. The horizon, the
rebuild's pages and the cross-process locks are the database's (`ctx.feed`, a ChangeFeed port).

A change row for hotel 0 (ALL_HOTELS, logged by a TRUNCATE: migration 0004) means any hotel
may have changed: that batch rebuilds the whole index from the database and swaps it in.

Wake-ups: notifications on hotel_changes (`ctx.notifications`: LISTEN on PostgreSQL, where the
triggers NOTIFY; nothing on SQLite), polling as the fallback.
Failures (index or database down) back off exponentially and retry the same batch.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, text

from backend.context import Context
from backend.models import utcnow
from backend.ports import ChangeFeed
from backend.search.batch_gate import RebuildRunning, batch_gate, rebuild_lock
from backend.search.documents import REBUILD_BATCH, documents_for
from backend.search.port import Progress

log = logging.getLogger("trinity.search.sync")

CONSUMER = "search"
REINDEX_HOLD = "reindex"  # a pruning floor while a reindex runs
CHANNEL = "hotel_changes"
PRUNE_EVERY_S = 60.0
MAX_BACKOFF_S = 5.0
ALL_HOTELS = 0  # the hotel id a TRUNCATE logs (no hotel has it)


@dataclass(frozen=True, order=True)
class Position:
    txid: int = 0
    change_id: int = 0


@dataclass(frozen=True)
class Checkpoint:
    position: Position
    version: int


# -- the change log and the checkpoint ------------------------------------------------------------


def read_changes(
    feed: ChangeFeed, conn: Connection, after: Position, limit: int
) -> tuple[list[Any], int]:
    """Visible changes after `after` in checkpoint order, and the horizon (`ChangeFeed.horizon`),
    read before them: a change below it that commits later cannot exist."""
    horizon = feed.horizon(conn)
    rows = conn.execute(
        text(f"SELECT id, hotel_id, txid FROM ({_AFTER}) AS later ORDER BY txid, id LIMIT :n"),
        {"tx": after.txid, "id": after.change_id, "n": limit},
    ).all()
    return list(rows), horizon


# "After (tx, id)" as two index ranges: SQLite scans the whole log for the equivalent
# `txid > :tx OR (txid = :tx AND id > :id)` (4.5 ms a poll with 40k rows waiting to be pruned,
# against 0.02 ms), and the worker polls it all the time.
_AFTER = (
    "SELECT id, hotel_id, txid FROM hotel_changes WHERE txid = :tx AND id > :id "
    "UNION ALL SELECT id, hotel_id, txid FROM hotel_changes WHERE txid > :tx"
)


def load_checkpoint(conn: Connection, name: str = CONSUMER) -> Checkpoint:
    row = conn.execute(
        text("SELECT txid, change_id, version FROM sync_checkpoints WHERE name = :name"),
        {"name": name},
    ).first()
    if row is None:
        return Checkpoint(Position(), -1)
    return Checkpoint(Position(int(row[0]), int(row[1])), int(row[2]))


def store_checkpoint(engine: Engine, old: Checkpoint, new: Position, name: str = CONSUMER) -> bool:
    """Compare-and-set; False when someone (a reindex) moved the checkpoint meanwhile."""
    params = {"name": name, "tx": new.txid, "id": new.change_id, "v": old.version, "now": utcnow()}
    with engine.begin() as conn:
        if old.version < 0:
            inserted = conn.execute(
                text(
                    "INSERT INTO sync_checkpoints (name, txid, change_id, version, updated_at) "
                    "SELECT CAST(:name AS VARCHAR(40)), :tx, :id, 0, :now WHERE NOT EXISTS "
                    "(SELECT 1 FROM sync_checkpoints WHERE name = CAST(:name AS VARCHAR(40)))"
                ),
                params,
            )
            return inserted.rowcount == 1
        updated = conn.execute(
            text(
                "UPDATE sync_checkpoints SET txid = :tx, change_id = :id, version = version + 1, "
                "updated_at = :now WHERE name = :name AND version = :v"
            ),
            params,
        )
        return updated.rowcount == 1


def force_checkpoint(engine: Engine, position: Position, name: str = CONSUMER) -> None:
    with engine.connect() as conn:
        current = load_checkpoint(conn, name)
    if not store_checkpoint(engine, current, position, name):
        force_checkpoint(engine, position, name)  # lost a race with the worker: try again


def prune(ctx: Context) -> int:
    """Delete changes every consumer (and a running reindex) is past."""
    _drop_stale_hold(ctx)
    with ctx.engine.begin() as conn:
        rows = conn.execute(text("SELECT txid, change_id FROM sync_checkpoints")).all()
        if not rows:
            return 0
        floor = min(Position(int(r[0]), int(r[1])) for r in rows)
        return conn.execute(
            text("DELETE FROM hotel_changes WHERE txid < :tx OR (txid = :tx AND id <= :id)"),
            {"tx": floor.txid, "id": floor.change_id},
        ).rowcount


def _drop_stale_hold(ctx: Context) -> None:
    """A reindex hold row while no rebuild runs was left by a reindex killed before its cleanup;
    it would stop pruning for good."""
    with contextlib.suppress(RebuildRunning), rebuild_lock(ctx.feed, wait=False):
        _drop_hold(ctx.engine)


def _drop_hold(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM sync_checkpoints WHERE name = :n"), {"n": REINDEX_HOLD})


def pending_changes(engine: Engine) -> int:
    with engine.connect() as conn:
        after = load_checkpoint(conn).position
        return int(
            conn.execute(
                text(f"SELECT count(*) FROM ({_AFTER}) AS later"),
                {"tx": after.txid, "id": after.change_id},
            ).scalar_one()
        )


# -- one batch --------------------------------------------------------------------------------------


@dataclass
class SyncState:
    """Changes already applied but still beyond the checkpoint (their transaction id is above the
    horizon because some older transaction is still open). Kept in memory only: after a restart
    they are applied once more, which is harmless."""

    applied: dict[int, Position] = field(default_factory=dict)
    version: int | None = None  # of the checkpoint the applied changes are beyond

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
        if checkpoint.version != state.version:  # a reindex moved it: replay what it says
            state.applied.clear()
        rows, fresh, horizon = _next_rows(ctx.feed, conn, checkpoint.position, limit, state)
    if fresh:
        with batch_gate(ctx.feed):
            _apply(ctx, {int(r.hotel_id) for r in fresh})
    state.version = checkpoint.version
    settled = [r for r in rows if int(r.txid) < horizon]
    for row in fresh:
        state.applied[int(row.id)] = _position(row)
    if settled:
        target = _position(settled[-1])
        if store_checkpoint(ctx.engine, checkpoint, target):
            state.forget_until(target)
            state.version = checkpoint.version + 1
        else:
            log.info("checkpoint moved by a reindex; replaying from its position")
            state.applied.clear()
    return len(fresh)


def _apply(ctx: Context, hotel_ids: set[int]) -> None:
    """Bring the index up to date with these hotels as the database has them now."""
    if ALL_HOTELS in hotel_ids:  # read after the batch's rows, so it covers every change in it
        # Not waiting: a reindex holds the lock and waits for this batch at its start.
        with rebuild_lock(ctx.feed, wait=False):
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
    """The worker loop: drain the log, then sleep until a notification or the poll interval."""
    wake = threading.Event()
    with ctx.notifications.listening(CHANNEL, wake):
        _sync_loop(ctx, stop, wake)


def _sync_loop(ctx: Context, stop: threading.Event, wake: threading.Event) -> None:
    state = SyncState()
    failures = 0
    last_prune = time.monotonic()
    while not stop.is_set():
        wake.clear()  # before reading: a change notified during the batch cuts the next wait short
        try:
            applied = sync_once(ctx, state)
            failures = 0
        except RebuildRunning:  # a reindex rebuilds everything already: retry after it
            log.info("a reindex is running; the worker's rebuild waits for it")
            stop.wait(1.0)
            continue
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


# -- full rebuild -----------------------------------------------------------------------------------


def settled_head(feed: ChangeFeed, conn: Connection) -> Position:
    """The last logged change whose transaction has finished, when nothing open can still log one
    before it: every read that starts after this call sees it and everything before it."""
    row = conn.execute(
        text(
            "SELECT txid, id FROM hotel_changes WHERE txid < :horizon "
            "ORDER BY txid DESC, id DESC LIMIT 1"
        ),
        {"horizon": feed.horizon(conn)},
    ).first()
    return Position() if row is None else Position(int(row[0]), int(row[1]))


def reindex(ctx: Context, progress: Progress, batch: int = REBUILD_BATCH) -> int:
    """Rebuild the index from the database into a fresh index and swap it in.

    Afterwards the checkpoint goes back to the last change settled before the rebuild began
    reading (or stays where it was, if that is further on): the rebuild holds those, and every
    later change, including an edit made while it was reading (which the worker may have applied
    to the old index), is replayed into the new index; the hold row keeps pruning from deleting
    them meanwhile. So a reindex after a bulk load does not replay the load's log a second time.
    The position is taken behind the batch gate: no sync batch that read the database before it
    is still on its way to the index (it would write pre-edit documents into the new one). One
    rebuild runs at a time: a second reindex waits for the first.
    """
    with rebuild_lock(ctx.feed):
        with batch_gate(ctx.feed, exclusive=True):
            with ctx.engine.connect() as conn:
                start = load_checkpoint(conn).position
                covered = max(start, settled_head(ctx.feed, conn))
            force_checkpoint(ctx.engine, start, REINDEX_HOLD)
        try:
            done = ctx.search.rebuild(ctx.feed.rebuild_pages(batch), progress)
        except BaseException:
            # Maybe after the swap: replay what the worker gave the old index meanwhile.
            force_checkpoint(ctx.engine, start)
            raise
        else:
            force_checkpoint(ctx.engine, covered)
        finally:
            _drop_hold(ctx.engine)
    return done
