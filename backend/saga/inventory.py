"""Inventory service: on PaymentSucceeded, turn the hold into a confirmed booking.

A hold that is still held is simply confirmed (its rooms are already reserved). A hold that expired
meanwhile is re-reserved night by night if the rooms are still free; when they were taken (or the
guest cancelled), the step fails and the Orders service compensates with a refund.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from backend.context import Context
from backend.inventory import nights, release_nights, reserve_night
from backend.models import Booking, BookingStatus, RoomType
from backend.saga.confirm_record import confirm_live_hold_at_once
from backend.saga.consumer import after_commit, already_processed, apply_once
from backend.saga.events import (
    InventoryFailed,
    InventoryReserved,
    PaymentSucceeded,
    emit,
    parse,
)


def confirm_booking(ctx: Context, message: dict[str, Any]) -> None:
    consumer = "inventory.confirm_booking"
    message_id, event = parse(message, PaymentSucceeded)
    if ctx.engine.dialect.name == "postgresql":
        # The common case (a live hold) in one round trip instead of a transaction of five.
        if already_processed(ctx, consumer, message_id):
            return
        reserved = InventoryReserved(
            order_id=event.order_id, booking_id=event.booking_id, charge_ref=event.charge_ref
        )
        if confirm_live_hold_at_once(ctx.engine, consumer, message_id, reserved, ctx.clock()):
            after_commit(ctx, processed=(consumer, message_id))
            return

    def reserve(session: Session) -> None:
        failure = confirm(session, event.booking_id, ctx.clock())
        if failure is None:
            outcome = InventoryReserved(
                order_id=event.order_id, booking_id=event.booking_id, charge_ref=event.charge_ref
            )
            emit(session, outcome)
        else:
            failed = InventoryFailed(
                order_id=event.order_id,
                booking_id=event.booking_id,
                reason=failure,
                charge_ref=event.charge_ref,
            )
            emit(session, failed)

    apply_once(ctx, consumer, message_id, reserve)


def confirm(session: Session, booking_id: int, now: datetime) -> str | None:
    """Confirm the booking; returns why it could not be confirmed, or None on success."""
    if _confirm_live_hold(session, booking_id, now):
        return None
    booking = session.exec(
        select(Booking).where(Booking.id == booking_id).with_for_update()
    ).first()
    if booking is None:
        return f"booking {booking_id} does not exist"
    if booking.status == BookingStatus.CONFIRMED:
        return None
    if booking.status == BookingStatus.CANCELLED:
        return "the booking was cancelled before payment completed"
    if booking.status == BookingStatus.EXPIRED and not _reserve_again(session, booking):
        return "the hold expired and the rooms were taken meanwhile"
    booking.status = BookingStatus.CONFIRMED
    booking.updated_at = now
    session.add(booking)
    return None


def _confirm_live_hold(session: Session, booking_id: int, now: datetime) -> bool:
    """The common case in one statement: a hold still held is confirmed (its rooms are reserved).

    The UPDATE takes the row lock itself, so it races with the sweeper exactly as the locked read
    below does; False (nothing changed) sends every other case down the locked read.
    """
    bookings = Booking.__table__  # type: ignore[attr-defined]  # Core: no ORM session sync
    confirmed = session.execute(
        update(bookings)
        .where(bookings.c.id == booking_id)
        .where(bookings.c.status == str(BookingStatus.HELD))
        .values(status=str(BookingStatus.CONFIRMED), updated_at=now)
        .returning(bookings.c.id)
    )
    return confirmed.first() is not None


def _reserve_again(session: Session, booking: Booking) -> bool:
    """Reserve every night of an expired hold again: all of them, or none."""
    room_type = session.get(RoomType, booking.room_type_id)
    if room_type is None:
        return False
    taken: list[date] = []
    for night in nights(booking.check_in, booking.check_out):
        if not reserve_night(session, booking.room_type_id, night, room_type.rooms):
            release_nights(session, booking.room_type_id, taken)
            return False
        taken.append(night)
    return True
