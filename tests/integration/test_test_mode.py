"""Test mode in each mode: /api/test/* exists only when on, the clock moves what depends on time
(hold expiry through the sweeper, the order deadline), and clock bodies are checked."""

# ruff: noqa: F811  (pytest fixtures imported from tests/sagas.py)
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from factories import bearer, make_hotel, make_user, stay
from fastapi.testclient import TestClient
from sagas import SagaHarness, saga_factory  # noqa: F401
from testmode import qa, qa_client  # noqa: F401

from backend.models import utcnow
from backend.sweeper import sweep_once

TEST_PATHS = [("GET", "/api/test/clock"), ("POST", "/api/test/clock"),
              ("POST", "/api/test/scenarios/refund")]  # fmt: skip


@pytest.mark.parametrize(("method", "path"), TEST_PATHS)
def test_off_the_test_paths_do_not_exist(client: TestClient, method: str, path: str) -> None:
    answer = client.request(method, path, json={})
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"
    assert not any(
        p.startswith("/api/test") for p in client.get("/api/openapi.json").json()["paths"]
    )


def test_on_the_clock_advances_sets_and_resets(qa_client: TestClient) -> None:
    before = qa_client.get("/api/test/clock").json()
    assert before["offset_seconds"] == 0.0
    moved = qa_client.post("/api/test/clock", json={"advance_seconds": 3600}).json()
    assert moved["offset_seconds"] == pytest.approx(3600)
    assert _at(moved["now"]) - utcnow() > timedelta(seconds=3590)
    target = "2030-06-01T09:00:00+02:00"
    at = qa_client.post("/api/test/clock", json={"set_to": target}).json()
    assert abs(_at(at["now"]) - datetime(2030, 6, 1, 7, tzinfo=UTC)) < timedelta(seconds=2)
    back = qa_client.post("/api/test/clock", json={"reset": True}).json()
    assert back["offset_seconds"] == 0.0


@pytest.mark.parametrize(
    "body",
    [{}, {"advance_seconds": -1}, {"advance_seconds": 1e12}, {"set_to": "2030-01-01T00:00:00"},
     {"advance_seconds": 5, "reset": True}, {"reset": False}, {"minutes": 3}, {"advance_seconds": False}, {"reset": 1},
     {"set_to": "0280-09-29T05:23:26Z"}, {"advance_seconds": 400_000_000}],
)  # fmt: skip
def test_a_clock_change_is_exactly_one_valid_change(qa_client: TestClient, body: dict) -> None:
    answer = qa_client.post("/api/test/clock", json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "invalid_input"
    assert qa_client.get("/api/test/clock").json()["offset_seconds"] == 0.0


def test_the_test_routes_document_their_statuses(qa_client: TestClient) -> None:
    paths = qa_client.get("/api/openapi.json").json()["paths"]
    scenario = paths["/api/test/scenarios/{name}"]["post"]["responses"]
    assert {"200", "404", "409", "413", "422", "503"} <= set(scenario)
    assert scenario["404"]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorOut")
    assert {"200", "422"} <= set(paths["/api/test/clock"]["post"]["responses"])


def test_advancing_the_clock_lets_the_sweeper_expire_a_hold(
    qa: SagaHarness, qa_client: TestClient
) -> None:
    token, _ = make_user(qa.ctx)
    _, room_type_id = make_hotel(qa.ctx, rooms=1)
    check_in, check_out = stay()
    held = qa_client.post(
        "/api/bookings",
        json={"room_type_id": room_type_id, "check_in": str(check_in),
              "check_out": str(check_out), "guests": 1},
        headers=bearer(token),
    ).json()  # fmt: skip
    assert sweep_once(qa.ctx) == 0
    ttl = qa.ctx.settings.hold_ttl_seconds
    qa_client.post("/api/test/clock", json={"advance_seconds": ttl + 1})
    assert sweep_once(qa.ctx) == 1
    booking = qa_client.get(f"/api/bookings/{held['id']}", headers=bearer(token)).json()
    assert booking["status"] == "expired"


def test_the_order_deadline_follows_the_clock(qa: SagaHarness, qa_client: TestClient) -> None:
    built = qa_client.post("/api/test/scenarios/stuck-order").json()
    order_id = built["ids"]["order_id"]
    assert qa.order(order_id).status == "paid"
    sweep_once(qa.ctx)
    assert qa.order(order_id).status == "paid"  # not yet past the deadline
    qa_client.post(
        "/api/test/clock", json={"advance_seconds": qa.ctx.settings.order_deadline_seconds + 1}
    )
    sweep_once(qa.ctx)
    assert qa.order(order_id).status == "confirmed"
    assert qa.timeline(order_id)[-1] == "InventoryReserved"


def test_checkout_follows_the_clock(qa: SagaHarness, qa_client: TestClient) -> None:
    built = qa_client.post("/api/test/scenarios/declined-card").json()
    login = built["logins"][0]
    token = qa_client.post("/api/auth/login", json={k: login[k] for k in ("email", "password")})
    qa_client.post("/api/test/clock", json={"advance_seconds": qa.ctx.settings.hold_ttl_seconds})
    paid = qa_client.post(
        "/api/checkout",
        json={"booking_id": built["ids"]["booking_id"], "card_number": "4242424242424242"},
        headers=bearer(token.json()["token"]),
    )
    assert paid.status_code == 409 and "expired" in paid.json()["error"]["message"]


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
