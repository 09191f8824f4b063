"""PostgreSQL: a charge's outcome recorded in one statement, the payments step's whole transaction.

`apply_once` + `record_charge` + `emit` take a transaction of five round trips (BEGIN, the
processed-message row, the payment, the outbox row, COMMIT). Here data-modifying CTEs do the same
in one statement, which Postgres runs as one implicit transaction, with the same guarantees:

- `seen` inserts the processed-message row; a duplicate inserts nothing (a concurrent one waits
  for the first to commit), and then nothing else happens;
- `paid` inserts the charge only after `seen`, and only if its idempotency key is new (the
  sweeper may have recorded this charge already: then no PaymentSucceeded is written either);
- the outbox row follows `paid` (a charge) or `seen` (a decline).

SQLite (local mode) has no data-modifying CTEs and no network round trips to save: it keeps the
transaction (backend/saga/payments.py).
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from sqlalchemy import CTE, Engine, Insert, Table, exists, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from backend.db import autocommit
from backend.models import OutboxMessage, Payment, PaymentKind, ProcessedMessage, utcnow
from backend.saga.events import Event, PaymentSucceeded
from backend.saga.row_params import OUTBOX_COLUMNS, SEEN_COLUMNS, param_row

_PAID = ("order_id", "kind", "amount", "currency", "gateway_ref", "idempotency_key", "created_at")


def _statement(with_charge: bool) -> Insert:
    processed: Table = ProcessedMessage.__table__  # type: ignore[attr-defined]
    payments: Table = Payment.__table__  # type: ignore[attr-defined]
    outbox: Table = OutboxMessage.__table__  # type: ignore[attr-defined]
    seen = (
        pg_insert(processed)
        .from_select(SEEN_COLUMNS, param_row(processed, "seen", SEEN_COLUMNS))
        .on_conflict_do_nothing()
        .returning(processed.c.message_id)
        .cte("seen")
    )
    ctes: list[CTE] = [seen]
    guard = exists(select(seen.c.message_id))
    if with_charge:
        paid = (
            pg_insert(payments)
            .from_select(_PAID, param_row(payments, "paid", _PAID).where(guard))
            .on_conflict_do_nothing(index_elements=[payments.c.idempotency_key])
            .returning(payments.c.id)
            .cte("paid")
        )
        ctes.append(paid)
        guard = exists(select(paid.c.id))
    return (
        insert(outbox)
        .from_select(OUTBOX_COLUMNS, param_row(outbox, "box", OUTBOX_COLUMNS).where(guard))
        .add_cte(*ctes)
    )


# Built once: the statements and their compiled forms are reused by every message.
_CHARGED, _DECLINED = _statement(with_charge=True), _statement(with_charge=False)


def record_outcome_at_once(
    engine: Engine, consumer: str, message_id: str, order_id: int, key: str, outcome: Event
) -> None:
    """Record the message, the charge under `key` (on PaymentSucceeded) and the outcome event."""
    now = utcnow()
    params: dict[str, Any] = {
        "seen_consumer": consumer, "seen_message_id": message_id, "seen_processed_at": now,
        "box_event_type": type(outcome).__name__, "box_payload": outcome.model_dump(mode="json"),
        "box_created_at": now, "box_message_id": str(uuid4()),
    }  # fmt: skip
    if isinstance(outcome, PaymentSucceeded):
        params |= {
            "paid_order_id": order_id, "paid_kind": str(PaymentKind.CHARGE),
            "paid_amount": outcome.amount, "paid_currency": outcome.currency,
            "paid_gateway_ref": outcome.charge_ref, "paid_idempotency_key": key,
            "paid_created_at": now,
        }  # fmt: skip
    statement = _CHARGED if isinstance(outcome, PaymentSucceeded) else _DECLINED
    with autocommit(engine) as connection:  # a lone statement is its own transaction
        connection.execute(statement, params)
