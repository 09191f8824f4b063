"""PostgreSQL: a hold as one statement (data-modifying CTEs), one implicit transaction.

A transaction of five round trips (BEGIN, reserve the nights, the booking, its outbox row, COMMIT)
becomes one:
- `full` finds the stay's first night with no room left (as the statement's snapshot sees it);
- `taken` takes one room of every night, only when `full` found none; a night filled since the
  snapshot (a race past the room-night locks) breaks the CHECK (reserved <= total) and the whole
  statement rolls back: the fence;
- `booking` and `event` insert the hold and its BookingHeld row only when the nights were taken;
  the event's payload gets the booking's id in SQL (jsonb merge), so no second statement is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from psycopg.errors import CheckViolation
from sqlalchemy import JSON, Date, Numeric, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError

from backend.ports import PlacedHold, Statements

_BOOKING_COLUMNS = (
    "user_id", "hotel_id", "room_type_id", "check_in", "check_out", "guests", "status",
    "hold_expires_at", "total_price", "currency", "created_at", "updated_at",
)  # fmt: skip

_PLACE = text(
    f"""
WITH full_night AS (
    SELECT min(night) AS night FROM room_inventory
    WHERE room_type_id = :room_type_id AND night = ANY(:stay) AND reserved >= total
),
taken AS (
    INSERT INTO room_inventory (room_type_id, night, total, reserved)
    SELECT :room_type_id, stay.night, :rooms, 1
    FROM unnest(:stay) AS stay(night)
    WHERE (SELECT night FROM full_night) IS NULL
    ORDER BY stay.night
    ON CONFLICT (room_type_id, night) DO UPDATE SET reserved = room_inventory.reserved + 1
    RETURNING night
),
booking AS (
    INSERT INTO bookings ({", ".join(_BOOKING_COLUMNS)})
    SELECT {", ".join(f":{c}" for c in _BOOKING_COLUMNS)}
    WHERE (SELECT count(*) FROM taken) = cardinality(:stay)
    RETURNING id
),
event AS (
    INSERT INTO outbox (event_type, payload, created_at, message_id)
    SELECT :event_type,
           CAST(CAST(:payload AS jsonb) || jsonb_build_object('booking_id', booking.id) AS json),
           :event_created_at, :message_id
    FROM booking
)
SELECT (SELECT id FROM booking) AS booking_id, (SELECT night FROM full_night) AS full_night
"""
).bindparams(
    bindparam("stay", type_=ARRAY(Date)),
    bindparam("payload", type_=JSON),
    bindparam("total_price", type_=Numeric(12, 2)),
)


class PostgresHolds:
    def __init__(self, statements: Statements) -> None:
        self.statements = statements

    def place(
        self, booking: dict[str, Any], stay: Sequence[date], rooms: int, event: dict[str, Any]
    ) -> PlacedHold:
        params = {c: booking[c] for c in _BOOKING_COLUMNS} | {
            "status": str(booking["status"]),
            "stay": list(stay),
            "rooms": rooms,
            "event_type": event["event_type"],
            "payload": event["payload"],
            "event_created_at": event["created_at"],
            "message_id": event["message_id"],
        }
        try:
            row = self.statements.first(_PLACE, params)
        except IntegrityError as error:
            if isinstance(error.orig, CheckViolation):
                return PlacedHold(None)  # the fence: a night filled past the locks
            raise
        assert row is not None  # the statement's last SELECT returns one row
        booking_id, full_night = row
        return PlacedHold(booking_id, full_night)
