"""How far the search index trails the database: a read-only look at the sync checkpoint.

The lag is the age of the oldest hotel change the checkpoint has not passed yet (zero when the
checkpoint is at the end of the log). On PostgreSQL the worker applies visible changes before the
checkpoint may move past them (see sync.py), so this is an upper bound of what searchers see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, text

from backend.search.checkpoint import CONSUMER, load_checkpoint


@dataclass(frozen=True)
class SyncLag:
    pending: int  # change rows past the checkpoint
    lag_seconds: float  # age of the oldest of them; 0.0 when none is pending
    checkpoint_at: datetime | None  # when the checkpoint last moved (None: never)


def _aware(moment: datetime | str | None) -> datetime | None:
    if moment is None:
        return None
    if isinstance(moment, str):  # SQLite returns CURRENT_TIMESTAMP as text
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def sync_lag(engine: Engine, now: datetime | None = None) -> SyncLag:
    now = now or datetime.now(UTC)
    with engine.connect() as conn:
        after = load_checkpoint(conn)
        row = conn.execute(
            text(
                "SELECT count(*), min(changed_at) FROM hotel_changes "
                "WHERE txid > :tx OR (txid = :tx AND id > :id)"
            ),
            {"tx": after.txid, "id": after.change_id},
        ).one()
        moved = conn.execute(
            text("SELECT updated_at FROM sync_checkpoints WHERE name = :name"), {"name": CONSUMER}
        ).scalar()
    oldest = _aware(row[1])
    lag = max(0.0, (now - oldest).total_seconds()) if row[0] and oldest else 0.0
    return SyncLag(pending=int(row[0]), lag_seconds=lag, checkpoint_at=_aware(moved))
