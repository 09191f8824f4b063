"""PostgreSQL: the saga's two hottest transactions, each one statement (data-modifying CTEs).

A transaction of five round trips (BEGIN, the processed-message row, the change, the outbox row,
COMMIT) becomes one statement, which Postgres runs as one implicit transaction, all or nothing.

Charge outcome:
- `seen` inserts the processed-message row; a duplicate inserts nothing (a concurrent one waits
  for the first to commit), and then nothing else happens;
- `paid` inserts the charge only after `seen`, and only if its idempotency key is new (the
  sweeper may have recorded this charge already: then no PaymentSucceeded is written either);
- the outbox row follows `paid` (a charge) or `seen` (a decline).

Live hold confirmed:
- `confirmed` confirms the booking only while it is still held and the message is not recorded
  yet (a duplicate finds it recorded, or the hold confirmed already by its first delivery);
- `seen` inserts the processed-message row only after `confirmed`;
- the InventoryReserved outbox row follows `seen`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import CTE, Engine, Insert, and_, bindparam, exists, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from backend.adapters.postgres.row_params import OUTBOX_COLUMNS, SEEN_COLUMNS, param_row
from backend.adapters.sql import OUTBOX, PAYMENTS, PROCESSED
from backend.db import autocommit
from backend.models import Booking, BookingStatus, utcnow
from backend.ports import NewPayment
from backend.saga.events import Event, InventoryReserved

_PAID = ("order_id", "kind", "amount", "currency", "gateway_ref", "idempotency_key", "created_at")
_BOOKINGS = Booking.__table__  # type: ignore[attr-defined]


def _charge_statement(with_charge: bool) -> Insert:
    seen = (
        pg_insert(PROCESSED)
        .from_select(SEEN_COLUMNS, param_row(PROCESSED, "seen", SEEN_COLUMNS))
        .on_conflict_do_nothing()
        .returning(PROCESSED.c.message_id)
        .cte("seen")
    )
    ctes: list[CTE] = [seen]
    guard = exists(select(seen.c.message_id))
    if with_charge:
        paid = (
            pg_insert(PAYMENTS)
            .from_select(_PAID, param_row(PAYMENTS, "paid", _PAID).where(guard))
            .on_conflict_do_nothing(index_elements=[PAYMENTS.c.idempotency_key])
            .returning(PAYMENTS.c.id)
            .cte("paid")
        )
        ctes.append(paid)
        guard = exists(select(paid.c.id))
    return (
        insert(OUTBOX)
        .from_select(OUTBOX_COLUMNS, param_row(OUTBOX, "box", OUTBOX_COLUMNS).where(guard))
        .add_cte(*ctes)
    )


def _confirm_statement() -> Insert:
    recorded = exists().where(
        and_(
            PROCESSED.c.consumer == bindparam("seen_consumer"),
            PROCESSED.c.message_id == bindparam("seen_message_id"),
        )
    )
    confirmed = (
        update(_BOOKINGS)
        .where(_BOOKINGS.c.id == bindparam("booking_id"))
        .where(_BOOKINGS.c.status == str(BookingStatus.HELD))
        .where(~recorded)
        .values(status=str(BookingStatus.CONFIRMED), updated_at=bindparam("confirmed_at"))
        .returning(_BOOKINGS.c.id)
        .cte("confirmed")
    )
    seen = (
        insert(PROCESSED)
        .from_select(
            SEEN_COLUMNS,
            param_row(PROCESSED, "seen", SEEN_COLUMNS).where(exists(select(confirmed.c.id))),
        )
        # No ON CONFLICT: a processed row committed after this statement's snapshot must abort
        # the whole statement, booking update included, not leave a confirmation unrecorded.
        .returning(PROCESSED.c.message_id)
        .cte("seen")
    )
    box = param_row(OUTBOX, "box", OUTBOX_COLUMNS).where(exists(select(seen.c.message_id)))
    return (
        insert(OUTBOX)
        .from_select(OUTBOX_COLUMNS, box)
        .add_cte(confirmed, seen)
        .returning(OUTBOX.c.id)
    )


# Built once: the statements and their compiled forms are reused by every message.
_CHARGED, _DECLINED = _charge_statement(with_charge=True), _charge_statement(with_charge=False)
_CONFIRM = _confirm_statement()


def _seen_and_box(consumer: str, message_id: str, outcome: Event) -> dict[str, Any]:
    now = utcnow()
    return {
        "seen_consumer": consumer, "seen_message_id": message_id, "seen_processed_at": now,
        "box_event_type": type(outcome).__name__, "box_payload": outcome.model_dump(mode="json"),
        "box_created_at": now, "box_message_id": str(uuid4()),
    }  # fmt: skip


class PostgresShortcuts:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record_charge_outcome(
        self, consumer: str, message_id: str, payment: NewPayment | None, outcome: Event
    ) -> None:
        params = _seen_and_box(consumer, message_id, outcome)
        if payment is not None:
            params |= {
                "paid_order_id": payment.order_id, "paid_kind": str(payment.kind),
                "paid_amount": payment.amount, "paid_currency": payment.currency,
                "paid_gateway_ref": payment.gateway_ref,
                "paid_idempotency_key": payment.idempotency_key, "paid_created_at": utcnow(),
            }  # fmt: skip
        statement = _DECLINED if payment is None else _CHARGED
        with autocommit(self.engine) as connection:  # a lone statement is its own transaction
            connection.execute(statement, params)

    def confirm_live_hold(
        self, consumer: str, message_id: str, reserved: InventoryReserved, now: datetime
    ) -> bool:
        params = _seen_and_box(consumer, message_id, reserved)
        params |= {"booking_id": reserved.booking_id, "confirmed_at": now}
        try:
            with autocommit(self.engine) as connection:
                return connection.execute(_CONFIRM, params).first() is not None
        except IntegrityError:
            # Another delivery recorded the message after this statement's snapshot: nothing was
            # written (the statement is atomic); the general path will see the duplicate.
            return False
