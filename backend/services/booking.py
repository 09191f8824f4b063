"""Flow 1: hold a room so that two guests never get the same last room.

Read top to bottom: validate -> lock every room-night (Redis, fixed order, bounded retries) ->
one transaction that reserves every night only where a room is still free, inserts the hold and its
outbox event -> release the locks. All or nothing; the CHECK constraint is the final fence.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, bindparam, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.context import Context
from backend.db import autocommit, transaction
from backend.errors import Busy, InvalidInput, NotCancellable, NotFound, SoldOut
from backend.inventory import nights
from backend.locks import room_night_key
from backend.logs import bind
from backend.metrics import MetricsBatch
from backend.models import Booking, BookingStatus, Hotel, OutboxMessage, RoomInventory, RoomType
from backend.unit_of_work import UnitOfWork

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
    room = _room(ctx, request)
    if not 1 <= request.guests <= room.capacity:
        raise InvalidInput(f"This room sleeps 1 to {room.capacity} guests.")
    stay = nights(request.check_in, request.check_out)
    keys = [room_night_key(request.room_type_id, night) for night in stay]
    waited_ms: float | None = None
    try:
        # A night already full stays full: losers of a hot room neither queue for its lock nor
        # keep waiting once a re-read finds it full. Only an optimization: the conditional upsert
        # under the lock still decides.
        room.fail_if_full()
        with ctx.locks.hold_all(
            keys, give_up=lambda: _room(ctx, request).fail_if_full()
        ) as waited_ms:
            booking = _reserve_and_hold(ctx, request, room, stay)
    except (SoldOut, Busy) as conflict:
        _count(ctx, conflict.code, waited_ms)
        raise
    _count(ctx, "held", waited_ms)
    with bind(booking_id=booking.id, user_id=request.user_id):
        log.info("held room type %s for %d nights", request.room_type_id, len(stay))
    return booking


@dataclass(frozen=True)
class _Room:
    """What a hold needs of its room type and hotel, and the rooms taken on the fullest night."""

    name: str
    capacity: int
    rooms: int
    price: Decimal
    hotel_id: int
    currency: str
    busiest_night_reserved: int

    def fail_if_full(self) -> None:
        if self.busiest_night_reserved >= self.rooms:
            raise SoldOut(f"No {self.name} is left for these dates.")


def _room_query() -> Select[Any]:
    busiest = (
        select(func.coalesce(func.max(RoomInventory.reserved), 0))
        .where(col(RoomInventory.room_type_id) == col(RoomType.id))
        .where(col(RoomInventory.night) >= bindparam("check_in"))
        .where(col(RoomInventory.night) < bindparam("check_out"))
        .scalar_subquery()
    )
    columns: tuple[Any, ...] = (RoomType.name, RoomType.capacity, RoomType.rooms, RoomType.price)
    return (
        select(*columns, Hotel.id, Hotel.currency, busiest)  # type: ignore[call-overload]
        .join(Hotel, col(Hotel.id) == col(RoomType.hotel_id))
        .where(RoomType.id == bindparam("room_type_id"))
    )


# Built once with bind parameters: every hold reuses the statements and their compiled SQL.
_ROOM = _room_query()


def _room(ctx: Context, request: HoldRequest) -> _Room:
    """One read outside any transaction: a stale answer only costs a wasted attempt."""
    params = {
        "room_type_id": request.room_type_id,
        "check_in": request.check_in,
        "check_out": request.check_out,
    }
    with autocommit(ctx.engine) as connection:
        row = connection.execute(_ROOM, params).first()
    if row is None:
        raise NotFound(f"Room type {request.room_type_id} does not exist.")
    return _Room(*row)


def _reserve_and_hold(ctx: Context, request: HoldRequest, room: _Room, stay: list[date]) -> Booking:
    """Every night, the booking and its outbox event: all or nothing (one statement on Postgres)."""
    now = ctx.clock()
    booking = Booking(
        user_id=request.user_id,
        hotel_id=room.hotel_id,
        room_type_id=request.room_type_id,
        check_in=request.check_in,
        check_out=request.check_out,
        guests=request.guests,
        status=BookingStatus.HELD,
        hold_expires_at=now + timedelta(seconds=ctx.settings.hold_ttl_seconds),
        total_price=room.price * len(stay),
        currency=room.currency,
        created_at=now,
        updated_at=now,
    )
    values = booking.model_dump(exclude={"id"})
    try:
        placed = ctx.holds.place(values, stay, room.rooms, _event("BookingHeld", booking))
    except IntegrityError:
        _room(ctx, request)  # NotFound when an admin removed the room type since it was read
        raise
    if placed.booking_id is None:
        when = (
            f"the night of {placed.full_night.isoformat()}" if placed.full_night else "these dates"
        )
        raise SoldOut(f"No {room.name} is left for {when}.")
    booking.id = placed.booking_id
    return booking


def _count(ctx: Context, outcome: str, waited_ms: float | None) -> None:
    """The hold's metrics in one Redis round trip."""
    batch = MetricsBatch()
    batch.inc("trinity_holds", outcome=outcome)
    if outcome != "held":
        batch.inc("trinity_conflicts", reason=outcome)
    if waited_ms is not None:
        batch.observe("trinity_lock_wait_seconds", waited_ms / 1000)
    ctx.metrics.write(batch)


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
    with ctx.unit_of_work() as uow:
        session = uow.session
        booking = _lock_booking(session, booking_id)
        if booking is None or booking.user_id != user_id:
            raise NotFound(f"Booking {booking_id} was not found.")
        if booking.status not in (BookingStatus.HELD, BookingStatus.CONFIRMED):
            raise NotCancellable(f"A booking that is {booking.status} cannot be cancelled.")
        was_confirmed = booking.status == BookingStatus.CONFIRMED
        _end(uow, booking, BookingStatus.CANCELLED, ctx.clock())
        event = "ConfirmedBookingCancelled" if was_confirmed else "HoldCancelled"
        message = _event(event, booking)
        if was_confirmed:
            # The saga's Orders service refunds per the policy in force when the guest cancelled.
            hotel = session.get(Hotel, booking.hotel_id)
            message.payload["cancellation_policy"] = hotel.cancellation_policy if hotel else None
        session.add(message)
        uow.commit()
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
        with ctx.unit_of_work() as uow:
            booking = _lock_booking(uow.session, booking_id or 0)
            # Re-checked under the row lock: a checkout may have confirmed it meanwhile.
            if booking is None or booking.status != BookingStatus.HELD:
                continue
            _end(uow, booking, BookingStatus.EXPIRED, now)
            uow.session.add(_event("HoldExpired", booking))
            uow.commit()
            expired += 1
    return expired


def _lock_booking(session: Session, booking_id: int) -> Booking | None:
    return session.exec(select(Booking).where(Booking.id == booking_id).with_for_update()).first()


def _end(uow: UnitOfWork, booking: Booking, status: BookingStatus, now: datetime) -> None:
    uow.nights.release(booking.room_type_id, nights(booking.check_in, booking.check_out))
    booking.status = status
    booking.updated_at = now
    uow.session.add(booking)


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
