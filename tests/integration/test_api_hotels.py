"""Hotel page data and admin edits per API.md, with their error paths."""

from __future__ import annotations

from factories import bearer, make_hotel, make_user, stay
from fastapi.testclient import TestClient

from backend.context import Context

NEW_HOTEL = {
    "name": "Casa Nova",
    "city": "Porto",
    "country": "PT",
    "lat": 41.15,
    "lng": -8.61,
    "rating": 4.5,
    "amenities": ["wifi", "breakfast"],
    "description": "Tiles and port wine.",
    "currency": "EUR",
    "cancellation_policy": "moderate",
    "room_types": [{"name": "Double", "capacity": 2, "rooms": 4, "price": "95.50"}],
}


def test_hotel_with_and_without_dates(client: TestClient, ctx: Context) -> None:
    hotel_id, room_type_id = make_hotel(ctx, rooms=3, capacity=2)
    plain = client.get(f"/api/hotels/{hotel_id}")
    assert plain.status_code == 200
    body = plain.json()
    assert body["name"] == "Hotel Test" and body["amenities"] == ["wifi", "pool"]
    assert body["room_types"][0]["available"] is None
    check_in, check_out = stay()
    dated = client.get(
        f"/api/hotels/{hotel_id}",
        params={"check_in": check_in.isoformat(), "check_out": check_out.isoformat()},
    ).json()
    assert dated["room_types"] == [
        {
            "id": room_type_id,
            "name": "Double",
            "capacity": 2,
            "rooms": 3,
            "price": "120.00",
            "available": 3,
            "total_price": f"{120 * (check_out - check_in).days}.00",
            "display_price": "120.00",
            "display_total_price": f"{120 * (check_out - check_in).days}.00",
        }
    ]
    assert (dated["display_currency"], dated["approximate"]) == ("EUR", False)
    too_many_guests = client.get(
        f"/api/hotels/{hotel_id}",
        params={"check_in": check_in.isoformat(), "check_out": check_out.isoformat(), "guests": 3},
    ).json()
    assert too_many_guests["room_types"] == []


def test_hotel_errors(client: TestClient, ctx: Context) -> None:
    hotel_id, _ = make_hotel(ctx)
    missing = client.get("/api/hotels/424242")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    check_in, check_out = stay()
    for params in (
        {"check_in": check_in.isoformat()},
        {"check_in": check_out.isoformat(), "check_out": check_in.isoformat()},
        {"check_in": "yesterday", "check_out": check_out.isoformat()},
    ):
        response = client.get(f"/api/hotels/{hotel_id}", params=params)
        assert response.status_code == 422, params
        assert response.json()["error"]["code"] == "invalid_input"
    assert client.get("/api/hotels/not-a-number").status_code == 422


def test_admin_creates_edits_and_deletes_a_hotel(client: TestClient, ctx: Context) -> None:
    admin, _ = make_user(ctx, "boss@example.com", admin=True)
    created = client.post("/api/admin/hotels", json=NEW_HOTEL, headers=bearer(admin))
    assert created.status_code == 201, created.text
    hotel_id = created.json()["id"]
    assert created.json()["room_types"][0]["price"] == "95.50"

    patched = client.patch(
        f"/api/admin/hotels/{hotel_id}",
        json={
            "name": "Casa Nova Riverside",
            "room_types": [{"name": "Double", "capacity": 2, "rooms": 5, "price": "110"}],
        },
        headers=bearer(admin),
    )
    assert patched.status_code == 200
    assert patched.json()["name"] == "Casa Nova Riverside"
    assert patched.json()["room_types"][0]["price"] == "110.00"
    assert patched.json()["room_types"][0]["rooms"] == 5
    assert client.get(f"/api/hotels/{hotel_id}").json()["name"] == "Casa Nova Riverside"

    assert client.delete(f"/api/admin/hotels/{hotel_id}", headers=bearer(admin)).status_code == 204
    assert client.get(f"/api/hotels/{hotel_id}").status_code == 404
    again = client.delete(f"/api/admin/hotels/{hotel_id}", headers=bearer(admin))
    assert again.status_code == 404


def test_admin_errors(client: TestClient, ctx: Context) -> None:
    guest, _ = make_user(ctx)
    admin, _ = make_user(ctx, "boss@example.com", admin=True)
    assert client.post("/api/admin/hotels", json=NEW_HOTEL).status_code == 401
    forbidden = client.post("/api/admin/hotels", json=NEW_HOTEL, headers=bearer(guest))
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "forbidden"
    for bad in (
        {**NEW_HOTEL, "lat": 91},
        {**NEW_HOTEL, "name": ""},
        {**NEW_HOTEL, "cancellation_policy": "whenever"},
        {**NEW_HOTEL, "stars": 5},
        {**NEW_HOTEL, "room_types": [{"name": "X", "capacity": 0, "rooms": 1, "price": "1"}]},
    ):
        response = client.post("/api/admin/hotels", json=bad, headers=bearer(admin))
        assert response.status_code == 422, bad
        assert response.json()["error"]["code"] == "invalid_input"
    assert (
        client.patch("/api/admin/hotels/999", json={"name": "x"}, headers=bearer(admin)).status_code
        == 404
    )
    hotel_id, _ = make_hotel(ctx)
    assert (
        client.patch(
            f"/api/admin/hotels/{hotel_id}", json={"lng": 200}, headers=bearer(admin)
        ).status_code
        == 422
    )
    assert client.get(f"/api/hotels/{hotel_id}").json()["lng"] == -9.14
