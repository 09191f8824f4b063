"""The HoldWriter port (backend/ports.py) against both adapters: one statement on PostgreSQL
(backend/adapters/postgres/holds.py), one transaction on SQLite. The service's own rules (locks,
validation, messages) are tested through `hold_room` in test_booking_race.py and the API tests."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from factories import make_hotel
from sagas import fast_user
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from backend.context import Context
from backend.db import transaction
from backend.models import Booking, BookingStatus, OutboxMessage, RoomInventory
from backend.ports import PlacedHold


def _stay(nights: int, days_ahead: int = 30) -> list[date]:
    first = date.today() + timedelta(days=days_ahead)
    return [first + timedelta(days=n) for n in range(nights)]


def _booking(user_id: int, room_type_id: int, stay: list[date]) -> dict[str, Any]:
    now = datetime.now(UTC)
    return Booking(
        user_id=user_id, hotel_id=1, room_type_id=room_type_id, check_in=stay[0],
        check_out=stay[-1] + timedelta(days=1), guests=2, status=BookingStatus.HELD,
        hold_expires_at=now + timedelta(minutes=10), total_price=Decimal("120.00") * len(stay),
        currency="EUR", created_at=now, updated_at=now,
    ).model_dump(exclude={"id"})  # fmt: skip


def _event(room_type_id: int) -> dict[str, Any]:
    payload = {"version": 1, "booking_id": None, "room_type_id": room_type_id, "status": "held"}
    row = {"event_type": "BookingHeld", "payload": payload, "created_at": datetime.now(UTC)}
    return row | {"message_id": str(uuid.uuid4())}


def _room(ctx: Context, rooms: int) -> tuple[int, int]:
    _, room_type_id = make_hotel(ctx, rooms=rooms)
    _, user_id = fast_user(ctx, f"holder-{room_type_id}@example.com")
    return user_id, room_type_id


def _state(ctx: Context, room_type_id: int) -> tuple[dict[date, int], list[Booking], list[Any]]:
    with transaction(ctx.engine) as session:
        nights = session.exec(
            select(RoomInventory).where(col(RoomInventory.room_type_id) == room_type_id)
        ).all()
        bookings = session.exec(
            select(Booking).where(col(Booking.room_type_id) == room_type_id)
        ).all()
        events = [
            row.payload
            for row in session.exec(select(OutboxMessage)).all()
            if row.payload.get("room_type_id") == room_type_id
        ]
    return {n.night: n.reserved for n in nights}, list(bookings), events


def test_a_hold_takes_every_night_and_writes_its_booking_and_event(ctx: Context) -> None:
    user_id, room_type_id = _room(ctx, rooms=2)
    stay = _stay(3)

    placed = ctx.holds.place(_booking(user_id, room_type_id, stay), stay, 2, _event(room_type_id))

    assert placed.booking_id is not None and placed.full_night is None
    nights, bookings, events = _state(ctx, room_type_id)
    assert nights == dict.fromkeys(stay, 1)
    assert [(b.id, b.user_id, b.status, b.total_price) for b in bookings] == [
        (placed.booking_id, user_id, BookingStatus.HELD, Decimal("360.00"))
    ]
    assert events == [
        {
            "version": 1,
            "booking_id": placed.booking_id,
            "room_type_id": room_type_id,
            "status": "held",
        }
    ]


def test_a_full_night_writes_nothing_and_names_the_first_full_night(ctx: Context) -> None:
    user_id, room_type_id = _room(ctx, rooms=1)
    stay = _stay(4)
    first = ctx.holds.place(
        _booking(user_id, room_type_id, stay[2:]), stay[2:], 1, _event(room_type_id)
    )
    assert first.booking_id is not None

    second = ctx.holds.place(_booking(user_id, room_type_id, stay), stay, 1, _event(room_type_id))

    assert second == PlacedHold(None, stay[2])
    nights, bookings, events = _state(ctx, room_type_id)
    assert nights == {stay[2]: 1, stay[3]: 1}  # the free nights were not taken either
    assert [b.id for b in bookings] == [first.booking_id] and len(events) == 1


def test_racing_holds_past_the_locks_get_the_last_room_once(ctx: Context) -> None:
    """No room-night lock here: the database alone (a snapshot check, then the CHECK fence or
    SQLite's write lock) lets exactly one of the racers in."""
    user_id, room_type_id = _room(ctx, rooms=1)
    stay = _stay(2)

    def place(_: int) -> PlacedHold:
        return ctx.holds.place(_booking(user_id, room_type_id, stay), stay, 1, _event(room_type_id))

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(place, range(12)))

    winners = [o.booking_id for o in outcomes if o.booking_id is not None]
    assert len(winners) == 1
    nights, bookings, events = _state(ctx, room_type_id)
    assert nights == dict.fromkeys(stay, 1)
    assert [b.id for b in bookings] == winners and len(events) == 1


def test_a_missing_room_type_is_an_integrity_error_and_writes_nothing(ctx: Context) -> None:
    user_id, _ = _room(ctx, rooms=1)
    stay = _stay(2)
    with pytest.raises(IntegrityError):
        ctx.holds.place(_booking(user_id, 987_654, stay), stay, 1, _event(987_654))
    nights, bookings, events = _state(ctx, 987_654)
    assert (nights, bookings, events) == ({}, [], [])


def test_a_night_filled_by_a_transaction_in_flight_is_caught_by_the_fence(ctx: Context) -> None:
    """The hold starts while another transaction has taken the last room but not committed: on
    PostgreSQL its snapshot sees a free night, so only the CHECK (reserved <= total) stops it when
    the other commits; on SQLite it waits for the write lock and then sees the night full."""
    user_id, room_type_id = _room(ctx, rooms=1)
    stay = _stay(2)
    with ThreadPoolExecutor(max_workers=1) as pool, ctx.engine.connect() as other:
        other.execute(
            insert(RoomInventory).values(
                room_type_id=room_type_id, night=stay[1], total=1, reserved=1
            )
        )
        racing = pool.submit(
            ctx.holds.place, _booking(user_id, room_type_id, stay), stay, 1, _event(room_type_id)
        )
        time.sleep(0.5)  # the hold is now waiting on the row (PostgreSQL) or the lock (SQLite)
        assert not racing.done()
        other.commit()
        placed = racing.result(timeout=30)

    assert placed.booking_id is None
    nights, bookings, events = _state(ctx, room_type_id)
    assert (nights, bookings, events) == ({stay[1]: 1}, [], [])
