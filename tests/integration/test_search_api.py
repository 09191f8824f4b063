"""GET /api/search per API.md, in both modes (embedded index / Meilisearch)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from factories import stay
from fastapi.testclient import TestClient
from search_fixtures import search_context
from sqlmodel import col, select

from backend.context import Context
from backend.db import transaction
from backend.inventory import nights
from backend.models import RoomInventory, RoomType
from backend.search.sync import sync_once
from backend.services.hotels import RoomTypeSpec, create_hotel

HIT_FIELDS = {
    "id",
    "name",
    "city",
    "country",
    "lat",
    "lng",
    "price",
    "currency",
    "rating",
    "amenities",
    "total_price",
    "nights",
    "display_currency",
    "display_price",
    "display_total_price",
    "approximate",
}


@pytest.fixture
def ctx(mode: str, settings_factory: Any) -> Iterator[Context]:
    yield from search_context(mode, settings_factory)


def drain(ctx: Context) -> None:
    while sync_once(ctx):
        pass


def hotel(
    ctx: Context,
    name: str,
    lat: float,
    lng: float,
    rooms: list[tuple[str, int, int, str]],
    **fields: Any,
) -> tuple[int, list[int]]:
    """rooms: (name, capacity, count, price); returns (hotel id, room type ids)."""
    body = {
        "name": name, "city": "Lisbon", "country": "PT", "lat": lat, "lng": lng, "rating": 4.0,
        "amenities": ["wifi"], "description": "Near the river.", "currency": "EUR",
    }  # fmt: skip
    body.update(fields)
    specs = [RoomTypeSpec(n, c, r, Decimal(p)) for n, c, r, p in rooms]
    view = create_hotel(ctx, body, specs)
    return view.hotel.id or 0, [rt.id for rt in view.room_types]


def book_out(ctx: Context, room_type_id: int, total: int, check_in: Any, check_out: Any) -> None:
    """Every room of the type reserved on the stay's last night (the others stay free)."""
    with transaction(ctx.engine) as session:
        last = nights(check_in, check_out)[-1]
        session.add(
            RoomInventory(room_type_id=room_type_id, night=last, total=total, reserved=total)
        )


def search(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


BAD_INPUT: list[dict[str, Any]] = [
    {"ne_lat": 1, "ne_lng": 1, "sw_lat": 0},  # half a viewport
    {"ne_lat": 1},
    {"ne_lat": 0, "ne_lng": 1, "sw_lat": 1, "sw_lng": 0},  # inverted latitudes
    {"ne_lat": 1, "ne_lng": 0, "sw_lat": 0, "sw_lng": 1},  # inverted longitudes
    {"ne_lat": 91, "ne_lng": 1, "sw_lat": 0, "sw_lng": 0},
    {"ne_lat": 1, "ne_lng": 1, "sw_lat": -90.5, "sw_lng": 0},
    {"ne_lat": 1, "ne_lng": 181, "sw_lat": 0, "sw_lng": 0},
    {"ne_lat": 1, "ne_lng": 1, "sw_lat": 0, "sw_lng": -180.01},
    {"ne_lat": "nan", "ne_lng": 1, "sw_lat": 0, "sw_lng": 0},
    {"ne_lat": "north", "ne_lng": 1, "sw_lat": 0, "sw_lng": 0},
    {"min_price": 100, "max_price": 50},
    {"min_price": -1},
    {"check_in": "2031-05-02", "check_out": "2031-05-02"},
    {"check_in": "2031-05-03", "check_out": "2031-05-02"},
    {"check_in": "2031-05-03"},
    {"check_in": "2020-01-01", "check_out": "2020-01-03"},  # in the past
    {"check_in": "soon", "check_out": "2031-05-02"},
    {"guests": 0},
    {"limit": 0},
    {"limit": 101},
    {"limit": "many"},
    {"offset": -1},
    {"sort": "cheapest"},
    {"q": "x" * 201},
    {"min_price": ""},
    {"guests": ""},
    {"limit": "9" * 5000},
    {"offset": 2**63},  # past SQLite's INTEGER: was a 500
    {"offset": -(2**63) - 1},
    {"clusters": -1},
    {"clusters": 13},
    {"clusters": "some"},
]


def test_bad_input_is_422_invalid_input(client: TestClient) -> None:
    for params in BAD_INPUT:
        response = client.get("/api/search", params=params)
        assert response.status_code == 422, (params, response.text)
        error = response.json()["error"]
        assert error["code"] == "invalid_input" and error["message"], params


def test_the_query_parameters_are_documented(client: TestClient) -> None:
    operation = client.get("/api/openapi.json").json()["paths"]["/api/search"]["get"]
    documented = {p["name"]: p for p in operation["parameters"]}
    assert set(documented) == {
        "ne_lat", "ne_lng", "sw_lat", "sw_lng", "q", "min_price", "max_price", "amenities",
        "check_in", "check_out", "guests", "sort", "limit", "offset", "clusters",
        "currency",
    }  # fmt: skip
    assert all(p["in"] == "query" and not p["required"] for p in documented.values())
    assert documented["check_in"]["schema"]["format"] == "date"  # a query string has no null
    assert documented["offset"]["schema"]["maximum"] == 2**63 - 1
    assert {"200", "413", "422", "503"} <= set(operation["responses"])


def test_a_repeated_or_unknown_parameter_is_422(client: TestClient, ctx: Context) -> None:
    hotel(ctx, "Casa Unica", 38.70, -9.14, [("Double", 2, 3, "120.00")])
    drain(ctx)
    for params, named in (
        ([("q", "nowhere"), ("q", "Unica")], "repeated: q"),
        ([("q", "Unica"), ("utm_source", "mail")], "utm_source"),
        ([("q", "Unica"), ("min_prise", "10")], "min_prise"),
    ):
        response = client.get("/api/search", params=params)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "invalid_input" and named in error["message"]
    alone = client.get("/api/search", params=[("q", "Unica")])
    assert [h["name"] for h in alone.json()["hits"]] == ["Casa Unica"]


def test_search_by_viewport_text_price_amenities_and_sort(client: TestClient, ctx: Context) -> None:
    a, _ = hotel(
        ctx,
        "Casa Azul",
        38.70,
        -9.14,
        [("Double", 2, 3, "120.00")],
        amenities=["wifi", "pool"],
        rating=4.8,
    )
    b, _ = hotel(
        ctx, "Tejo Rooms", 38.72, -9.15, [("Single", 1, 2, "60.50"), ("Double", 2, 1, "80.00")]
    )
    c, _ = hotel(ctx, "Porto Sleep", 41.15, -8.61, [("Double", 2, 2, "70.00")], city="Porto")
    hotel(ctx, "Empty Shell", 38.71, -9.14, [])  # no room types: nothing to book, not listed
    drain(ctx)
    lisbon = {"ne_lat": 38.8, "ne_lng": -9.0, "sw_lat": 38.6, "sw_lng": -9.3}

    body = search(client, **lisbon)
    assert body["total"] == 2 and body["total_exact"] is True and body["took_ms"] >= 0
    assert {h["id"] for h in body["hits"]} == {a, b}
    first = next(h for h in body["hits"] if h["id"] == b)
    assert set(first) == HIT_FIELDS
    assert first["price"] == "60.50" and first["currency"] == "EUR" and first["city"] == "Lisbon"

    assert [h["id"] for h in search(client, **lisbon, sort="price_asc")["hits"]] == [b, a]
    assert [h["id"] for h in search(client, **lisbon, sort="price_desc")["hits"]] == [a, b]
    assert search(client, sort="rating_desc")["hits"][0]["id"] == a
    assert [h["id"] for h in search(client, q="azu")["hits"]] == [a]
    assert [h["id"] for h in search(client, q="port")["hits"]] == [c]
    assert {h["id"] for h in search(client, min_price=65, max_price=100)["hits"]} == {c}
    assert [h["id"] for h in search(client, amenities="pool,WIFI")["hits"]] == [a]
    assert search(client, ne_lat=1, ne_lng=1, sw_lat=0, sw_lng=0) == {
        "hits": [], "total": 0, "total_exact": True, "took_ms": pytest.approx(0, abs=1000),
        "clusters": [],
    }  # fmt: skip
    paged = [
        search(client, sort="price_asc", limit=1, offset=o)["hits"][0]["id"] for o in (0, 1, 2)
    ]
    assert paged == [b, c, a]


def test_dates_and_guests_use_availability_and_fitting_prices(
    client: TestClient, ctx: Context
) -> None:
    check_in, check_out = stay(days_ahead=20, nights=3)
    dates = {"check_in": check_in.isoformat(), "check_out": check_out.isoformat()}
    a, (a_double, _) = hotel(
        ctx, "Alfama House", 38.71, -9.13, [("Double", 2, 1, "100.00"), ("Family", 4, 1, "200.00")]
    )
    b, (b_double,) = hotel(ctx, "Baixa Flat", 38.71, -9.14, [("Double", 2, 1, "90.00")])
    drain(ctx)

    both = search(client, **dates, guests=2, sort="price_asc")
    assert [(h["id"], h["price"]) for h in both["hits"]] == [(b, "90.00"), (a, "100.00")]

    book_out(ctx, b_double, 1, check_in, check_out)  # Baixa's only room is taken one night
    booked = search(client, **dates, guests=2)
    assert [(h["id"], h["price"]) for h in booked["hits"]] == [(a, "100.00")] and booked[
        "total"
    ] == 1
    later = {
        "check_in": (check_in + timedelta(days=7)).isoformat(),
        "check_out": (check_out + timedelta(days=7)).isoformat(),
    }
    assert search(client, **later)["total"] == 2  # other nights are free

    family = search(client, **dates, guests=3)
    assert [(h["id"], h["price"]) for h in family["hits"]] == [(a, "200.00")]
    book_out(ctx, a_double, 1, check_in, check_out)
    # Alfama's cheapest free room for two is now the family room.
    assert [(h["id"], h["price"]) for h in search(client, **dates, guests=2)["hits"]] == [
        (a, "200.00")
    ]
    # Guests without dates: the fitting price, no availability check.
    assert [(h["id"], h["price"]) for h in search(client, guests=4)["hits"]] == [(a, "200.00")]
    # The budget applies to the price shown: 150..250 keeps Alfama (200) only with dates.
    assert search(client, **dates, min_price=150, max_price=250)["total"] == 1
    assert search(client, **later, min_price=150, max_price=250)["total"] == 0


def test_total_and_pages_are_counted_after_availability(client: TestClient, ctx: Context) -> None:
    check_in, check_out = stay(days_ahead=5, nights=2)
    dates = {"check_in": check_in.isoformat(), "check_out": check_out.isoformat()}
    ids = []
    for n in range(6):
        hotel_id, (room,) = hotel(
            ctx, f"Row {n}", 38.7 + n / 1000, -9.1, [("Double", 2, 1, f"{50 + n}.00")]
        )
        ids.append(hotel_id)
        if n % 2:
            book_out(ctx, room, 1, check_in, check_out)
    drain(ctx)
    free = [ids[0], ids[2], ids[4]]
    pages = [search(client, **dates, sort="price_asc", limit=2, offset=o) for o in (0, 2, 4)]
    assert [p["total"] for p in pages] == [3, 3, 3]
    assert [h["id"] for p in pages for h in p["hits"]] == free
    assert pages[2]["hits"] == []


# A grid of 4 x 5 hotels over Lisbon, 0.05 degrees apart, and one far off in Porto.
LISBON = {"ne_lat": 38.8, "ne_lng": -9.0, "sw_lat": 38.6, "sw_lng": -9.3}


def crowd(ctx: Context) -> dict[int, tuple[float, float]]:
    places = {}
    for n in range(20):
        lat, lng = 38.62 + (n % 4) * 0.05, -9.28 + (n // 4) * 0.05
        hotel_id, _ = hotel(ctx, f"Grid {n}", lat, lng, [("Double", 2, 1, f"{60 + n}.00")])
        places[hotel_id] = (lat, lng)
    hotel(ctx, "Porto Far", 41.15, -8.61, [("Double", 2, 1, "70.00")], city="Porto")
    drain(ctx)
    return places


def inside(cluster: dict[str, Any], lat: float, lng: float) -> bool:
    return (
        cluster["sw_lat"] <= lat <= cluster["ne_lat"]
        and cluster["sw_lng"] <= lng <= cluster["ne_lng"]
    )


def assert_clusters_hold(clusters: list[dict[str, Any]], places: list[tuple[float, float]]) -> None:
    """Every place lies in exactly one cluster, each cluster counts its places, at their mean."""
    assert sum(c["count"] for c in clusters) == len(places)
    for cluster in clusters:
        mine = [(lat, lng) for lat, lng in places if inside(cluster, lat, lng)]
        assert cluster["count"] == len(mine) and cluster["count_exact"] is True
        assert cluster["lat"] == pytest.approx(sum(p[0] for p in mine) / len(mine), abs=1e-5)
        assert cluster["lng"] == pytest.approx(sum(p[1] for p in mine) / len(mine), abs=1e-5)


def test_clusters_count_every_hit_of_the_viewport_beyond_the_page(
    client: TestClient, ctx: Context
) -> None:
    places = crowd(ctx)
    body = search(client, **LISBON, limit=5, clusters=4)
    assert body["total"] == 20 and len(body["hits"]) == 5
    clusters = body["clusters"]
    assert 1 < len(clusters) <= 4 * 12
    assert_clusters_hold(clusters, list(places.values()))
    # The page's own hits are counted too: each lies in one of the clusters.
    for hit in body["hits"]:
        assert sum(inside(c, hit["lat"], hit["lng"]) for c in clusters) == 1
    # Text and filters narrow the clusters as they narrow the hits.
    cheap = search(client, **LISBON, max_price=64, limit=2, clusters=4)
    assert sum(c["count"] for c in cheap["clusters"]) == cheap["total"] == 5
    # Without a viewport the grid covers the world: Porto is counted too.
    world = search(client, limit=5, clusters=3)
    assert sum(c["count"] for c in world["clusters"]) == 21


def test_no_clusters_when_the_page_holds_every_hit_or_none_are_asked(
    client: TestClient, ctx: Context
) -> None:
    crowd(ctx)
    assert search(client, **LISBON, limit=20, clusters=4)["clusters"] == []
    assert search(client, **LISBON, limit=5)["clusters"] == []
    # A later page still has hits elsewhere: its clusters are there when asked.
    later = search(client, **LISBON, limit=20, offset=5, clusters=4)
    assert sum(c["count"] for c in later["clusters"]) == 20


def test_with_dates_the_clusters_count_only_hotels_free_for_the_stay(
    client: TestClient, ctx: Context
) -> None:
    places = crowd(ctx)
    check_in, check_out = stay(days_ahead=9, nights=2)
    dates = {"check_in": check_in.isoformat(), "check_out": check_out.isoformat()}
    full = list(places)[:6]
    with transaction(ctx.engine) as session:
        rooms = session.exec(select(RoomType).where(col(RoomType.hotel_id).in_(full))).all()
    for room in rooms:
        book_out(ctx, room.id or 0, 1, check_in, check_out)
    body = search(client, **LISBON, **dates, limit=3, clusters=4)
    assert body["total"] == 14
    free = [place for hotel_id, place in places.items() if hotel_id not in full]
    assert_clusters_hold(body["clusters"], free)
