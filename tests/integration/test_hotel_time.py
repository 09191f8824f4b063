"""Hotel local time: "today" for a stay is the hotel's, and admins set a hotel's IANA zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from factories import bearer, make_hotel, make_user
from fastapi.testclient import TestClient

from backend.context import Context
from backend.errors import InvalidInput
from backend.services.booking import HoldRequest, hold_room
from backend.services.hotels import Stay, get_hotel, update_hotel

DAY = date(2027, 1, 10)
# Pacific/Auckland is UTC+13 in January, America/Los_Angeles UTC-8: the first and last second of
# 10 January on each hotel's clock.
EDGES = {
    "Pacific/Auckland": (
        datetime(2027, 1, 9, 11, 0, 0, tzinfo=UTC),
        datetime(2027, 1, 10, 10, 59, 59, tzinfo=UTC),
    ),
    "America/Los_Angeles": (
        datetime(2027, 1, 10, 8, 0, 0, tzinfo=UTC),
        datetime(2027, 1, 11, 7, 59, 59, tzinfo=UTC),
    ),
}


def _hotel_in(ctx: Context, zone: str) -> int:
    hotel_id, room_type_id = make_hotel(ctx, rooms=5)
    update_hotel(ctx, hotel_id, {"timezone": zone}, None)
    return room_type_id


@pytest.mark.parametrize("zone", sorted(EDGES))
def test_a_same_day_stay_is_accepted_through_the_hotels_whole_local_day(
    ctx: Context, zone: str
) -> None:
    room_type_id = _hotel_in(ctx, zone)
    _, user_id = make_user(ctx)
    first, last = EDGES[zone]
    for guests, moment in enumerate((first, last), start=1):
        ctx.clock = lambda moment=moment: moment  # type: ignore[misc]
        booking = hold_room(
            ctx, HoldRequest(user_id, room_type_id, DAY, DAY + timedelta(1), guests)
        )
        assert booking.check_in == DAY
    # One second before the local day starts, 10 January is still tomorrow: fine too. One
    # second after it ends, it is yesterday there: refused, whatever UTC's date says.
    ctx.clock = lambda: last + timedelta(seconds=1)
    with pytest.raises(InvalidInput, match="past"):
        hold_room(ctx, HoldRequest(user_id, room_type_id, DAY, DAY + timedelta(2), 1))
    with pytest.raises(InvalidInput, match="past"):
        get_hotel(ctx, _hotel_id(ctx, room_type_id), Stay(DAY, DAY + timedelta(1)))
    ctx.clock = lambda: first - timedelta(seconds=1)
    assert get_hotel(ctx, _hotel_id(ctx, room_type_id), Stay(DAY, DAY + timedelta(1))).room_types


def _hotel_id(ctx: Context, room_type_id: int) -> int:
    from backend.db import transaction
    from backend.models import RoomType

    with transaction(ctx.engine) as session:
        room_type = session.get(RoomType, room_type_id)
        assert room_type is not None
        return room_type.hotel_id


def test_the_same_instant_is_a_different_today_on_each_side_of_the_date_line(
    ctx: Context,
) -> None:
    auckland = _hotel_in(ctx, "Pacific/Auckland")
    los_angeles = _hotel_in(ctx, "America/Los_Angeles")
    _, user_id = make_user(ctx)
    ctx.clock = lambda: datetime(2027, 1, 10, 11, 30, tzinfo=UTC)  # 00:30 on the 11th in NZ
    with pytest.raises(InvalidInput, match="past"):
        hold_room(ctx, HoldRequest(user_id, auckland, DAY, DAY + timedelta(1), 1))
    assert hold_room(ctx, HoldRequest(user_id, los_angeles, DAY, DAY + timedelta(1), 1)).id


def test_admins_set_a_hotels_zone_and_a_bad_one_is_422(client: TestClient, ctx: Context) -> None:
    hotel_id, _ = make_hotel(ctx)
    admin, _ = make_user(ctx, "admin@example.com", admin=True)
    patched = client.patch(
        f"/api/admin/hotels/{hotel_id}", json={"timezone": "Asia/Tokyo"}, headers=bearer(admin)
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["timezone"] == "Asia/Tokyo"
    shown = client.get(f"/api/hotels/{hotel_id}").json()
    assert shown["timezone"] == "Asia/Tokyo"
    assert (shown["check_in_time"], shown["check_out_time"]) == ("15:00", "11:00")
    assert shown["cancellation_rule"].startswith("Free cancellation until 48 hours")
    for bad in ("Mars/Olympus", "UTC+2", ""):
        answer = client.patch(
            f"/api/admin/hotels/{hotel_id}", json={"timezone": bad}, headers=bearer(admin)
        )
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.json()["error"]["code"] == "invalid_input"
    created = client.post(
        "/api/admin/hotels",
        json={
            "name": "Nowhere",
            "city": "Nowhere",
            "country": "XX",
            "lat": 0.0,
            "lng": 0.0,
            "timezone": "Nowhere/Else",
        },
        headers=bearer(admin),
    )
    assert created.status_code == 422
    assert client.get(f"/api/hotels/{hotel_id}").json()["timezone"] == "Asia/Tokyo"
