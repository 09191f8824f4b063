"""What must never be readable later: a whole checkout through the API and the saga leaves no
token, card number or password in the logs, and the idempotency record's fingerprint of the
checkout body is keyed (a plain hash of {booking_id, card_number} could be brute-forced)."""

# ruff: noqa: F811  (pytest fixtures imported from tests/sagas.py)
from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from factories import bearer, make_hotel
from fastapi.testclient import TestClient
from sagas import SagaHarness, saga, saga_factory  # noqa: F401
from sqlmodel import select

from backend.api.main import create_api
from backend.db import transaction
from backend.logs import JsonFormatter
from backend.models import IdempotencyRecord, OrderStatus
from backend.services.idempotency import request_hash

CARD = "4242424242424242"
PASSWORD = "checkout-password-1"


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Every logger, every level, as the JSON lines production writes."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root, trinity = logging.getLogger(), logging.getLogger("trinity")
    levels = root.level, trinity.level
    root.addHandler(handler)
    trinity.addHandler(handler)
    root.setLevel(logging.DEBUG)
    trinity.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        trinity.removeHandler(handler)
        root.setLevel(levels[0])
        trinity.setLevel(levels[1])


def test_a_whole_checkout_logs_no_token_card_or_password(
    saga: SagaHarness, captured_logs: io.StringIO
) -> None:
    client = TestClient(create_api(saga.ctx))
    _, room_type_id = make_hotel(saga.ctx, rooms=2, price="80.00")
    account = {"email": "payer@example.com", "password": PASSWORD, "name": "Payer"}
    assert client.post("/api/auth/register", json=account).status_code == 201
    login = {"email": account["email"], "password": PASSWORD}
    token = client.post("/api/auth/login", json=login).json()["token"]
    check_in = date.today() + timedelta(days=30)
    stay = {
        "room_type_id": room_type_id,
        "check_in": check_in.isoformat(),
        "check_out": (check_in + timedelta(days=2)).isoformat(),
        "guests": 1,
    }
    held = client.post("/api/bookings", json=stay, headers=bearer(token))
    assert held.status_code == 201, held.text
    paid = client.post(
        "/api/checkout",
        json={"booking_id": held.json()["id"], "card_number": CARD},
        headers={**bearer(token), "Idempotency-Key": "pay-1"},
    )
    assert paid.status_code == 202, paid.text
    saga.start()
    order_id = paid.json()["order_id"]
    assert [o.status for o in saga.wait_terminal(order_id)] == [OrderStatus.CONFIRMED]
    # A failing checkout is a logged path too.
    assert (
        client.post(
            "/api/checkout",
            json={"booking_id": 999_999, "card_number": CARD},
            headers=bearer(token),
        ).status_code
        == 404
    )

    logs = captured_logs.getvalue()
    assert logs.count("\n") > 0, "nothing was captured: the check would prove nothing"
    for secret in (token, CARD, CARD[-12:], PASSWORD):
        assert secret not in logs, f"{secret[:6]}... appears in the logs"


def test_the_idempotency_fingerprint_is_keyed_with_the_secret(saga: SagaHarness) -> None:
    ctx = saga.ctx
    booking = saga.held_booking()
    token = saga.tokens[booking.user_id]
    body = {"booking_id": booking.id, "card_number": CARD}
    with TestClient(create_api(ctx)) as client:
        response = client.post(
            "/api/checkout", json=body, headers={**bearer(token), "Idempotency-Key": "k-1"}
        )
    assert response.status_code == 202, response.text
    with transaction(ctx.engine) as session:
        stored = session.exec(select(IdempotencyRecord)).one().request_hash
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    assert stored != hashlib.sha256(canonical.encode()).hexdigest()  # no plain, guessable hash
    assert stored == request_hash(ctx.settings.secret_key, body)
    assert stored != request_hash("another-secret-of-another-deployment", body)
