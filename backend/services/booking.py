"""Flow 1: hold a room so that two guests never get the same last room.

Read top to bottom: validate -> lock every room-night (Redis, fixed order, bounded retries) ->
one transaction that reserves every night only where a room is still free, inserts the hold and its
outbox event -> release the locks. All or nothing; the CHECK constraint is the final fence.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, col, select

from backend.bootstrap import Context
from backend.db import transaction
from backend.errors import Busy, InvalidInput, NotCancellable, NotFound, SoldOut
from backend.inventory import busiest_night_reserved, nights, release_nights, reserve_night
from backend.locks import room_night_key
from backend.logs import bind
from backend.models import Booking, BookingStatus, Hotel, OutboxMessage, RoomType

MAX_NIGHTS = 30
log = logging.getLogger("trinity.booking")


@dataclass(frozen=True)
class HoldRequest:
    user_id: int
    room_type_id: int
    check_in: date
    check_out: date
    guests: int


def validate_stay(check_in: date, check_out: date, today: date) -> None:
    if check_out <= check_in:
        raise InvalidInput("check_out must be after check_in.")
    if check_in < today:
        raise InvalidInput("check_in cannot be in the past.")
    if (check_out - check_in).days > MAX_NIGHTS:
        raise InvalidInput(f"A stay can last at most {MAX_NIGHTS} nights.")


def hold_room(ctx: Context, request: HoldRequest) -> Booking:
    validate_stay(request.check_in, request.check_out, ctx.clock().date())
    room_type, hotel, reserved = _room_and_busiest_night(ctx, request)
    if not 1 <= request.guests <= room_type.capacity:
        raise InvalidInput(f"This room sleeps 1 to {room_type.capacity} guests.")
    stay = nights(request.check_in, request.check_out)
    keys = [room_night_key(request.room_type_id, night) for night in stay]
    try:
        if reserved >= room_type.rooms:
            # A night already full stays full: losers of a hot room stop queueing for its lock.
            # Only an optimization: the conditional upsert under the lock still decides.
            raise SoldOut(f"No {room_type.name} is left for these dates.")
        booking = _reserve_and_hold(ctx, request, room_type, hotel, stay, keys)
    except (SoldOut, Busy) as conflict:
        ctx.metrics.inc("trinity_holds", outcome=conflict.code)
        ctx.metrics.inc("trinity_conflicts", reason=conflict.code)
        raise
    ctx.metrics.inc("trinity_holds", outcome="held")
    with bind(booking_id=booking.id, user_id=request.user_id):
        log.info("held room type %s for %d nights", request.room_type_id, len(stay))
    return booking


def _reserve_and_hold(
    ctx: Context,
    request: HoldRequest,
    room_type: RoomType,
    hotel: Hotel,
    stay: list[date],
    keys: list[str],
) -> Booking:
    with ctx.locks.hold_all(keys) as waited_ms, transaction(ctx.engine) as session:
        ctx.metrics.observe("trinity_lock_wait_seconds", waited_ms / 1000)
        for night in stay:
            if not reserve_night(session, room_type.id or 0, night, room_type.rooms):
                raise SoldOut(f"No {room_type.name} is left for the night of {night.isoformat()}.")
        now = ctx.clock()
        booking = Booking(
            user_id=request.user_id,
            hotel_id=hotel.id or 0,
            room_type_id=request.room_type_id,
            check_in=request.check_in,
            check_out=request.check_out,
            guests=request.guests,
            status=BookingStatus.HELD,
            hold_expires_at=now + timedelta(seconds=ctx.settings.hold_ttl_seconds),
            total_price=room_type.price * len(stay),
            currency=hotel.currency,
            created_at=now,
            updated_at=now,
        )
        session.add(booking)
        session.flush()
        session.add(_event("BookingHeld", booking))
    return booking


def _room_and_busiest_night(ctx: Context, request: HoldRequest) -> tuple[RoomType, Hotel, int]:
    """The room type, its hotel, and the rooms taken on the stay's fullest night, in one read."""
    with transaction(ctx.engine) as session:
        row = session.exec(
            select(RoomType, Hotel)
            .join(Hotel, col(Hotel.id) == col(RoomType.hotel_id))
            .where(RoomType.id == request.room_type_id)
        ).first()
        if row is None:
            raise NotFound(f"Room type {request.room_type_id} does not exist.")
        reserved = busiest_night_reserved(
            session, [request.room_type_id], request.check_in, request.check_out
        ).get(request.room_type_id, 0)
    return row[0], row[1], reserved


def list_bookings(ctx: Context, user_id: int) -> list[Booking]:
    with transaction(ctx.engine) as session:
        return list(
            session.exec(
                select(Booking)
                .where(Booking.user_id == user_id)
                .order_by(col(Booking.created_at).desc(), col(Booking.id).desc())
            ).all()
        )


def get_booking(ctx: Context, user_id: int, booking_id: int) -> Booking:
    with transaction(ctx.engine) as session:
        booking = session.get(Booking, booking_id)
    if booking is None or booking.user_id != user_id:
        # Another guest's booking is reported exactly like a missing one: no existence leak.
        raise NotFound(f"Booking {booking_id} was not found.")
    return booking


def cancel_booking(ctx: Context, user_id: int, booking_id: int) -> Booking:
    """A hold is released at once; a confirmed stay is cancelled and refunded per the policy."""
    with transaction(ctx.engine) as session:
        booking = _lock_booking(session, booking_id)
        if booking is None or booking.user_id != user_id:
            raise NotFound(f"Booking {booking_id} was not found.")
        if booking.status not in (BookingStatus.HELD, BookingStatus.CONFIRMED):
            raise NotCancellable(f"A booking that is {booking.status} cannot be cancelled.")
        was_confirmed = booking.status == BookingStatus.CONFIRMED
        _end(session, booking, BookingStatus.CANCELLED, ctx.clock())
        event = "ConfirmedBookingCancelled" if was_confirmed else "HoldCancelled"
        message = _event(event, booking)
        if was_confirmed:
            # The saga's Orders service refunds per the policy in force when the guest cancelled.
            hotel = session.get(Hotel, booking.hotel_id)
            message.payload["cancellation_policy"] = hotel.cancellation_policy if hotel else None
        session.add(message)
    return booking


def expire_holds(ctx: Context, batch: int = 500) -> int:
    """Expire holds past their deadline and free their rooms; returns how many expired."""
    now = ctx.clock()
    with transaction(ctx.engine) as session:
        due = session.exec(
            select(Booking.id)
            .where(Booking.status == BookingStatus.HELD)
            .where(col(Booking.hold_expires_at) < now)
            .limit(batch)
        ).all()
    expired = 0
    for booking_id in due:
        with transaction(ctx.engine) as session:
            booking = _lock_booking(session, booking_id or 0)
            # Re-checked under the row lock: a checkout may have confirmed it meanwhile.
            if booking is None or booking.status != BookingStatus.HELD:
                continue
            _end(session, booking, BookingStatus.EXPIRED, now)
            session.add(_event("HoldExpired", booking))
            expired += 1
    return expired


def _lock_booking(session: Session, booking_id: int) -> Booking | None:
    return session.exec(select(Booking).where(Booking.id == booking_id).with_for_update()).first()


def _end(session: Session, booking: Booking, status: BookingStatus, now: object) -> None:
    release_nights(session, booking.room_type_id, nights(booking.check_in, booking.check_out))
    booking.status = status
    booking.updated_at = now  # type: ignore[assignment]
    session.add(booking)


def _event(event_type: str, booking: Booking) -> OutboxMessage:
    return OutboxMessage(
        event_type=event_type,
        payload={
            "version": 1,
            "booking_id": booking.id,
            "user_id": booking.user_id,
            "room_type_id": booking.room_type_id,
            "status": booking.status,
            "total_price": str(booking.total_price),
            "currency": booking.currency,
        },
    )
