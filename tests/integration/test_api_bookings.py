"""Bookings per API.md: holds, listing, cancel, expiry, idempotency, and every error path."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

from factories import bearer, booking_body, make_hotel, make_user, stay
from fastapi.testclient import TestClient
from sqlmodel import select

from backend.context import Context
from backend.db import transaction
from backend.models import Booking, IdempotencyRecord, OutboxMessage, RoomInventory, User
from backend.services import auth
from backend.services.booking import expire_holds

_body = booking_body


def _reserved(ctx: Context) -> int:
    with transaction(ctx.engine) as session:
        return sum(row.reserved for row in session.exec(select(RoomInventory)).all())


def test_hold_list_get_and_hotel_availability(client: TestClient, ctx: Context) -> None:
    hotel_id, room_type_id = make_hotel(ctx, rooms=2, price="100.00")
    token, _ = make_user(ctx)
    check_in, check_out = stay(nights=3)
    created = client.post(
        "/api/bookings", json=_body(room_type_id, check_in, check_out), headers=bearer(token)
    )
    assert created.status_code == 201, created.text
    booking = created.json()
    assert booking["status"] == "held"
    assert float(booking["total_price"]) == 300.0 and booking["currency"] == "EUR"
    assert booking["hotel_id"] == hotel_id and booking["hold_expires_at"]

    listed = client.get("/api/bookings", headers=bearer(token)).json()
    assert [b["id"] for b in listed] == [booking["id"]]
    assert client.get(f"/api/bookings/{booking['id']}", headers=bearer(token)).json() == booking

    hotel = client.get(
        f"/api/hotels/{hotel_id}",
        params={"check_in": check_in.isoformat(), "check_out": check_out.isoformat(), "guests": 2},
    ).json()
    assert hotel["room_types"][0]["available"] == 1
    with transaction(ctx.engine) as session:
        events = session.exec(select(OutboxMessage)).all()
    assert [e.event_type for e in events] == ["BookingHeld"]
    assert events[0].payload["booking_id"] == booking["id"] and events[0].message_id


def test_signed_token_of_an_unknown_user_is_401(client: TestClient, ctx: Context) -> None:
    _, room_type_id = make_hotel(ctx, rooms=1)
    ghost = auth.issue_token(ctx, User(id=987_654, email="ghost@example.com", name="G"))
    answer = client.post("/api/bookings", json=_body(room_type_id, *stay()), headers=bearer(ghost))
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthorized"
    assert client.get("/api/bookings", headers=bearer(ghost)).status_code == 401
    assert _reserved(ctx) == 0


def test_booking_validation_errors_change_nothing(client: TestClient, ctx: Context) -> None:
    _, room_type_id = make_hotel(ctx, rooms=1, capacity=2)
    token, _ = make_user(ctx)
    today = date.today()
    cases = [
        _body(room_type_id, today + timedelta(days=5), today + timedelta(days=5)),
        _body(room_type_id, today + timedelta(days=5), today + timedelta(days=4)),
        _body(room_type_id, today - timedelta(days=1), today + timedelta(days=2)),
        _body(room_type_id, today + timedelta(days=1), today + timedelta(days=32)),
        _body(room_type_id, today + timedelta(days=1), today + timedelta(days=2), guests=0),
        _body(room_type_id, today + timedelta(days=1), today + timedelta(days=2), guests=3),
        {**_body(room_type_id, today + timedelta(days=1), today + timedelta(days=2)), "x": 1},
        {
            "room_type_id": room_type_id,
            "check_in": "not-a-date",
            "check_out": "2030-01-01",
            "guests": 1,
        },
    ]
    for case in cases:
        response = client.post("/api/bookings", json=case, headers=bearer(token))
        assert response.status_code == 422, case
        assert response.json()["error"]["code"] == "invalid_input"
        assert response.json()["error"]["message"]
    unknown = client.post("/api/bookings", json=_body(999_999, *stay()), headers=bearer(token))
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    unauthenticated = client.post("/api/bookings", json=_body(room_type_id, *stay()))
    assert unauthenticated.status_code == 401
    assert _reserved(ctx) == 0
    with transaction(ctx.engine) as session:
        assert session.exec(select(Booking)).all() == []


def test_sold_out_is_409_and_foreign_booking_is_404(client: TestClient, ctx: Context) -> None:
    _, room_type_id = make_hotel(ctx, rooms=1)
    alice, _ = make_user(ctx, "alice@example.com")
    bob, _ = make_user(ctx, "bob@example.com")
    check_in, check_out = stay()
    first = client.post(
        "/api/bookings", json=_body(room_type_id, check_in, check_out), headers=bearer(alice)
    )
    second = client.post(
        "/api/bookings", json=_body(room_type_id, check_in, check_out), headers=bearer(bob)
    )
    assert first.status_code == 201
    assert second.status_code == 409 and second.json()["error"]["code"] == "sold_out"
    booking_id = first.json()["id"]
    for method in ("GET", "DELETE"):
        foreign = client.request(method, f"/api/bookings/{booking_id}", headers=bearer(bob))
        assert foreign.status_code == 404 and foreign.json()["error"]["code"] == "not_found"
    assert client.get("/api/bookings", headers=bearer(bob)).json() == []


def test_cancel_frees_the_room_and_cannot_repeat(client: TestClient, ctx: Context) -> None:
    _, room_type_id = make_hotel(ctx, rooms=1)
    token, _ = make_user(ctx)
    check_in, check_out = stay()
    held = client.post(
        "/api/bookings", json=_body(room_type_id, check_in, check_out), headers=bearer(token)
    ).json()
    cancelled = client.delete(f"/api/bookings/{held['id']}", headers=bearer(token))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert _reserved(ctx) == 0
    again = client.delete(f"/api/bookings/{held['id']}", headers=bearer(token))
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_cancellable"
    rebooked = client.post(
        "/api/bookings", json=_body(room_type_id, check_in, check_out), headers=bearer(token)
    )
    assert rebooked.status_code == 201


def test_expired_hold_releases_rooms(client: TestClient, ctx: Context) -> None:
    _, room_type_id = make_hotel(ctx, rooms=1)
    token, _ = make_user(ctx)
    check_in, check_out = stay()
    held = client.post(
        "/api/bookings", json=_body(room_type_id, check_in, check_out), headers=bearer(token)
    ).json()
    assert expire_holds(ctx) == 0  # not yet due
    real_clock = ctx.clock
    ctx.clock = lambda: real_clock() + timedelta(seconds=ctx.settings.hold_ttl_seconds + 1)
    assert expire_holds(ctx) == 1
    ctx.clock = real_clock
    assert (
        client.get(f"/api/bookings/{held['id']}", headers=bearer(token)).json()["status"]
        == "expired"
    )
    assert _reserved(ctx) == 0
    after = client.post(
        "/api/bookings", json=_body(room_type_id, check_in, check_out), headers=bearer(token)
    )
    assert after.status_code == 201


def test_idempotency_key_replays_make_one_hold(client: TestClient, ctx: Context) -> None:
    _, room_type_id = make_hotel(ctx, rooms=5)
    token, _ = make_user(ctx)
    body = _body(room_type_id, *stay())
    headers = {**bearer(token), "Idempotency-Key": "replay-me-1"}

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(
            pool.map(lambda _: client.post("/api/bookings", json=body, headers=headers), range(20))
        )

    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert len({r.text for r in responses}) == 1
    with transaction(ctx.engine) as session:
        assert len(session.exec(select(Booking)).all()) == 1

    other = client.post("/api/bookings", json={**body, "guests": 1}, headers=headers)
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    too_long = client.post(
        "/api/bookings", json=body, headers={**bearer(token), "Idempotency-Key": "k" * 256}
    )
    assert too_long.status_code == 422


def test_a_key_whose_answer_redis_lost_replays_the_databases_first_answer(
    client: TestClient, ctx: Context
) -> None:
    """The answer lives in Redis (the fast lookup) and in the database (the fence): with Redis
    emptied, a replay runs the hold again, which resumes the guest's stay, and answers the first
    answer (201, same body) with one room taken; a different body is still refused."""
    _, room_type_id = make_hotel(ctx, rooms=5)
    token, _ = make_user(ctx)
    body = _body(room_type_id, *stay())
    headers = {**bearer(token), "Idempotency-Key": "lost-in-redis"}
    first = client.post("/api/bookings", json=body, headers=headers)
    assert first.status_code == 201
    answers = [k for k in ctx.redis.scan_iter("idempotency:*") if "lost-in-redis" in k]
    assert len(answers) == 1 and answers[0].endswith(":answer")  # stored beside the lock
    ctx.redis.flushdb()

    replay = client.post("/api/bookings", json=body, headers=headers)
    assert (replay.status_code, replay.json()) == (201, first.json())
    assert _reserved(ctx) == 2  # one room, two nights: the replay took nothing
    assert client.post("/api/bookings", json=body, headers=headers).json() == first.json()
    ctx.redis.flushdb()
    other = client.post("/api/bookings", json={**body, "guests": 1}, headers=headers)
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"


def test_idempotent_replay_of_a_409_returns_the_same_409(client: TestClient, ctx: Context) -> None:
    _, room_type_id = make_hotel(ctx, rooms=1)
    token, _ = make_user(ctx)
    other, _ = make_user(ctx, "other@example.com")
    body = _body(room_type_id, *stay())
    assert client.post("/api/bookings", json=body, headers=bearer(other)).status_code == 201
    headers = {**bearer(token), "Idempotency-Key": "sold-out-key"}
    first = client.post("/api/bookings", json=body, headers=headers)
    replay = client.post("/api/bookings", json=body, headers=headers)
    assert first.status_code == replay.status_code == 409
    assert first.json() == replay.json()
    with transaction(ctx.engine) as session:  # a refusal wrote nothing: its answer is Redis's
        assert session.exec(select(IdempotencyRecord)).all() == []


def test_metrics_count_holds_and_conflicts(client: TestClient, ctx: Context) -> None:
    _, room_type_id = make_hotel(ctx, rooms=1)
    token, _ = make_user(ctx)
    other, _ = make_user(ctx, "other@example.com")
    body = _body(room_type_id, *stay())
    assert client.post("/api/bookings", json=body, headers=bearer(token)).status_code == 201
    assert client.post("/api/bookings", json=body, headers=bearer(other)).status_code == 409
    admin, _ = make_user(ctx, "ops@example.com", admin=True)
    scrape = client.get("/api/metrics", headers=bearer(admin))
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain")
    text = scrape.text
    assert 'trinity_holds_total{outcome="held"} 1.0' in text
    assert 'trinity_holds_total{outcome="sold_out"} 1.0' in text
    assert 'trinity_conflicts_total{reason="sold_out"} 1.0' in text
    assert (
        "trinity_lock_wait_seconds_count 1.0" in text
    )  # the sold-out retry never queued for the lock
    assert 'trinity_bookings{status="held"} 1.0' in text
    assert "trinity_outbox_backlog" in text and "trinity_search_sync_pending" in text
    assert 'trinity_search_cache_total{result="hits"}' in text
