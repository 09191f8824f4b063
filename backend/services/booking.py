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
from uuid import uuid4

from sqlalchemy import Select, bindparam, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.context import Context
from backend.errors import Busy, InvalidInput, NotExtendable, NotFound, SoldOut
from backend.inventory import nights
from backend.locks import room_night_key
from backend.logs import bind
from backend.metrics import MetricsBatch
from backend.models import Booking, BookingStatus, Hotel, OutboxMessage, RoomInventory, RoomType
from backend.services import refund_quote
from backend.stay_time import aware, local_today
from backend.unit_of_work import UnitOfWork

MAX_NIGHTS = 30
HOLD_EXTENSION = timedelta(minutes=5)  # once per hold (extend_hold)
log = logging.getLogger("trinity.booking")


@dataclass(frozen=True)
class HoldRequest:
    user_id: int
    room_type_id: int
    check_in: date
    check_out: date
    guests: int


def validate_stay(check_in: date, check_out: date, today: date | None) -> None:
    """The stay's shape; with `today` (the hotel's date: backend/stay_time.py), not in the past."""
    if check_out <= check_in:
        raise InvalidInput("check_out must be after check_in.")
    if today is not None and check_in < today:
        raise InvalidInput("check_in cannot be in the past.")
    if (check_out - check_in).days > MAX_NIGHTS:
        raise InvalidInput(f"A stay can last at most {MAX_NIGHTS} nights.")


@dataclass(frozen=True)
class HeldBooking:
    """A hold as its guest is answered: the booking row's values, not an ORM object."""

    id: int
    user_id: int
    hotel_id: int
    room_type_id: int
    check_in: date
    check_out: date
    guests: int
    status: BookingStatus
    hold_expires_at: datetime
    hold_extended: bool
    total_price: Decimal
    currency: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, booking: Booking) -> HeldBooking:
        return cls(**booking.model_dump(exclude={"id"}), id=booking.id or 0)


@dataclass(frozen=True)
class Hold:
    booking: HeldBooking
    resumed: bool  # the guest's live hold of the same stay, returned instead of a second one


class _Resume(Exception):
    """The guest holds this stay already: stop and hand back that hold."""

    def __init__(self, booking_id: int) -> None:
        self.booking_id = booking_id


def hold_room(ctx: Context, request: HoldRequest) -> HeldBooking:
    return hold_or_resume(ctx, request).booking


def hold_or_resume(ctx: Context, request: HoldRequest) -> Hold:
    """A new hold, or the guest's live hold of the same room type and dates (no second room).

    Resuming is race-safe: holds of one stay take the same room-night locks, a waiter re-reads
    and finds the winner's hold, and the unique index on live holds fences a lock that expired.
    """
    validate_stay(request.check_in, request.check_out, None)
    room = _room(ctx, request)
    validate_stay(request.check_in, request.check_out, local_today(room.timezone, ctx.clock()))
    if not 1 <= request.guests <= room.capacity:
        raise InvalidInput(f"This room sleeps 1 to {room.capacity} guests.")
    try:
        return _hold(ctx, request, room)
    except _Resume as found:
        _count(ctx, "resumed", None)
        return Hold(HeldBooking.of(_read_booking(ctx, found.booking_id)), resumed=True)


def _hold(ctx: Context, request: HoldRequest, room: _Room) -> Hold:
    stay = nights(request.check_in, request.check_out)
    keys = [room_night_key(request.room_type_id, night) for night in stay]
    waited_ms: float | None = None
    room.resume_if_held()
    past_first_read = False
    try:
        # A night already full stays full: losers of a hot room neither queue for its lock nor
        # keep waiting once a re-read finds it full. Only an optimization: the conditional upsert
        # under the lock still decides.
        room.fail_if_full()
        past_first_read = True
        with ctx.locks.hold_all(keys, give_up=lambda: _room(ctx, request).stop_waiting()) as (
            waited_ms
        ):
            booking = _reserve_and_hold(ctx, request, room, stay)
    except (SoldOut, Busy) as conflict:
        if past_first_read:  # the guest's own hold, made meanwhile, may have taken the last room
            _room(ctx, request).resume_if_held()
        _count(ctx, conflict.code, waited_ms)
        raise
    _count(ctx, "held", waited_ms)
    with bind(booking_id=booking.id, user_id=request.user_id):
        log.info("held room type %s for %d nights", request.room_type_id, len(stay))
    return Hold(booking, resumed=False)


@dataclass(frozen=True)
class _Room:
    """What a hold needs of its room type and hotel, and the rooms taken on the fullest night."""

    name: str
    capacity: int
    rooms: int
    price: Decimal
    hotel_id: int
    currency: str
    timezone: str
    busiest_night_reserved: int
    own_live_hold: int | None  # the guest's live hold of exactly this stay

    def fail_if_full(self) -> None:
        if self.busiest_night_reserved >= self.rooms:
            raise SoldOut(f"No {self.name} is left for these dates.")

    def resume_if_held(self) -> None:
        if self.own_live_hold is not None:
            raise _Resume(self.own_live_hold)

    def stop_waiting(self) -> None:
        self.resume_if_held()
        self.fail_if_full()


def _room_query() -> Select[Any]:
    busiest = (
        select(func.coalesce(func.max(RoomInventory.reserved), 0))
        .where(col(RoomInventory.room_type_id) == col(RoomType.id))
        .where(col(RoomInventory.night) >= bindparam("check_in"))
        .where(col(RoomInventory.night) < bindparam("check_out"))
        .scalar_subquery()
    )
    own = (
        select(col(Booking.id))
        .where(col(Booking.user_id) == bindparam("user_id"))
        .where(col(Booking.room_type_id) == col(RoomType.id))
        .where(col(Booking.check_in) == bindparam("check_in"))
        .where(col(Booking.check_out) == bindparam("check_out"))
        .where(col(Booking.status) == str(BookingStatus.HELD))
        .where(col(Booking.hold_expires_at) > bindparam("now"))
        .limit(1)
        .scalar_subquery()
    )
    columns: tuple[Any, ...] = (RoomType.name, RoomType.capacity, RoomType.rooms, RoomType.price)
    hotel: tuple[Any, ...] = (Hotel.id, Hotel.currency, Hotel.timezone)
    return (
        select(*columns, *hotel, busiest, own)  # type: ignore[call-overload]
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
        "user_id": request.user_id,
        "now": ctx.clock(),
    }
    row = ctx.sql.first(_ROOM, params)
    if row is None:
        raise NotFound(f"Room type {request.room_type_id} does not exist.")
    return _Room(*row)


def _reserve_and_hold(
    ctx: Context, request: HoldRequest, room: _Room, stay: list[date]
) -> HeldBooking:
    """Every night, the booking and its outbox event: all or nothing (one statement on Postgres).

    Plain values, no model objects: building a `Booking` and an `OutboxMessage` cost more CPU
    than the statement that writes them (docs/performance.md, "Holds on plain statements")."""
    now = ctx.clock()
    values: dict[str, Any] = {
        "user_id": request.user_id,
        "hotel_id": room.hotel_id,
        "room_type_id": request.room_type_id,
        "check_in": request.check_in,
        "check_out": request.check_out,
        "guests": request.guests,
        "status": BookingStatus.HELD,
        "hold_expires_at": now + timedelta(seconds=ctx.settings.hold_ttl_seconds),
        "total_price": room.price * len(stay),
        "currency": room.currency,
        "created_at": now,
        "updated_at": now,
    }
    event = {
        "event_type": "BookingHeld",
        "payload": _payload(values, None),
        "created_at": now,
        "message_id": str(uuid4()),
    }
    try:
        placed = ctx.holds.place(values, stay, room.rooms, event)
    except IntegrityError:
        # NotFound when an admin removed the room type since it was read; the guest's own hold
        # when the unique index on live holds fenced a second one (a room-night lock expired).
        _room(ctx, request).resume_if_held()
        if _expire_stale_hold(ctx, request):  # a hold past its deadline the sweeper has not seen
            return _reserve_and_hold(ctx, request, room, stay)
        raise
    if placed.booking_id is None:
        when = (
            f"the night of {placed.full_night.isoformat()}" if placed.full_night else "these dates"
        )
        raise SoldOut(f"No {room.name} is left for {when}.")
    return HeldBooking(id=placed.booking_id, hold_extended=False, **values)


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
    with ctx.unit_of_work() as uow:
        session = uow.session
        return list(
            session.exec(
                select(Booking)
                .where(Booking.user_id == user_id)
                .order_by(col(Booking.created_at).desc(), col(Booking.id).desc())
            ).all()
        )


def get_booking(ctx: Context, user_id: int, booking_id: int) -> Booking:
    booking = _read_booking(ctx, booking_id)
    if booking is None or booking.user_id != user_id:
        # Another guest's booking is reported exactly like a missing one: no existence leak.
        raise NotFound(f"Booking {booking_id} was not found.")
    return booking


def live_holds(
    ctx: Context, user_id: int, hotel_id: int, check_in: date, check_out: date
) -> list[Booking]:
    """The guest's live holds at a hotel for exactly these dates (the hotel page's "resume")."""
    with ctx.unit_of_work() as uow:
        session = uow.session
        return list(
            session.exec(
                select(Booking)
                .where(Booking.user_id == user_id)
                .where(Booking.hotel_id == hotel_id)
                .where(Booking.check_in == check_in)
                .where(Booking.check_out == check_out)
                .where(Booking.status == BookingStatus.HELD)
                .where(col(Booking.hold_expires_at) > ctx.clock())
            ).all()
        )


def _read_booking(ctx: Context, booking_id: int) -> Booking:
    with ctx.unit_of_work() as uow:
        session = uow.session
        booking = session.get(Booking, booking_id)
    if booking is None:
        raise NotFound(f"Booking {booking_id} was not found.")
    return booking


def extend_hold(ctx: Context, user_id: int, booking_id: int) -> Booking:
    """Push a live hold's deadline back by HOLD_EXTENSION, once per hold.

    Under the booking's row lock (PostgreSQL) or the write lock (SQLite), so of two extends at
    once one wins and the other sees `hold_extended`. Rooms and their locks are untouched: the
    nights stay reserved; the sweeper re-checks the deadline under the same row lock.
    """
    now = ctx.clock()
    with ctx.unit_of_work() as uow:
        booking = _lock_booking(uow.session, booking_id)
        if booking is None or booking.user_id != user_id:
            raise NotFound(f"Booking {booking_id} was not found.")
        if booking.status != BookingStatus.HELD or aware(booking.hold_expires_at) <= now:
            state = "expired" if booking.status == BookingStatus.HELD else booking.status
            raise NotExtendable(
                f"Booking {booking_id} is {state}: only a live hold can be extended."
            )
        if booking.hold_extended:
            raise NotExtendable(f"The hold on booking {booking_id} was extended once already.")
        booking.hold_expires_at = aware(booking.hold_expires_at) + HOLD_EXTENSION
        booking.hold_extended = True
        booking.updated_at = now
        uow.session.add(booking)
        uow.commit()
    return booking


def cancel_booking(ctx: Context, user_id: int, booking_id: int) -> Booking:
    """A hold is released at once; a confirmed stay is cancelled and refunded per the policy.

    The refund share is decided here, at the moment of cancelling, by the same rule as the quote
    (backend/services/refund_quote.py): the saga refunds exactly what the guest was quoted.
    """
    now = ctx.clock()
    with ctx.unit_of_work() as uow:
        session = uow.session
        booking = _lock_booking(session, booking_id)
        if booking is None or booking.user_id != user_id:
            raise NotFound(f"Booking {booking_id} was not found.")
        quote = refund_quote.quote(session, booking, now)  # NotCancellable unless held/confirmed
        was_confirmed = booking.status == BookingStatus.CONFIRMED
        _end(uow, booking, BookingStatus.CANCELLED, now)
        event = "ConfirmedBookingCancelled" if was_confirmed else "HoldCancelled"
        message = _event(event, booking)
        if was_confirmed:
            message.payload["cancellation_policy"] = quote.policy
            message.payload["refund_share"] = str(quote.refund_share)
            message.payload["cancelled_at"] = now.isoformat()
        session.add(message)
        uow.commit()
    return booking


def expire_holds(ctx: Context, batch: int = 500) -> int:
    """Expire holds past their deadline and free their rooms; returns how many expired."""
    now = ctx.clock()
    with ctx.unit_of_work() as uow:
        session = uow.session
        due = session.exec(
            select(Booking.id)
            .where(Booking.status == BookingStatus.HELD)
            .where(col(Booking.hold_expires_at) < now)
            .limit(batch)
        ).all()
    return sum(_expire(ctx, booking_id or 0, now) for booking_id in due)


def _expire(ctx: Context, booking_id: int, now: datetime) -> bool:
    with ctx.unit_of_work() as uow:
        booking = _lock_booking(uow.session, booking_id)
        # Re-checked under the row lock: a checkout may have confirmed it meanwhile, or the
        # guest extended it.
        if (
            booking is None
            or booking.status != BookingStatus.HELD
            or aware(booking.hold_expires_at) > now
        ):
            return False
        _end(uow, booking, BookingStatus.EXPIRED, now)
        uow.session.add(_event("HoldExpired", booking))
        uow.commit()
    return True


def _expire_stale_hold(ctx: Context, request: HoldRequest) -> bool:
    """Expire the guest's hold of this stay whose deadline passed unswept; True if there was one."""
    now = ctx.clock()
    with ctx.unit_of_work() as uow:
        session = uow.session
        stale = session.exec(
            select(Booking.id)
            .where(Booking.user_id == request.user_id)
            .where(Booking.room_type_id == request.room_type_id)
            .where(Booking.check_in == request.check_in)
            .where(Booking.check_out == request.check_out)
            .where(Booking.status == BookingStatus.HELD)
            .where(col(Booking.hold_expires_at) <= now)
        ).first()
    return stale is not None and _expire(ctx, stale, now)


def _lock_booking(session: Session, booking_id: int) -> Booking | None:
    return session.exec(select(Booking).where(Booking.id == booking_id).with_for_update()).first()


def _end(uow: UnitOfWork, booking: Booking, status: BookingStatus, now: datetime) -> None:
    uow.nights.release(booking.room_type_id, nights(booking.check_in, booking.check_out))
    booking.status = status
    booking.updated_at = now
    uow.session.add(booking)


def _event(event_type: str, booking: Booking) -> OutboxMessage:
    return OutboxMessage(event_type=event_type, payload=_payload(booking.model_dump(), booking.id))


def _payload(booking: dict[str, Any], booking_id: int | None) -> dict[str, Any]:
    """A booking event's payload (the hold's gets its id from the statement that inserts it)."""
    return {
        "version": 1,
        "booking_id": booking_id,
        "user_id": booking["user_id"],
        "room_type_id": booking["room_type_id"],
        "status": str(booking["status"]),
        "total_price": str(booking["total_price"]),
        "currency": booking["currency"],
    }
