"""Removing a room type, in both modes: through the service and `DELETE
/api/admin/hotels/{id}/room_types/{room_type_id}`, every refusal changing nothing, and search
forgetting the room type's price."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from factories import bearer, make_hotel, make_user, stay
from fastapi.testclient import TestClient
from search_fixtures import eventually, search_context
from sqlalchemy import text

from backend.context import Context
from backend.errors import InvalidInput, NotFound, RoomTypeInUse
from backend.models import BookingStatus
from backend.search.checkpoint import pending_changes
from backend.search.port import SearchQuery
from backend.search.sync import sync_once
from backend.services.booking import HoldRequest, cancel_booking, hold_room
from backend.services.hotels import RoomTypeSpec, create_hotel, get_hotel, remove_room_type


@pytest.fixture
def ctx(mode: str, settings_factory: Any) -> Iterator[Context]:
    """Every test here gets a search index of its own (the last one reads it)."""
    yield from search_context(mode, settings_factory)


def two_room_hotel(ctx: Context, name: str = "Ria Formosa Lodge") -> tuple[int, int, int]:
    """(hotel id, Double id at 120, Suite id at 300)."""
    view = create_hotel(
        ctx,
        {"name": name, "city": "Faro", "country": "PT", "lat": 37.02, "lng": -7.93},
        [
            RoomTypeSpec(name="Double", capacity=2, rooms=3, price=Decimal("120.00")),
            RoomTypeSpec(name="Suite", capacity=4, rooms=1, price=Decimal("300.00")),
        ],
    )
    ids = {rt.name: rt.id for rt in view.room_types}
    return view.hotel.id or 0, ids["Double"], ids["Suite"]


def hold(ctx: Context, user_id: int, room_type_id: int) -> int:
    check_in, check_out = stay()
    request = HoldRequest(user_id, room_type_id, check_in, check_out, guests=1)
    return hold_room(ctx, request).id or 0


def insert_booking(
    ctx: Context, user_id: int, hotel_id: int, room_type_id: int, check_in: date, status: str
) -> None:
    """A booking written directly: the services do not take stays that started in the past."""
    with ctx.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO bookings (user_id, hotel_id, room_type_id, check_in, check_out, "
                "guests, status, hold_expires_at, total_price, currency, created_at, updated_at) "
                "VALUES (:u, :h, :r, :ci, :co, 1, :s, CURRENT_TIMESTAMP, 240, 'EUR', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {
                "u": user_id,
                "h": hotel_id,
                "r": room_type_id,
                "ci": check_in,
                "co": check_in + timedelta(days=2),
                "s": status,
            },
        )


def snapshot(ctx: Context, room_type_id: int) -> dict[str, Any]:
    """Everything a removal could touch: the room type, its night rows, its bookings."""
    with ctx.engine.connect() as conn:

        def rows(sql: str) -> list[tuple[Any, ...]]:
            return [tuple(r) for r in conn.execute(text(sql), {"r": room_type_id}).all()]

        return {
            "room_type": rows("SELECT name, capacity, rooms, price FROM room_types WHERE id = :r"),
            "nights": rows(
                "SELECT night, total, reserved FROM room_inventory WHERE room_type_id = :r "
                "ORDER BY night"
            ),
            "bookings": rows("SELECT id, status FROM bookings WHERE room_type_id = :r ORDER BY id"),
        }


def test_removal_deletes_the_type_and_its_nights_and_keeps_booking_history(ctx: Context) -> None:
    hotel_id, double_id, suite_id = two_room_hotel(ctx)
    _, user_id = make_user(ctx)
    cancelled = hold(ctx, user_id, suite_id)
    cancel_booking(ctx, user_id, cancelled)  # leaves the night rows, reserved back to 0
    yesterday = ctx.clock().date() - timedelta(days=1)
    insert_booking(ctx, user_id, hotel_id, suite_id, yesterday - timedelta(days=1), "confirmed")
    insert_booking(ctx, user_id, hotel_id, suite_id, yesterday, "expired")
    before = snapshot(ctx, suite_id)
    assert before["nights"] and len(before["bookings"]) == 3

    remove_room_type(ctx, hotel_id, suite_id)

    after = snapshot(ctx, suite_id)
    assert after["room_type"] == [] and after["nights"] == []
    assert after["bookings"] == before["bookings"]  # history kept, statuses untouched
    assert [rt.id for rt in get_hotel(ctx, hotel_id).room_types] == [double_id]


@pytest.mark.parametrize("live", ["held", "confirmed_tonight"])
def test_live_bookings_refuse_removal_and_change_nothing(ctx: Context, live: str) -> None:
    hotel_id, _, suite_id = two_room_hotel(ctx)
    _, user_id = make_user(ctx)
    if live == "held":
        hold(ctx, user_id, suite_id)
    else:  # arrived yesterday, leaves tomorrow: tonight is booked
        yesterday = ctx.clock().date() - timedelta(days=1)
        insert_booking(ctx, user_id, hotel_id, suite_id, yesterday, BookingStatus.CONFIRMED)
    before = snapshot(ctx, suite_id)

    with pytest.raises(RoomTypeInUse, match="Suite has 1 held or confirmed booking"):
        remove_room_type(ctx, hotel_id, suite_id)

    assert snapshot(ctx, suite_id) == before
    assert len(get_hotel(ctx, hotel_id).room_types) == 2


def test_unknown_or_foreign_room_types_are_not_found(ctx: Context) -> None:
    hotel_id, double_id, _ = two_room_hotel(ctx)
    other_hotel, other_room = make_hotel(ctx, name="Other")
    for hotel, room in ((424242, double_id), (hotel_id, 424242), (hotel_id, other_room)):
        with pytest.raises(NotFound):
            remove_room_type(ctx, hotel, room)
    assert len(get_hotel(ctx, hotel_id).room_types) == 2
    assert [rt.id for rt in get_hotel(ctx, other_hotel).room_types] == [other_room]


def test_the_last_room_type_stays(ctx: Context) -> None:
    hotel_id, double_id, suite_id = two_room_hotel(ctx)
    remove_room_type(ctx, hotel_id, suite_id)
    before = snapshot(ctx, double_id)
    with pytest.raises(InvalidInput, match="last room type"):
        remove_room_type(ctx, hotel_id, double_id)
    assert snapshot(ctx, double_id) == before


def test_the_route_answers_per_the_contract(client: TestClient, ctx: Context) -> None:
    hotel_id, double_id, suite_id = two_room_hotel(ctx)
    guest, guest_id = make_user(ctx)
    admin, _ = make_user(ctx, "boss@example.com", admin=True)
    url = f"/api/admin/hotels/{hotel_id}/room_types"

    def remove(room_type_id: int, token: str | None = admin, hotel: int = hotel_id) -> Any:
        headers = bearer(token) if token else {}
        return client.delete(
            f"/api/admin/hotels/{hotel}/room_types/{room_type_id}", headers=headers
        )

    def error(response: Any, status: int, code: str) -> None:
        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == code

    error(remove(suite_id, token=None), 401, "unauthorized")
    error(remove(suite_id, token=guest), 403, "forbidden")
    error(remove(424242), 404, "not_found")
    error(remove(suite_id, hotel=424242), 404, "not_found")
    error(client.delete(f"{url}/not-a-number", headers=bearer(admin)), 422, "invalid_input")

    held = hold(ctx, guest_id, suite_id)
    in_use = remove(suite_id)
    error(in_use, 409, "room_type_in_use")
    assert "Suite" in in_use.json()["error"]["message"]
    assert len(client.get(f"/api/hotels/{hotel_id}").json()["room_types"]) == 2

    cancel_booking(ctx, guest_id, held)
    gone = remove(suite_id)
    assert gone.status_code == 204 and gone.content == b""
    rooms = client.get(f"/api/hotels/{hotel_id}").json()["room_types"]
    assert [rt["id"] for rt in rooms] == [double_id]
    error(remove(suite_id), 404, "not_found")
    error(remove(double_id), 422, "invalid_input")

    documented = client.get("/api/openapi.json").json()["paths"]
    responses = documented["/api/admin/hotels/{hotel_id}/room_types/{room_type_id}"]["delete"]
    assert {"204", "401", "403", "404", "409", "422"} <= set(responses["responses"])


def settle(ctx: Context) -> None:
    """Run the sync worker until the change log is applied (Postgres also waits for every older
    transaction on the server, so allow a few seconds)."""
    eventually(lambda: sync_once(ctx) >= 0 and pending_changes(ctx.engine) == 0, within=15)


def test_search_forgets_the_removed_room_types_price(ctx: Context) -> None:
    hotel_id, double_id, _ = two_room_hotel(ctx)

    def prices() -> list[tuple[float, float]]:
        hits = ctx.search.search(SearchQuery(text="formosa")).hits
        return [(h.price_min, h.price_max) for h in hits if h.id == hotel_id]

    settle(ctx)
    assert prices() == [(120.0, 300.0)]
    remove_room_type(ctx, hotel_id, double_id)
    settle(ctx)
    assert prices() == [(300.0, 300.0)]


def test_a_hold_that_races_the_removal_of_its_room_type_is_not_found(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The room type is read, then removed before the hold writes: 404, not a 500."""
    hotel_id, double, _suite = two_room_hotel(ctx)
    _, user_id = make_user(ctx)
    real_locks = ctx.locks

    class RemovedWhileLocking:
        @contextmanager
        def hold_all(self, keys: Any, give_up: Any = None) -> Iterator[float]:
            remove_room_type(ctx, hotel_id, double)
            with real_locks.hold_all(keys, give_up) as waited:
                yield waited

    monkeypatch.setattr(ctx, "locks", RemovedWhileLocking())
    with pytest.raises(NotFound):
        hold(ctx, user_id, double)
    with ctx.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM bookings")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM room_inventory")).scalar_one() == 0
