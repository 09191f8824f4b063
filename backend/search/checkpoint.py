"""The change log (hotel_changes, written by triggers) as the search sync reads it, and its
checkpoint: the position (txid, id) of the last change the index is known to hold.

On PostgreSQL ids are allocated before commit, so id order is not commit order: a transaction
still open may later commit a change *behind* one already applied. So positions are ordered by
(txid, id), and the checkpoint only moves over changes below the horizon (`ChangeFeed.horizon`,
the snapshot's xmin: every transaction below it has finished). On SQLite writers are serialized
and txid is always 0: the same code is plain id order.

Only the search index's writer (the process holding `ChangeFeed.writer_lock`: the sync worker,
or a `trinity reindex` that found no worker) writes the checkpoint, so a plain upsert does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, text

from backend.context import Context
from backend.models import utcnow
from backend.ports import ChangeFeed

CONSUMER = "search"


@dataclass(frozen=True, order=True)
class Position:
    txid: int = 0
    change_id: int = 0


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


def load_checkpoint(conn: Connection) -> Position:
    row = conn.execute(
        text("SELECT txid, change_id FROM sync_checkpoints WHERE name = :name"), {"name": CONSUMER}
    ).first()
    return Position() if row is None else Position(int(row[0]), int(row[1]))


def store_checkpoint(engine: Engine, position: Position) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO sync_checkpoints (name, txid, change_id, updated_at) "
                "VALUES (:name, :tx, :id, :now) ON CONFLICT (name) DO UPDATE SET "
                "txid = excluded.txid, change_id = excluded.change_id, "
                "updated_at = excluded.updated_at"
            ),
            {"name": CONSUMER, "tx": position.txid, "id": position.change_id, "now": utcnow()},
        )


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


def prune(ctx: Context) -> int:
    """Delete the changes the checkpoint is past."""
    with ctx.engine.begin() as conn:
        rows = conn.execute(text("SELECT txid, change_id FROM sync_checkpoints")).all()
        if not rows:
            return 0
        floor = min(Position(int(r[0]), int(r[1])) for r in rows)
        return conn.execute(
            text("DELETE FROM hotel_changes WHERE txid < :tx OR (txid = :tx AND id <= :id)"),
            {"tx": floor.txid, "id": floor.change_id},
        ).rowcount


def pending_changes(engine: Engine) -> int:
    with engine.connect() as conn:
        after = load_checkpoint(conn)
        return int(
            conn.execute(
                text(f"SELECT count(*) FROM ({_AFTER}) AS later"),
                {"tx": after.txid, "id": after.change_id},
            ).scalar_one()
        )
