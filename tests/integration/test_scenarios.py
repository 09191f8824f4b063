"""Each QA scenario builds its state through the API (test mode) and, run again, leaves the same
state: the same ids where the state still holds, never a second copy."""

# ruff: noqa: F811  (pytest fixtures imported from tests/sagas.py and tests/testmode.py)
from __future__ import annotations

import time
from collections import Counter
from datetime import datetime
from typing import Any

import pytest
from factories import bearer
from fastapi.testclient import TestClient
from sagas import SagaHarness, saga_factory  # noqa: F401
from sqlmodel import select
from testmode import qa, qa_client  # noqa: F401

from backend.db import transaction
from backend.models import Booking, Order
from backend.scenarios import NAMES

LIVE = ("held", "confirmed")


def build(http: TestClient, name: str, **params: Any) -> dict[str, Any]:
    answer = http.post(f"/api/test/scenarios/{name}", json=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def login(http: TestClient, built: dict[str, Any]) -> dict[str, str]:
    account = built["logins"][0]
    token = http.post(
        "/api/auth/login", json={"email": account["email"], "password": account["password"]}
    ).json()["token"]
    return bearer(token)


def hotel_state(qa: SagaHarness, hotel_id: int) -> Counter[tuple[str, str | None]]:
    """Live bookings of the hotel with their order's status: what 'the same state' compares."""
    with transaction(qa.ctx.engine) as session:
        rows = session.exec(
            select(Booking.status, Order.status)
            .join(Order, Order.booking_id == Booking.id, isouter=True)  # type: ignore[arg-type]
            .where(Booking.hotel_id == hotel_id)
        ).all()
    return Counter((str(b), str(o) if o else None) for b, o in rows if b in LIVE)


def available(http: TestClient, built: dict[str, Any]) -> int:
    query = built["urls"]["hotel"].split("?", 1)[1]
    hotel = http.get(f"/api/hotels/{built['ids']['hotel_id']}?{query}").json()
    return next(
        rt["available"] for rt in hotel["room_types"] if rt["id"] == built["ids"]["room_type_id"]
    )


@pytest.mark.parametrize("name", NAMES)
def test_a_scenario_run_twice_leaves_one_state(
    qa: SagaHarness, qa_client: TestClient, name: str
) -> None:
    first = build(qa_client, name)
    state = hotel_state(qa, first["ids"]["hotel_id"])
    second = build(qa_client, name)
    assert hotel_state(qa, second["ids"]["hotel_id"]) == state
    assert second["ids"]["hotel_id"] == first["ids"]["hotel_id"]
    assert second["logins"] == first["logins"] and first["next_steps"]
    assert all(url.startswith("http://testserver/") for url in first["urls"].values())
    if name != "expiring-hold":  # that one takes a fresh hold: its 30 s are the state
        assert second["ids"] == first["ids"]


def test_unknown_scenario_lists_the_names(qa_client: TestClient) -> None:
    answer = qa_client.post("/api/test/scenarios/no-such-thing")
    assert answer.status_code == 404
    assert all(name in answer.json()["error"]["message"] for name in NAMES)


def test_last_room_leaves_one_room_and_takes_it_back(qa_client: TestClient) -> None:
    built = build(qa_client, "last-room", check_in=_days(20), check_out=_days(22))
    assert available(qa_client, built) == 1
    guest = login(qa_client, built)
    stay = {"room_type_id": built["ids"]["room_type_id"], "check_in": _days(20),
            "check_out": _days(22), "guests": 1}  # fmt: skip
    assert qa_client.post("/api/bookings", json=stay, headers=guest).status_code == 201
    assert available(qa_client, built) == 0
    assert available(qa_client, build(qa_client, "last-room", check_in=_days(20),
                                      check_out=_days(22))) == 1  # fmt: skip


def test_expiring_hold_has_thirty_seconds_left(qa: SagaHarness, qa_client: TestClient) -> None:
    built = build(qa_client, "expiring-hold")
    booking = qa_client.get(
        f"/api/bookings/{built['ids']['booking_id']}", headers=login(qa_client, built)
    ).json()
    left = datetime.fromisoformat(booking["hold_expires_at"]) - qa.ctx.clock()
    assert booking["status"] == "held" and 25 < left.total_seconds() <= 30


def test_refund_cancels_with_a_partial_refund(qa: SagaHarness, qa_client: TestClient) -> None:
    built = build(qa_client, "refund")
    order_id = built["ids"]["order_id"]
    cancel = qa_client.delete(
        f"/api/bookings/{built['ids']['booking_id']}", headers=login(qa_client, built)
    )
    assert cancel.status_code == 200
    order = _eventually(lambda: (o := qa.order(order_id)).refunded_amount > 0 and o)
    # Moderate, 3 days ahead: past the free-cancellation deadline, the rule's 25% comes back.
    assert order.refunded_amount == order.amount / 4 == float(built["details"]["refund"])


def test_declined_card_is_declined(qa: SagaHarness, qa_client: TestClient) -> None:
    built = build(qa_client, "declined-card")
    paid = qa_client.post(
        "/api/checkout",
        json={"booking_id": built["ids"]["booking_id"],
              "card_number": built["details"]["declined_card"]},
        headers=login(qa_client, built),
    )  # fmt: skip
    assert paid.status_code == 202
    order = _eventually(lambda: (o := qa.order(paid.json()["order_id"])).status == "failed" and o)
    assert "PaymentFailed" in qa.timeline(order.id or 0)
    fresh = build(qa_client, "declined-card")  # the hold was released: a new one to try with
    assert fresh["ids"]["booking_id"] != built["ids"]["booking_id"]


def test_stuck_order_is_paid_and_parked(qa: SagaHarness, qa_client: TestClient) -> None:
    built = build(qa_client, "stuck-order")
    order_id = built["ids"]["order_id"]
    time.sleep(1.5)  # the relay and the workers run: nothing moves the parked saga on
    assert qa.order(order_id).status == "paid"
    assert qa.timeline(order_id) == ["OrderCreated", "PaymentSucceeded"]
    assert [p.kind for p in qa.payments(order_id)] == ["charge"]


def test_busy_hotel_has_its_holders(qa_client: TestClient) -> None:
    built = build(qa_client, "busy-hotel")
    assert available(qa_client, built) == 20 - 12
    assert available(qa_client, build(qa_client, "busy-hotel", holders=5)) == 15
    refused = qa_client.post("/api/test/scenarios/busy-hotel", json={"holders": 21})
    assert refused.status_code == 422


def _days(ahead: int) -> str:
    from datetime import date, timedelta

    return (date.today() + timedelta(days=ahead)).isoformat()


def _eventually(check: Any, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
    return found
