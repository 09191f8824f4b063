"""The gate between the sync worker's batches and a reindex, across processes.

A sync batch holds it shared from reading the database to the index's confirmation; a reindex
holds it exclusively while it takes the position it will put the checkpoint back to. So a batch
that read the database before that position can never write into the index the reindex builds:
it has finished (its write went to the old index, or is in the database's past the rebuild reads)
before the position is taken. PostgreSQL: an advisory lock (scoped to the database); SQLite: an
flock on a file beside the database (the worker is a thread of the server, `trinity reindex`
another process).
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, text

ADVISORY_KEY = 0x54524E59  # "TRNY": the search sync gate


@contextlib.contextmanager
def batch_gate(engine: Engine, *, exclusive: bool = False) -> Iterator[None]:
    if engine.dialect.name == "postgresql":
        with _advisory(engine, exclusive):
            yield
        return
    with Path(f"{engine.url.database}.sync-gate").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def _advisory(engine: Engine, exclusive: bool) -> Iterator[None]:
    kind = "" if exclusive else "_shared"
    # Autocommit: no transaction stays open (it would hold back the sync horizon) while held.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"SELECT pg_advisory_lock{kind}(:key)"), {"key": ADVISORY_KEY})
        try:
            yield
        finally:
            conn.execute(text(f"SELECT pg_advisory_unlock{kind}(:key)"), {"key": ADVISORY_KEY})
