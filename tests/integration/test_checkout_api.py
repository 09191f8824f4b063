"""POST /api/checkout and GET /api/orders per API.md: statuses, errors, Idempotency-Key."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from factories import bearer, make_hotel, stay
from fastapi.testclient import TestClient
from sagas import fast_user as make_user
from sqlmodel import select

from backend.context import Context
from backend.db import transaction
from backend.models import Booking, Order, OrderEvent, OutboxMessage
from backend.services.booking import HoldRequest, cancel_booking, hold_room

CARD = "4242 4242 4242 4242"


def _hold(ctx: Context, email: str = "guest@example.com") -> tuple[str, Booking]:
    _, room_type_id = make_hotel(ctx, rooms=3, price="99.50")
    token, user_id = make_user(ctx, email)
    check_in, check_out = stay(nights=2)
    return token, hold_room(ctx, HoldRequest(user_id, room_type_id, check_in, check_out, 2))


def _rows(ctx: Context) -> tuple[list[Order], list[str]]:
    with transaction(ctx.engine) as session:
        orders = list(session.exec(select(Order)).all())
        outbox = [m.event_type for m in session.exec(select(OutboxMessage)).all()]
    return orders, outbox


def test_checkout_creates_a_pending_order_and_its_event(client: TestClient, ctx: Context) -> None:
    token, booking = _hold(ctx)
    response = client.post(
        "/api/checkout", json={"booking_id": booking.id, "card_number": CARD}, headers=bearer(token)
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "pending" and isinstance(body["order_id"], int)

    order = client.get(f"/api/orders/{body['order_id']}", headers=bearer(token))
    assert order.status_code == 200
    view = order.json()
    assert view["id"] == body["order_id"] and view["booking_id"] == booking.id
    assert view["status"] == "pending" and view["currency"] == "EUR"
    assert float(view["amount"]) == 199.0
    assert [e["type"] for e in view["events"]] == ["OrderCreated"]
    assert set(view["events"][0]) >= {"type", "at", "detail"}
    orders, outbox = _rows(ctx)
    assert len(orders) == 1 and outbox == ["BookingHeld", "OrderCreated"]
    with transaction(ctx.engine) as session:
        payload = (
            session.exec(select(OutboxMessage).where(OutboxMessage.event_type == "OrderCreated"))
            .one()
            .payload
        )
    assert payload["order_id"] == body["order_id"] and payload["version"] == 1
    assert "4242" not in str(payload)  # only a token travels, never the card number
    listed = client.get("/api/orders", headers=bearer(token)).json()
    assert [o["id"] for o in listed] == [body["order_id"]]


def test_checkout_errors(client: TestClient, ctx: Context) -> None:
    token, booking = _hold(ctx)
    other_token, _ = make_user(ctx, "other@example.com")

    def post(body: dict, who: str = token) -> tuple[int, dict]:
        response = client.post("/api/checkout", json=body, headers=bearer(who))
        return response.status_code, response.json()

    assert post({"booking_id": booking.id, "card_number": "4242424242424241"}) == (
        422,
        {
            "error": {
                "code": "invalid_input",
                "message": "This card number is not valid (checksum failed).",
            }
        },
    )
    status, body = post({"booking_id": booking.id, "card_number": "not a card"})
    assert (status, body["error"]["code"]) == (422, "invalid_input")
    status, body = post({"booking_id": booking.id, "card_number": CARD, "cvc": "123"})
    assert (status, body["error"]["code"]) == (422, "invalid_input")
    status, body = post({"booking_id": "x", "card_number": CARD})
    assert (status, body["error"]["code"]) == (422, "invalid_input")
    assert post({"booking_id": 999_999, "card_number": CARD})[0] == 404
    status, body = post({"booking_id": booking.id, "card_number": CARD}, other_token)
    assert (status, body["error"]["code"]) == (404, "not_found")
    assert (
        client.post(
            "/api/checkout", json={"booking_id": booking.id, "card_number": CARD}
        ).status_code
        == 401
    )
    assert _rows(ctx)[0] == []  # nothing was created by any of these

    assert post({"booking_id": booking.id, "card_number": CARD})[0] == 202
    status, body = post({"booking_id": booking.id, "card_number": CARD})
    assert (status, body["error"]["code"]) == (409, "not_payable")  # already has an order


def test_checkout_of_expired_or_cancelled_hold_is_not_payable(
    client: TestClient, ctx: Context
) -> None:
    token, expired = _hold(ctx)
    with transaction(ctx.engine) as session:
        row = session.get(Booking, expired.id)
        assert row is not None
        row.hold_expires_at = ctx.clock() - timedelta(seconds=1)  # lapsed, not yet swept
        session.add(row)
    response = client.post(
        "/api/checkout", json={"booking_id": expired.id, "card_number": CARD}, headers=bearer(token)
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_payable"

    _, cancelled = _hold(ctx)
    cancel_booking(ctx, cancelled.user_id, cancelled.id or 0)
    response = client.post(
        "/api/checkout",
        json={"booking_id": cancelled.id, "card_number": CARD},
        headers=bearer(token),
    )
    assert response.status_code == 409 and "cancelled" in response.json()["error"]["message"]
    assert _rows(ctx)[0] == []


def test_orders_are_private(client: TestClient, ctx: Context) -> None:
    token, booking = _hold(ctx)
    other_token, _ = make_user(ctx, "other@example.com")
    order_id = client.post(
        "/api/checkout", json={"booking_id": booking.id, "card_number": CARD}, headers=bearer(token)
    ).json()["order_id"]
    response = client.get(f"/api/orders/{order_id}", headers=bearer(other_token))
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert client.get("/api/orders/424242", headers=bearer(token)).status_code == 404
    assert client.get(f"/api/orders/{order_id}").status_code == 401
    assert client.get("/api/orders", headers=bearer(other_token)).json() == []


def test_checkout_replayed_with_the_same_key_creates_one_order(
    client: TestClient, ctx: Context
) -> None:
    token, booking = _hold(ctx)
    body = {"booking_id": booking.id, "card_number": CARD}
    headers = {**bearer(token), "Idempotency-Key": "pay-once"}

    def post(_: int) -> tuple[int, dict]:
        response = client.post("/api/checkout", json=body, headers=headers)
        return response.status_code, response.json()

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(post, range(6)))
    assert answers == [answers[0]] * 6 and answers[0][0] == 202
    orders, outbox = _rows(ctx)
    assert len(orders) == 1 and outbox.count("OrderCreated") == 1
    with transaction(ctx.engine) as session:
        assert len(session.exec(select(OrderEvent)).all()) == 1

    reused = client.post(
        "/api/checkout", json={**body, "card_number": "4000000000000002"}, headers=headers
    )
    assert reused.status_code == 422 and reused.json()["error"]["code"] == "idempotency_key_reused"
