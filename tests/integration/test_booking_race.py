"""Flow 1 under contention, in both modes: the last room is held exactly once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from factories import make_hotel, make_user, stay
from sqlmodel import select

from backend.context import Context
from backend.db import transaction
from backend.errors import Busy, SoldOut, TrinityError
from backend.models import Booking, RoomInventory
from backend.services.booking import HoldRequest, hold_or_resume, hold_room


def _try_hold(ctx: Context, request: HoldRequest) -> str:
    try:
        hold = hold_or_resume(ctx, request)
    except (SoldOut, Busy) as error:
        return error.code
    return "resumed" if hold.resumed else "held"


def _inventory(ctx: Context, room_type_id: int) -> dict[str, tuple[int, int]]:
    with transaction(ctx.engine) as session:
        rows = session.exec(
            select(RoomInventory).where(RoomInventory.room_type_id == room_type_id)
        ).all()
    return {row.night.isoformat(): (row.reserved, row.total) for row in rows}


def test_fifty_threads_race_for_the_last_room(ctx: Context) -> None:
    _, room_type_id = make_hotel(ctx, rooms=1)
    check_in, check_out = stay(nights=3)
    # Five guests (hashing fifty passwords would dominate the test) send ten requests each.
    users = [make_user(ctx, f"racer{i}@example.com")[1] for i in range(5)] * 10
    requests = [HoldRequest(uid, room_type_id, check_in, check_out, 2) for uid in users]

    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(pool.map(lambda r: _try_hold(ctx, r), requests))

    # The winner's other nine requests resume its hold; everyone else is turned away.
    assert outcomes.count("held") == 1
    assert outcomes.count("resumed") <= 9
    assert len([o for o in outcomes if o in ("sold_out", "busy")]) == 49 - outcomes.count("resumed")
    assert _inventory(ctx, room_type_id) == {
        (check_in + timedelta(days=d)).isoformat(): (1, 1) for d in range(3)
    }
    with transaction(ctx.engine) as session:
        assert len(session.exec(select(Booking)).all()) == 1


def test_overlapping_multi_night_requests_never_overbook(ctx: Context) -> None:
    rooms = 3
    _, room_type_id = make_hotel(ctx, rooms=rooms)
    base, _ = stay(days_ahead=20, nights=1)
    # 24 guests ask for overlapping windows of 1-4 nights inside a 6-night span.
    windows = [(base + timedelta(days=i % 5), 1 + i % 4) for i in range(24)]
    user_id = make_user(ctx)[1]
    requests = [
        HoldRequest(user_id, room_type_id, start, start + timedelta(days=n), 1)
        for start, n in windows
    ]
    with ThreadPoolExecutor(max_workers=24) as pool:
        outcomes = list(pool.map(lambda r: _try_hold(ctx, r), requests))

    inventory = _inventory(ctx, room_type_id)
    assert all(reserved <= total == rooms for reserved, total in inventory.values())
    # What the database says is reserved is exactly what the successful holds cover.
    with transaction(ctx.engine) as session:
        held = session.exec(select(Booking)).all()
    expected: dict[str, int] = {}
    for booking in held:
        for d in range((booking.check_out - booking.check_in).days):
            night = (booking.check_in + timedelta(days=d)).isoformat()
            expected[night] = expected.get(night, 0) + 1
    assert {night: r for night, (r, _) in inventory.items() if r} == expected
    assert outcomes.count("held") == len(held) >= rooms
    assert any(o == "sold_out" for o in outcomes)


def test_sold_out_on_one_night_reserves_nothing(ctx: Context) -> None:
    _, room_type_id = make_hotel(ctx, rooms=1)
    user_id = make_user(ctx)[1]
    check_in, _ = stay(days_ahead=30, nights=1)
    hold_room(
        ctx,
        HoldRequest(
            user_id, room_type_id, check_in + timedelta(days=2), check_in + timedelta(days=3), 1
        ),
    )
    before = _inventory(ctx, room_type_id)
    try:
        hold_room(
            ctx, HoldRequest(user_id, room_type_id, check_in, check_in + timedelta(days=4), 1)
        )
    except TrinityError as error:
        assert error.code == "sold_out"
    else:
        raise AssertionError("the four-night hold over a full night must fail")
    assert _inventory(ctx, room_type_id) == before
