"""Full rebuilds of the search index, asked for through the database, done by its one writer.

The index has one writer at a time: whoever holds `ChangeFeed.writer_lock`. That is the sync
worker (`trinity sync`, or local mode's in-process role), for as long as it runs. `reindex`
(`trinity reindex`) inserts a search_rebuilds row and waits for it to finish: the worker picks
it up between two batches (at once on PostgreSQL, where the insert NOTIFYs it; within a poll on
SQLite) and records its progress in the row. When no worker holds the lock (local mode with no
app running, a deployment whose worker is down) the reindex takes the lock and rebuilds in its
own process, the same code; a worker starting meanwhile stands by until it is done.

One rebuild serves every request waiting when it begins: two reindexes asked for together cost
one rebuild. A request made while one runs waits for the next (the running one may have read
the hotels before whatever prompted the request).

The checkpoint needs no care beyond this: nothing else writes the index while a rebuild runs, so
a batch read before the rebuild can never land in the new index. The rebuild covers every change
settled before it began reading; afterwards the checkpoint moves there (when that is further on),
and every later change, an edit made while the rebuild was reading included, is replayed into
the new index by the worker's next batches. A rebuild that fails leaves the checkpoint alone:
whatever the old index got meanwhile is replayed into whichever index is live.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, text

from backend.context import Context
from backend.models import utcnow
from backend.ports import LockBusy
from backend.search.checkpoint import load_checkpoint, settled_head, store_checkpoint
from backend.search.documents import REBUILD_BATCH
from backend.search.port import Progress

log = logging.getLogger("trinity.search.rebuilds")

REINDEX_TIMEOUT_S = 900.0  # two rebuilds of 1M hotels back to back, with room to spare
POLL_S = 0.2


class ReindexTimeout(Exception):
    """The rebuild asked for did not finish in the time allowed (it stays asked for)."""


@dataclass(frozen=True)
class RebuildStatus:
    indexed: int
    finished: bool
    error: str | None


def request_rebuild(engine: Engine) -> int:
    with engine.begin() as conn:
        return int(
            conn.execute(
                text(
                    "INSERT INTO search_rebuilds (requested_at, indexed) VALUES (:now, 0) RETURNING id"
                ),
                {"now": utcnow()},
            ).scalar_one()
        )


def rebuild_status(engine: Engine, request: int) -> RebuildStatus:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT indexed, finished_at, error FROM search_rebuilds WHERE id = :id"),
            {"id": request},
        ).one()
    return RebuildStatus(int(row[0]), row[1] is not None, row[2])


# -- the writer's side ---------------------------------------------------------------------------


def serve_rebuilds(
    ctx: Context, batch: int = REBUILD_BATCH, progress: Progress | None = None
) -> bool:
    """Run one rebuild for every request waiting now, if any (the caller holds the writer lock).
    True when it rebuilt: the caller's memory of changes applied to the old index is stale."""
    with ctx.engine.begin() as conn:
        upto = conn.execute(
            text("SELECT max(id) FROM search_rebuilds WHERE finished_at IS NULL")
        ).scalar()
        if upto is None:
            return False
        conn.execute(
            text(
                "UPDATE search_rebuilds SET started_at = :now, indexed = 0, error = NULL "
                "WHERE id <= :upto AND finished_at IS NULL"
            ),
            {"now": utcnow(), "upto": upto},
        )
    recorder = _ProgressRecorder(ctx.engine, int(upto), progress)
    try:
        done = rebuild_index(ctx, recorder, batch)
    except Exception as error:
        recorder.failed(error)  # the requests stay waiting: the worker tries again after a pause
        raise
    recorder.finished(done)
    return True


def rebuild_index(ctx: Context, progress: Progress, batch: int = REBUILD_BATCH) -> int:
    """Fill a fresh index from the database and swap it in; then skip the checkpoint past what the
    rebuild covered (a rebuild after a bulk load does not replay the load's log)."""
    with ctx.engine.connect() as conn:
        start = load_checkpoint(conn)
        covered = settled_head(ctx.feed, conn)
    done = ctx.search.rebuild(ctx.feed.rebuild_pages(batch), progress)
    if covered > start:
        store_checkpoint(ctx.engine, covered)
    return done


class _ProgressRecorder:
    """Writes a rebuild's progress into the requests it serves (for the `reindex` waiting on
    them), and passes it on to an in-process caller's progress bar."""

    def __init__(self, engine: Engine, upto: int, progress: Progress | None) -> None:
        self.engine, self.upto, self.progress = engine, upto, progress
        self.done = 0

    def __call__(self, count: int) -> None:
        self.done += count
        self._update("indexed = :done", done=self.done)
        if self.progress is not None:
            self.progress(count)

    def failed(self, error: Exception) -> None:
        self._update("error = :error", error=f"{type(error).__name__}: {error}"[:500])

    def finished(self, done: int) -> None:
        self._update("indexed = :done, finished_at = :now", done=done, now=utcnow())

    def _update(self, assignments: str, **values: object) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    f"UPDATE search_rebuilds SET {assignments} "
                    "WHERE id <= :upto AND finished_at IS NULL"
                ),
                {"upto": self.upto, **values},
            )


# -- the asking side -----------------------------------------------------------------------------


def reindex(
    ctx: Context,
    progress: Progress,
    batch: int = REBUILD_BATCH,
    timeout: float = REINDEX_TIMEOUT_S,
    waiting: Callable[[str], None] = lambda message: None,
) -> int:
    """Ask for a rebuild and wait until one that began after the request has finished; returns
    how many hotels it indexed. Rebuilds here, under the writer lock, whenever no worker holds it.
    ReindexTimeout after `timeout` seconds of waiting for a worker; the request stays."""
    request = request_rebuild(ctx.engine)
    deadline = time.monotonic() + timeout
    shown, last_error = 0, None

    def passed_on(count: int) -> None:
        nonlocal shown
        shown += count
        progress(count)

    while True:
        status = rebuild_status(ctx.engine, request)
        if status.indexed > shown:
            passed_on(status.indexed - shown)
        if status.finished:
            return status.indexed
        if status.error and status.error != last_error:
            last_error = status.error
            waiting(f"the rebuild failed ({status.error}); the worker tries again")
        try:
            with ctx.feed.writer_lock(timeout=0):
                log.info("no sync worker holds the search writer lock: rebuilding here")
                shown = 0  # the rebuild here starts from nothing, and reports every page
                serve_rebuilds(ctx, batch, passed_on)
            continue
        except LockBusy:
            pass  # a worker is the writer: it serves the request
        if time.monotonic() >= deadline:
            raise ReindexTimeout(
                f"rebuild request {request} did not finish within {timeout:g} s: the sync worker "
                "holding the search writer lock is busy or stuck (see its log). The request "
                "stays; the worker serves it when it can."
            )
        time.sleep(POLL_S)
