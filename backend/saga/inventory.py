"""Inventory service: on PaymentSucceeded, turn the hold into a confirmed booking.

A hold that is still held is simply confirmed (its rooms are already reserved): the common case,
one shortcut transaction (one statement on PostgreSQL). Every other case takes the general path
under the booking's row lock: a hold that expired meanwhile is reserved again if every night is
still free; when the rooms were taken (or the guest cancelled), the step fails and the Orders
service compensates with a refund.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import select

from backend.context import Context
from backend.inventory import nights
from backend.models import Booking, BookingStatus, RoomType
from backend.saga.consumer import apply_once, consumes, remember_processed
from backend.saga.events import InventoryFailed, InventoryReserved, PaymentSucceeded, parse
from backend.unit_of_work import UnitOfWork


@consumes("inventory")
def confirm_booking(ctx: Context, consumer: str, message: dict[str, Any]) -> None:
    message_id, event = parse(message, PaymentSucceeded)
    reserved = InventoryReserved(
        order_id=event.order_id, booking_id=event.booking_id, charge_ref=event.charge_ref
    )
    # No Redis pre-check before the shortcut: it finds a duplicate itself (and then writes
    # nothing), so the pre-check would only cost a round trip per message; `apply_once` below
    # has it, before its transaction.
    if ctx.shortcuts.confirm_live_hold(consumer, message_id, reserved, ctx.clock()):
        remember_processed(ctx, consumer, message_id)
        return

    def reserve(uow: UnitOfWork) -> None:
        failure = confirm(uow, event.booking_id, ctx.clock())
        if failure is None:
            uow.outbox.emit(reserved)
            return
        failed = InventoryFailed(
            order_id=event.order_id,
            booking_id=event.booking_id,
            reason=failure,
            charge_ref=event.charge_ref,
        )
        uow.outbox.emit(failed)

    apply_once(ctx, consumer, message_id, reserve)


def confirm(uow: UnitOfWork, booking_id: int, now: datetime) -> str | None:
    """Confirm the booking under its row lock; returns why it could not be, or None on success."""
    booking = uow.session.exec(
        select(Booking).where(Booking.id == booking_id).with_for_update()
    ).first()
    if booking is None:
        return f"booking {booking_id} does not exist"
    if booking.status == BookingStatus.CONFIRMED:
        return None
    if booking.status == BookingStatus.CANCELLED:
        return "the booking was cancelled before payment completed"
    if booking.status == BookingStatus.EXPIRED and not _reserve_again(uow, booking):
        return "the hold expired and the rooms were taken meanwhile"
    booking.status = BookingStatus.CONFIRMED
    booking.updated_at = now
    uow.session.add(booking)
    return None


def _reserve_again(uow: UnitOfWork, booking: Booking) -> bool:
    """Reserve every night of an expired hold again in one statement: all of them, or none.

    A night that is full takes nothing; the nights that were taken are given back in the same
    transaction, so a partial stay never stays reserved."""
    room_type = uow.session.get(RoomType, booking.room_type_id)
    if room_type is None:
        return False
    stay = nights(booking.check_in, booking.check_out)
    taken = uow.nights.reserve(booking.room_type_id, stay, room_type.rooms)
    if len(taken) == len(stay):
        return True
    uow.nights.release(booking.room_type_id, taken)
    return False
