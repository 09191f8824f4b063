"""PostgreSQL: the saga's hottest transactions, each one statement (data-modifying CTEs).

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

Order moved (the orders step's common moves: pending -> paid, paid -> confirmed):
- `moved` updates the order only while it is in the move's source status and the message is not
  recorded yet (a concurrent move of the same order waits for the row lock, then finds the status
  changed and updates nothing);
- `seen` inserts the processed-message row only after `moved` (no ON CONFLICT, as above);
- `entry` appends the timeline entry only after `seen`, its detail filled in from the order.

Order placed (checkout):
- `hold` locks the booking and reads what the checkout's errors need;
- `placed` inserts the order only for a live hold of this guest, and only if the booking has no
  order yet (its unique booking_id: a concurrent second checkout inserts nothing, race-free);
- `entry` and `event` follow `placed`; the event's payload gets the order's id, amount and
  currency in SQL (jsonb merge, as the hold writer does), so no second statement is needed.

The statements are plain SQL run on the psycopg connection itself: SQLAlchemy's execution path
(compiled-cache lookup, bind processing, result wrapping) cost more client CPU than the
statement on the saga's workers. psycopg prepares each one server-side after a few executions.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import psycopg
from psycopg import errors
from psycopg.types.json import Json
from sqlalchemy import Engine

from backend.models import BookingStatus, Order, OrderStatus, utcnow
from backend.ports import LockedHold, MovedOrder, NewPayment, OrderMove, OrderPlacement, PlacedOrder
from backend.saga.events import Event, InventoryReserved

_SEEN = """INSERT INTO processed_messages (consumer, message_id, processed_at)
    VALUES (%(seen_consumer)s, %(seen_message_id)s, %(seen_processed_at)s)"""
_BOX = """INSERT INTO outbox (event_type, payload, created_at, message_id)
    SELECT %(box_event_type)s, %(box_payload)s, %(box_created_at)s, %(box_message_id)s"""

_CHARGED = f"""
WITH seen AS (
    {_SEEN} ON CONFLICT DO NOTHING RETURNING message_id
), paid AS (
    INSERT INTO payments
        (order_id, kind, amount, currency, gateway_ref, idempotency_key, created_at)
    SELECT %(paid_order_id)s, %(paid_kind)s, %(paid_amount)s, %(paid_currency)s,
           %(paid_gateway_ref)s, %(paid_idempotency_key)s, %(paid_created_at)s
    WHERE EXISTS (SELECT FROM seen)
    ON CONFLICT (idempotency_key) DO NOTHING RETURNING id
)
{_BOX} WHERE EXISTS (SELECT FROM paid)
"""

_DECLINED = f"""
WITH seen AS (
    {_SEEN} ON CONFLICT DO NOTHING RETURNING message_id
)
{_BOX} WHERE EXISTS (SELECT FROM seen)
"""

_CONFIRM = f"""
WITH confirmed AS (
    UPDATE bookings SET status = '{BookingStatus.CONFIRMED}', updated_at = %(confirmed_at)s
    WHERE id = %(booking_id)s AND status = '{BookingStatus.HELD}'
      AND NOT EXISTS (
          SELECT FROM processed_messages
          WHERE consumer = %(seen_consumer)s AND message_id = %(seen_message_id)s)
    RETURNING id
), seen AS (
    -- No ON CONFLICT: a processed row committed after this statement's snapshot must abort the
    -- whole statement, booking update included, not leave a confirmation unrecorded.
    INSERT INTO processed_messages (consumer, message_id, processed_at)
    SELECT %(seen_consumer)s, %(seen_message_id)s, %(seen_processed_at)s
    WHERE EXISTS (SELECT FROM confirmed)
    RETURNING message_id
)
{_BOX} WHERE EXISTS (SELECT FROM seen) RETURNING id
"""

# `{amount}`/`{currency}` in the detail take the order's values: numeric(12,2)::text prints like
# Python's str() of the Decimal the ORM reads ("120.00").
_MOVE_ORDER = """
WITH moved AS (
    UPDATE orders SET status = %(target)s, updated_at = %(at)s
    WHERE id = %(order_id)s AND status = %(source)s
      AND NOT EXISTS (
          SELECT FROM processed_messages
          WHERE consumer = %(seen_consumer)s AND message_id = %(seen_message_id)s)
    RETURNING id, user_id, amount, currency, created_at
), seen AS (
    INSERT INTO processed_messages (consumer, message_id, processed_at)
    SELECT %(seen_consumer)s, %(seen_message_id)s, %(seen_processed_at)s FROM moved
    RETURNING message_id
), entry AS (
    INSERT INTO order_events (order_id, type, at, detail, data)
    SELECT id, %(event_type)s, %(at)s,
           replace(replace(%(detail)s, '{amount}', amount::text), '{currency}', currency),
           %(data)s
    FROM moved WHERE EXISTS (SELECT FROM seen)
    RETURNING order_id
)
SELECT moved.user_id, moved.created_at FROM moved JOIN entry ON entry.order_id = moved.id
"""

_PLACE_ORDER = f"""
WITH hold AS (
    SELECT id, user_id, status, hold_expires_at, total_price, currency
    FROM bookings WHERE id = %(booking_id)s FOR UPDATE
), placed AS (
    INSERT INTO orders
        (user_id, booking_id, status, amount, currency, refunded_amount, created_at, updated_at)
    SELECT user_id, id, '{OrderStatus.PENDING}', total_price, currency, 0, %(at)s, %(at)s
    FROM hold
    WHERE user_id = %(user_id)s AND status = '{BookingStatus.HELD}' AND hold_expires_at > %(at)s
    ON CONFLICT (booking_id) DO NOTHING
    RETURNING id, amount, currency
), entry AS (
    INSERT INTO order_events (order_id, type, at, detail, data)
    SELECT id, %(event_type)s, %(at)s,
           replace(replace(%(detail)s, '{{amount}}', amount::text), '{{currency}}', currency),
           CAST('{{}}' AS json)
    FROM placed
), event AS (
    INSERT INTO outbox (event_type, payload, created_at, message_id)
    SELECT %(box_event_type)s,
           CAST(CAST(%(box_payload)s AS jsonb)
                || jsonb_build_object('order_id', id, 'amount', amount::text, 'currency', currency)
                AS json),
           %(box_created_at)s, %(box_message_id)s
    FROM placed
)
SELECT hold.user_id, hold.status, hold.hold_expires_at, placed.id, placed.amount, placed.currency
FROM hold LEFT JOIN placed ON true
"""


def _seen(consumer: str, message_id: str, now: datetime) -> dict[str, Any]:
    return {"seen_consumer": consumer, "seen_message_id": message_id, "seen_processed_at": now}


def _seen_and_box(consumer: str, message_id: str, outcome: Event) -> dict[str, Any]:
    now = utcnow()
    return _seen(consumer, message_id, now) | {
        "box_event_type": type(outcome).__name__,
        "box_payload": Json(outcome.model_dump(mode="json")),
        "box_created_at": now,
        "box_message_id": str(uuid4()),
    }


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
        self._run(_DECLINED if payment is None else _CHARGED, params)

    def confirm_live_hold(
        self, consumer: str, message_id: str, reserved: InventoryReserved, now: datetime
    ) -> bool:
        params = _seen_and_box(consumer, message_id, reserved)
        params |= {"booking_id": reserved.booking_id, "confirmed_at": now}
        try:
            return self._run(_CONFIRM, params) is not None
        except errors.UniqueViolation:
            # Another delivery recorded the message after this statement's snapshot: nothing was
            # written (the statement is atomic); the general path will see the duplicate.
            return False

    def place_order(self, placement: OrderPlacement) -> PlacedOrder:
        created = placement.created
        params = {
            "booking_id": placement.booking_id, "user_id": placement.user_id,
            "at": placement.at, "event_type": placement.event_type, "detail": placement.detail,
            "box_event_type": type(created).__name__,
            "box_payload": Json(created.model_dump(mode="json")), "box_created_at": utcnow(),
            "box_message_id": str(uuid4()),
        }  # fmt: skip
        row = self._run(_PLACE_ORDER, params)
        if row is None:
            return PlacedOrder(None, None)
        user_id, status, expires, order_id, amount, currency = row
        hold = LockedHold(user_id, status, expires)
        if order_id is None:
            return PlacedOrder(hold, None)
        order = Order(
            id=order_id, user_id=placement.user_id, booking_id=placement.booking_id,
            status=OrderStatus.PENDING, amount=amount, currency=currency,
            refunded_amount=Decimal("0"), created_at=placement.at, updated_at=placement.at,
        )  # fmt: skip
        return PlacedOrder(hold, order)

    def move_order(self, consumer: str, message_id: str, move: OrderMove) -> MovedOrder | None:
        params = _seen(consumer, message_id, utcnow()) | {
            "order_id": move.order_id, "source": str(move.source), "target": str(move.target),
            "event_type": move.event_type, "at": move.at, "detail": move.detail,
            "data": Json(move.data),
        }  # fmt: skip
        try:
            row = self._run(_MOVE_ORDER, params)
        except errors.UniqueViolation:
            return None  # as in confirm_live_hold: a concurrent delivery, nothing written
        if row is None:
            return None
        user_id, created_at = row
        return MovedOrder(move.order_id, user_id, move.target, created_at, move.at)

    def _run(self, sql: str, params: dict[str, Any]) -> Any:
        """The statement as its own transaction (autocommit: no BEGIN/COMMIT round trips) on a
        pooled connection; its first row, or None."""
        pooled = self.engine.raw_connection()
        connection: psycopg.Connection[Any] = pooled.driver_connection  # type: ignore[assignment]
        try:
            # The pool hands out idle connections, where psycopg allows the switch; it is undone
            # before the connection goes back.
            connection.autocommit = True
            try:
                cursor = connection.execute(sql, params)
                return cursor.fetchone() if cursor.description is not None else None
            finally:
                if not connection.broken:
                    connection.autocommit = False
        except psycopg.Error:
            if connection.broken:
                pooled.invalidate()  # as SQLAlchemy does with a lost connection: not pooled again
            raise
        finally:
            pooled.close()
