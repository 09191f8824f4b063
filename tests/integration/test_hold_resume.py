"""Resume your own hold, and extend it once: in the API, under races, in both modes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from factories import bearer, booking_body, make_hotel, make_user, stay
from fastapi.testclient import TestClient
from sqlmodel import select

from backend.context import Context
from backend.db import transaction
from backend.models import Booking, BookingStatus, RoomInventory
from backend.services.booking import HOLD_EXTENSION, HoldRequest, expire_holds, hold_room

_body = booking_body


def _reserved(ctx: Context, room_type_id: int) -> list[int]:
    with transaction(ctx.engine) as session:
        rows = session.exec(
            select(RoomInventory).where(RoomInventory.room_type_id == room_type_id)
        ).all()
    return sorted(row.reserved for row in rows)


def _bookings(ctx: Context) -> list[Booking]:
    with transaction(ctx.engine) as session:
        return list(session.exec(select(Booking)).all())


def test_a_second_hold_of_the_same_stay_resumes_the_first(client: TestClient, ctx: Context) -> None:
    _, room_type_id = make_hotel(ctx, rooms=1)  # the last room: a new hold would be sold out
    token, _ = make_user(ctx)
    body = _body(room_type_id, *stay(nights=2))
    first = client.post("/api/bookings", json=body, headers=bearer(token))
    again = client.post("/api/bookings", json=body, headers=bearer(token))
    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert _reserved(ctx, room_type_id) == [1, 1]  # no second decrement
    # Other dates or another guest are not a resume.
    other_dates = _body(room_type_id, *stay(days_ahead=40, nights=1))
    assert client.post("/api/bookings", json=other_dates, headers=bearer(token)).status_code == 201
    bob, _ = make_user(ctx, "bob@example.com")
    taken = client.post("/api/bookings", json=body, headers=bearer(bob))
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "sold_out"


def test_a_cancelled_or_expired_hold_is_not_resumed(client: TestClient, ctx: Context) -> None:
    _, room_type_id = make_hotel(ctx, rooms=2)
    token, _ = make_user(ctx)
    body = _body(room_type_id, *stay())
    first = client.post("/api/bookings", json=body, headers=bearer(token)).json()
    client.delete(f"/api/bookings/{first['id']}", headers=bearer(token))
    second = client.post("/api/bookings", json=body, headers=bearer(token))
    assert second.status_code == 201 and second.json()["id"] != first["id"]
    # Past its deadline but not swept yet: the new hold replaces it (expiring it, rooms freed).
    with transaction(ctx.engine) as session:
        row = session.get(Booking, second.json()["id"])
        assert row is not None
        row.hold_expires_at = ctx.clock() - timedelta(seconds=5)
        session.add(row)
    third = client.post("/api/bookings", json=body, headers=bearer(token))
    assert third.status_code == 201, third.text
    statuses = {b.id: b.status for b in _bookings(ctx)}
    assert statuses[second.json()["id"]] == BookingStatus.EXPIRED
    assert statuses[third.json()["id"]] == BookingStatus.HELD
    assert _reserved(ctx, room_type_id) == [1, 1]


def test_twenty_concurrent_resumes_make_one_hold(client: TestClient, ctx: Context) -> None:
    _, room_type_id = make_hotel(ctx, rooms=5)
    token, _ = make_user(ctx)
    body = _body(room_type_id, *stay(nights=3))
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(
            pool.map(
                lambda _: client.post("/api/bookings", json=body, headers=bearer(token)),
                range(20),
            )
        )
    statuses = sorted(a.status_code for a in answers)
    ids = {a.json()["id"] for a in answers if a.status_code in (200, 201)}
    assert statuses.count(201) == 1, statuses
    # The rest resume (or, after a long lock wait, answer busy: never a second hold).
    assert set(statuses) <= {200, 201, 409}
    assert statuses.count(200) >= 15, statuses
    assert len(ids) == 1
    assert len(_bookings(ctx)) == 1
    assert _reserved(ctx, room_type_id) == [1, 1, 1]


def test_a_live_hold_is_extended_once_by_five_minutes(client: TestClient, ctx: Context) -> None:
    _, room_type_id = make_hotel(ctx)
    token, _ = make_user(ctx)
    held = client.post("/api/bookings", json=_body(room_type_id, *stay()), headers=bearer(token))
    booking_id = held.json()["id"]
    extended = client.post(f"/api/bookings/{booking_id}/extend", headers=bearer(token))
    assert extended.status_code == 200, extended.text
    assert extended.json()["hold_extended"] is True
    before = datetime.fromisoformat(held.json()["hold_expires_at"])
    after = datetime.fromisoformat(extended.json()["hold_expires_at"])
    assert after - before == HOLD_EXTENSION
    again = client.post(f"/api/bookings/{booking_id}/extend", headers=bearer(token))
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_extendable"
    # Someone else's booking does not exist for them; nor does a missing one.
    bob, _ = make_user(ctx, "bob@example.com")
    assert client.post(f"/api/bookings/{booking_id}/extend", headers=bearer(bob)).status_code == 404
    assert client.post("/api/bookings/999999/extend", headers=bearer(token)).status_code == 404
    assert client.post(f"/api/bookings/{booking_id}/extend").status_code == 401


def test_a_hold_that_is_not_live_cannot_be_extended(client: TestClient, ctx: Context) -> None:
    _, room_type_id = make_hotel(ctx, rooms=2)
    token, _ = make_user(ctx)
    body = _body(room_type_id, *stay())
    cancelled = client.post("/api/bookings", json=body, headers=bearer(token)).json()["id"]
    client.delete(f"/api/bookings/{cancelled}", headers=bearer(token))
    answer = client.post(f"/api/bookings/{cancelled}/extend", headers=bearer(token))
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "not_extendable"
    late = client.post("/api/bookings", json=body, headers=bearer(token)).json()["id"]
    with transaction(ctx.engine) as session:
        row = session.get(Booking, late)
        assert row is not None
        row.hold_expires_at = ctx.clock() - timedelta(seconds=1)
        session.add(row)
    answer = client.post(f"/api/bookings/{late}/extend", headers=bearer(token))
    assert answer.status_code == 409 and "expired" in answer.json()["error"]["message"]


def test_two_concurrent_extends_one_wins(client: TestClient, ctx: Context) -> None:
    _, room_type_id = make_hotel(ctx)
    token, _ = make_user(ctx)
    booking_id = client.post(
        "/api/bookings", json=_body(room_type_id, *stay()), headers=bearer(token)
    ).json()["id"]
    for _ in range(3):  # a few rounds: each with a fresh hold
        url = f"/api/bookings/{booking_id}/extend"
        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(pool.map(lambda u: client.post(u, headers=bearer(token)), [url, url]))
        assert sorted(a.status_code for a in answers) == [200, 409]
        client.delete(f"/api/bookings/{booking_id}", headers=bearer(token))
        booking_id = client.post(
            "/api/bookings", json=_body(room_type_id, *stay()), headers=bearer(token)
        ).json()["id"]


def test_the_sweeper_expires_an_extended_hold_only_after_its_new_deadline(ctx: Context) -> None:
    _, room_type_id = make_hotel(ctx)
    _, user_id = make_user(ctx)
    check_in, check_out = stay()
    booking = hold_room(ctx, HoldRequest(user_id, room_type_id, check_in, check_out, 1))
    # The sweeper's clock says the original deadline passed; the extension pushed it later.
    deadline = booking.hold_expires_at
    with transaction(ctx.engine) as session:
        row = session.get(Booking, booking.id)
        assert row is not None
        row.hold_expires_at = deadline + HOLD_EXTENSION
        session.add(row)
    ctx.clock = lambda: deadline + timedelta(seconds=1)
    assert expire_holds(ctx) == 0
    ctx.clock = lambda: deadline + HOLD_EXTENSION + timedelta(seconds=1)
    assert expire_holds(ctx) == 1
