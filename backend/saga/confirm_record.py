"""PostgreSQL: a live hold confirmed in one statement, the inventory step's commonest transaction.

`apply_once` + `inventory.confirm` + `emit` take a transaction of five round trips (BEGIN, the
processed-message row, the booking UPDATE, the outbox row, COMMIT). Here data-modifying CTEs do
the same in one statement, run as its own implicit transaction, all or nothing:

- `confirmed` confirms the booking only while it is still held and the message is not recorded
  yet (a duplicate finds it recorded, or the hold confirmed already by its first delivery);
- `seen` inserts the processed-message row only after `confirmed`;
- the InventoryReserved outbox row follows `seen`.

No row back means nothing changed: the caller takes the general path (a transaction with the
locked read: a duplicate, an expired or cancelled hold). SQLite always takes that path.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import Engine, Insert, Table, and_, bindparam, exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from backend.db import autocommit
from backend.models import Booking, BookingStatus, OutboxMessage, ProcessedMessage, utcnow
from backend.saga.events import InventoryReserved
from backend.saga.row_params import OUTBOX_COLUMNS, SEEN_COLUMNS, param_row


def _statement() -> Insert:
    bookings: Table = Booking.__table__  # type: ignore[attr-defined]
    processed: Table = ProcessedMessage.__table__  # type: ignore[attr-defined]
    outbox: Table = OutboxMessage.__table__  # type: ignore[attr-defined]
    recorded = exists().where(
        and_(
            processed.c.consumer == bindparam("seen_consumer"),
            processed.c.message_id == bindparam("seen_message_id"),
        )
    )
    confirmed = (
        update(bookings)
        .where(bookings.c.id == bindparam("booking_id"))
        .where(bookings.c.status == str(BookingStatus.HELD))
        .where(~recorded)
        .values(status=str(BookingStatus.CONFIRMED), updated_at=bindparam("confirmed_at"))
        .returning(bookings.c.id)
        .cte("confirmed")
    )
    seen = (
        insert(processed)
        .from_select(
            SEEN_COLUMNS,
            param_row(processed, "seen", SEEN_COLUMNS).where(exists(select(confirmed.c.id))),
        )
        # No ON CONFLICT: a processed row committed after this statement's snapshot must abort
        # the whole statement, booking update included, not leave a confirmation unrecorded.
        .returning(processed.c.message_id)
        .cte("seen")
    )
    box = param_row(outbox, "box", OUTBOX_COLUMNS).where(exists(select(seen.c.message_id)))
    return (
        insert(outbox)
        .from_select(OUTBOX_COLUMNS, box)
        .add_cte(confirmed, seen)
        .returning(outbox.c.id)
    )


_CONFIRM = _statement()  # built once: its compiled form is reused by every message


def confirm_live_hold_at_once(
    engine: Engine, consumer: str, message_id: str, reserved: InventoryReserved, now: datetime
) -> bool:
    """Confirm the still-held booking, record the message and emit `reserved`; False if nothing."""
    params: dict[str, Any] = {
        "booking_id": reserved.booking_id, "confirmed_at": now,
        "seen_consumer": consumer, "seen_message_id": message_id, "seen_processed_at": utcnow(),
        "box_event_type": type(reserved).__name__, "box_payload": reserved.model_dump(mode="json"),
        "box_created_at": utcnow(), "box_message_id": str(uuid4()),
    }  # fmt: skip
    try:
        with autocommit(engine) as connection:  # a lone statement is its own transaction
            return connection.execute(_CONFIRM, params).first() is not None
    except IntegrityError:
        # Another delivery recorded the message after this statement's snapshot: nothing was
        # written (the statement is atomic); the general path will see the duplicate.
        return False
