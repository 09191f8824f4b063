"""The contract holds for any input: bad input is a 4xx with the usual error body, never a 500.

Ids out of range, bodies that are not JSON objects, wrong content types, text that is not UTF-8,
repeated or unknown query parameters, bodies over the size limit, text fields at their limits.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from factories import bearer, make_hotel, make_user, stay
from fastapi.testclient import TestClient
from httpx import Response
from starlette.types import Message, Receive, Scope, Send

from backend.api.limits import MAX_BODY_BYTES, BodyLimitMiddleware
from backend.context import Context

LARGEST = 2**31 - 1  # ids are PostgreSQL INTEGER columns
TOO_BIG = 2**31  # full mode answered "integer out of range" with a 500
FAR_TOO_BIG = 2**63  # ... and local mode overflowed SQLite's driver: a 500 too

HOTEL = {"name": "Casa", "city": "Porto", "country": "PT", "lat": 41.1, "lng": -8.6}
ROOM = {"name": "Double", "capacity": 2, "rooms": 1, "price": "90.00"}


def assert_error(response: Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"], error
    assert set(response.json()) == {"error"}
    return str(error["message"])


@pytest.fixture
def guest(ctx: Context) -> dict[str, str]:
    return bearer(make_user(ctx)[0])


@pytest.fixture
def admin(ctx: Context) -> dict[str, str]:
    return bearer(make_user(ctx, "boss@example.com", admin=True)[0])


def test_ids_out_of_range_are_422_in_path_query_and_body(
    client: TestClient, guest: dict[str, str], admin: dict[str, str]
) -> None:
    check_in, check_out = (d.isoformat() for d in stay())
    hold = {"check_in": check_in, "check_out": check_out, "guests": 1}
    requests: list[tuple[str, str, dict[str, str], Any]] = [
        ("GET", f"/api/hotels/{TOO_BIG}", {}, None),
        ("GET", f"/api/hotels/{FAR_TOO_BIG}", {}, None),
        ("GET", "/api/hotels/0", {}, None),
        ("GET", f"/api/bookings/{TOO_BIG}", guest, None),
        ("DELETE", f"/api/bookings/{TOO_BIG}", guest, None),
        ("GET", f"/api/orders/{TOO_BIG}", guest, None),
        ("PATCH", f"/api/admin/hotels/{TOO_BIG}", admin, {"name": "x"}),
        ("DELETE", f"/api/admin/hotels/{TOO_BIG}", admin, None),
        ("DELETE", f"/api/admin/hotels/1/room_types/{TOO_BIG}", admin, None),
        ("POST", "/api/bookings", guest, {**hold, "room_type_id": TOO_BIG}),
        ("POST", "/api/bookings", guest, {**hold, "room_type_id": FAR_TOO_BIG}),
        ("POST", "/api/bookings", guest, {**hold, "room_type_id": 1, "guests": TOO_BIG}),
        ("POST", "/api/checkout", guest, {"booking_id": TOO_BIG, "card_number": "4242"}),
    ]
    for method, path, headers, body in requests:
        answer = client.request(method, path, headers=headers, json=body)
        assert_error(answer, 422, "invalid_input")
    for params in ({"offset": FAR_TOO_BIG}, {"guests": FAR_TOO_BIG, "check_in": check_in}):
        assert_error(client.get("/api/search", params=params), 422, "invalid_input")
    # The largest id is a lookup like any other.
    assert_error(client.get(f"/api/hotels/{LARGEST}"), 404, "not_found")
    assert_error(client.get(f"/api/bookings/{LARGEST}", headers=guest), 404, "not_found")
    answer = client.post("/api/bookings", json={**hold, "room_type_id": LARGEST}, headers=guest)
    assert_error(answer, 404, "not_found")
    # Paging as far as a 64-bit offset goes finds nothing, in the index and in Meilisearch.
    far = client.get("/api/search", params={"offset": FAR_TOO_BIG - 1})
    assert far.status_code == 200 and far.json()["hits"] == [], far.text


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"room_type_id": "\xff"}',  # not UTF-8
        b"[" * 20_000,  # nested past the parser's recursion limit
        b'{"guests": 1' + b"0" * 5000 + b"}",  # an integer longer than Python parses
        b"null",
        b"[1, 2]",
        b'"text"',
    ],
)
def test_a_body_that_is_not_a_json_object_is_422(
    client: TestClient, guest: dict[str, str], body: bytes
) -> None:
    headers = {**guest, "Content-Type": "application/json"}
    answer = client.post("/api/bookings", content=body, headers=headers)
    assert_error(answer, 422, "invalid_input")


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "x"],
)
def test_a_body_that_is_not_json_is_422(
    client: TestClient, guest: dict[str, str], content_type: str
) -> None:
    headers = {**guest, "Content-Type": content_type}
    answer = client.post("/api/bookings", content=b"room_type_id=1", headers=headers)
    assert "Content-Type: application/json" in assert_error(answer, 422, "invalid_input")


def test_json_values_of_the_wrong_type_are_422(
    client: TestClient, ctx: Context, guest: dict[str, str], admin: dict[str, str]
) -> None:
    _, room_type_id = make_hotel(ctx, rooms=5)
    check_in, check_out = (d.isoformat() for d in stay())
    hold = {"room_type_id": room_type_id, "check_in": check_in, "check_out": check_out}
    for body in (
        {**hold, "guests": True},  # lax parsing took `true` for 1
        {**hold, "guests": "1"},
        {**hold, "guests": 1, "room_type_id": str(room_type_id)},
        {**hold, "guests": 1, "check_in": f"{check_in}T00:00:00"},
        {**hold, "guests": 1, "check_in": 1_900_000_000},
    ):
        assert_error(client.post("/api/bookings", json=body, headers=guest), 422, "invalid_input")
    for hotel in ({**HOTEL, "rating": False}, {**HOTEL, "lat": "41.1"}):
        answer = client.post("/api/admin/hotels", json=hotel, headers=admin)
        assert_error(answer, 422, "invalid_input")
    assert (
        client.post("/api/bookings", json={**hold, "guests": 1}, headers=guest).status_code == 201
    )


def test_a_body_over_the_limit_is_413_and_one_at_it_is_read(
    client: TestClient, admin: dict[str, str]
) -> None:
    headers = {**admin, "Content-Type": "application/json"}
    over = b'{"name": "' + b"x" * MAX_BODY_BYTES + b'"}'
    message = assert_error(
        client.post("/api/admin/hotels", content=over, headers=headers), 413, "body_too_large"
    )
    assert f"{MAX_BODY_BYTES // 1024} KiB" in message
    # A GET never reads its body, but a declared length over the limit is refused all the same.
    big_get = client.request("GET", "/api/hotels/1", content=over)
    assert_error(big_get, 413, "body_too_large")
    padding = MAX_BODY_BYTES - len(b'{"name": ""}')
    at_limit = b'{"name": "' + b"x" * padding + b'"}'
    assert len(at_limit) == MAX_BODY_BYTES
    answer = client.post("/api/admin/hotels", content=at_limit, headers=headers)
    assert_error(answer, 422, "invalid_input")  # read and validated: the name is too long


def test_the_largest_valid_hotel_is_under_the_limit(
    client: TestClient, admin: dict[str, str]
) -> None:
    """Every text field at its limit, in a character JSON encoders may escape as a surrogate pair
    (12 bytes), as Python's json.dumps does by default: still accepted, not a 413."""
    astral = "\U0001f3e8"  # HOTEL emoji
    hotel = {
        **HOTEL,
        "name": astral * 200,
        "city": astral * 120,
        "description": astral * 5000,
        "amenities": [f"{i:02d}" + astral * 48 for i in range(50)],
        "room_types": [{**ROOM, "name": f"{i:02d}" + astral * 118} for i in range(20)],
    }
    body = json.dumps(hotel).encode()  # ensure_ascii: every astral character is 12 bytes
    assert MAX_BODY_BYTES * 0.9 < len(body) <= MAX_BODY_BYTES
    headers = {**admin, "Content-Type": "application/json"}
    created = client.post("/api/admin/hotels", content=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["description"] == astral * 5000


def test_a_streamed_body_is_not_read_past_the_limit() -> None:
    """Without a Content-Length, the middleware counts chunks and stops at the first one past the
    limit, answering 413 itself when the app was not the one to answer."""
    chunk = b"x" * 1024
    received: list[int] = []
    sent: list[Message] = []

    async def receive() -> Message:
        received.append(len(chunk))
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: Message) -> None:
        sent.append(message)

    async def reads_everything(scope: Scope, receive: Receive, send: Send) -> None:
        while (await receive())["more_body"]:
            pass

    middleware = BodyLimitMiddleware(reads_everything)
    scope: Scope = {"type": "http", "method": "POST", "path": "/api/bookings", "headers": []}
    asyncio.run(middleware(scope, receive, send))
    assert sum(received) == MAX_BODY_BYTES + len(chunk)
    assert sent[0]["status"] == 413


def test_query_strings_repeated_unknown_or_not_utf8_are_422(
    client: TestClient, ctx: Context
) -> None:
    hotel_id, _ = make_hotel(ctx)
    check_in, check_out = (d.isoformat() for d in stay())
    dates = f"check_in={check_in}&check_out={check_out}"
    for query, says in (
        (f"{dates}&guests=1&guests=2", "repeated: guests"),
        (f"{dates}&gusets=2", "Unknown query parameter: gusets"),
        (f"{dates}&guests=%ff", "not valid UTF-8"),
    ):
        answer = client.get(f"/api/hotels/{hotel_id}?{query}")
        assert says in assert_error(answer, 422, "invalid_input")
    assert_error(client.get("/api/me?page=2"), 422, "invalid_input")  # before the 401
    assert client.get(f"/api/hotels/{hotel_id}?{dates}&guests=1").status_code == 200


def test_text_fields_take_their_limits_and_refuse_one_more(
    client: TestClient, admin: dict[str, str]
) -> None:
    at_limits: dict[str, Any] = {
        **HOTEL,
        "name": "n" * 200,
        "city": "c" * 120,
        "description": "d" * 5000,
        "amenities": [f"{i:02d}" + "a" * 48 for i in range(50)],
        "room_types": [{**ROOM, "name": f"{i:02d}" + "r" * 118} for i in range(20)],
    }
    created = client.post("/api/admin/hotels", json=at_limits, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["description"] == "d" * 5000
    for field, value in (
        ("name", "n" * 201),
        ("city", "c" * 121),
        ("description", "d" * 5001),
        ("amenities", at_limits["amenities"] + ["one-more"]),
        ("amenities", ["a" * 51]),
        ("amenities", [""]),
        ("room_types", [{**ROOM, "name": "r" * 121}]),
        ("room_types", [ROOM, ROOM]),  # the same name twice: which one would a PATCH change?
    ):
        answer = client.post("/api/admin/hotels", json={**HOTEL, field: value}, headers=admin)
        assert_error(answer, 422, "invalid_input")
    register = {"email": "ana@example.com", "password": "p" * 1024, "name": "N" * 200}
    assert client.post("/api/auth/register", json=register).status_code == 201
    too_long = {**register, "email": "bob@example.com", "name": "N" * 201}
    assert_error(client.post("/api/auth/register", json=too_long), 422, "invalid_input")


def test_nul_characters_in_stored_text_are_422(client: TestClient, admin: dict[str, str]) -> None:
    """PostgreSQL cannot store U+0000: before this rule, full mode answered these with a 500."""
    for hotel in ({**HOTEL, "name": "Casa\x00"}, {**HOTEL, "amenities": ["wi\x00fi"]}):
        answer = client.post("/api/admin/hotels", json=hotel, headers=admin)
        assert "NUL" in assert_error(answer, 422, "invalid_input")
    register = {"email": "ana@example.com", "password": "long-enough", "name": "A\x00"}
    assert_error(client.post("/api/auth/register", json=register), 422, "invalid_input")
    login = {"email": "ana\x00@example.com", "password": "long-enough"}
    assert_error(client.post("/api/auth/login", json=login), 422, "invalid_input")


def test_a_patch_cannot_set_a_required_field_to_null(
    client: TestClient, ctx: Context, admin: dict[str, str]
) -> None:
    hotel_id, _ = make_hotel(ctx)
    for field in ("name", "lat", "amenities", "cancellation_policy", "room_types"):
        answer = client.patch(f"/api/admin/hotels/{hotel_id}", json={field: None}, headers=admin)
        assert_error(answer, 422, "invalid_input")
    assert client.get(f"/api/hotels/{hotel_id}").json()["name"] == "Hotel Test"


def test_a_wrong_method_is_405_naming_every_method_of_the_path(client: TestClient) -> None:
    for path, allowed in (
        ("/api/bookings", "GET, HEAD, POST"),
        ("/api/bookings/1", "DELETE, GET, HEAD"),
        ("/api/admin/hotels/1", "DELETE, PATCH"),
    ):
        answer = client.request("PUT", path)
        assert_error(answer, 405, "method_not_allowed")
        assert answer.headers["Allow"] == allowed


def test_every_operation_documents_its_errors_with_the_error_body(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    error_ref = "#/components/schemas/ErrorOut"
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            label = f"{method.upper()} {path}"
            responses = operation["responses"]
            expected = {"413", "422", "503"}
            if operation.get("security"):
                expected.add("401")
            if path.startswith("/api/admin/"):
                expected.add("403")
            if "{" in path:
                expected.add("404")
            assert expected <= set(responses), label
            for status in expected - ({"503"} if path == "/api/health" else set()):
                schema = responses[status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": error_ref}, (label, status)
    assert {"401", "429"} <= set(spec["paths"]["/api/auth/login"]["post"]["responses"])
    assert "409" in spec["paths"]["/api/bookings"]["post"]["responses"]
    assert "409" in spec["paths"]["/api/checkout"]["post"]["responses"]
    assert "409" in spec["paths"]["/api/bookings/{booking_id}"]["delete"]["responses"]
    assert spec["components"]["schemas"]["ErrorOut"]["required"] == ["error"]
