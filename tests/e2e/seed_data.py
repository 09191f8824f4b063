"""The e2e server's own data: a few deterministic hotels and guests, written through the services.

Each booking test gets a hotel of its own (holds made by one test must not change another's
counts): the race uses a hotel with one room, the cancel test another one-room hotel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from backend.bootstrap import build_context
from backend.db import migrate
from backend.search.rebuilds import reindex
from backend.services import auth, hotels
from backend.services.hotels import RoomTypeSpec
from backend.settings import Mode, Settings

PASSWORD = "e2e-password-1"
PARIS_HOTELS = 45


@dataclass(frozen=True)
class Guest:
    email: str
    name: str
    password: str = PASSWORD
    token: str = ""


@dataclass
class SeededData:
    data_dir: Path
    hotels: dict[str, int] = field(default_factory=dict)  # key -> hotel id
    room_types: dict[str, int] = field(default_factory=dict)  # "<hotel key>/<room name>" -> id
    guests: dict[str, Guest] = field(default_factory=dict)


def _hotel(
    key: str,
    name: str,
    city: str,
    country: str,
    lat: float,
    lng: float,
    rating: float,
    amenities: list[str],
    rooms: list[tuple[str, int, int, str]],  # name, capacity, rooms, price
    description: str = "",
) -> tuple[str, dict[str, Any], list[RoomTypeSpec]]:
    fields = {
        "name": name,
        "city": city,
        "country": country,
        "lat": lat,
        "lng": lng,
        "rating": rating,
        "amenities": amenities,
        "currency": "EUR",
        "timezone": "Europe/Lisbon" if country == "PT" else "Europe/Madrid",
        "description": description or f"{name}: a friendly stay in {city}.",
    }
    specs = [RoomTypeSpec(n, cap, count, Decimal(price)) for n, cap, count, price in rooms]
    return key, fields, specs


HOTELS = [
    # Lisbon: the search tests' city (three hotels, distinct prices and amenities).
    _hotel(
        "alfama", "Alfama Riverside", "Lisbon", "PT", 38.7114, -9.1302, 4.5,
        ["breakfast", "sea_view", "wifi"],
        [("Double", 2, 6, "95.00"), ("Family", 4, 2, "160.00")],
        "Tiled rooms above the river in Lisbon's oldest quarter, a short walk from the castle.",
    ),
    _hotel(
        "baixa", "Baixa Grand Hotel", "Lisbon", "PT", 38.7107, -9.1385, 4.8,
        ["gym", "pool", "spa", "wifi"],
        [("Suite", 3, 4, "240.00"), ("Double", 2, 8, "180.00")],
    ),
    _hotel(
        "belem", "Belém Budget Inn", "Lisbon", "PT", 38.6970, -9.2060, 3.6,
        ["wifi"],
        [("Twin", 2, 10, "55.00")],
    ),
    # Porto: a map pan from Lisbon to here changes the results.
    _hotel(
        "ribeira", "Ribeira Lodge", "Porto", "PT", 41.1405, -8.6132, 4.2,
        ["breakfast", "wifi"],
        [("Double", 2, 5, "80.00")],
    ),
    # Booking tests, one hotel each (Sintra, Évora, Óbidos are far from Lisbon's centre).
    _hotel(
        "hold", "Óbidos Castle Inn", "Óbidos", "PT", 39.3606, -9.1571, 4.4,
        ["breakfast", "parking", "wifi"],
        [("Double", 2, 3, "120.00")],
    ),
    _hotel(
        "race", "Sintra Hideaway", "Sintra", "PT", 38.7979, -9.3906, 4.7,
        ["parking", "wifi"],
        [("Double", 2, 1, "130.00")],
    ),
    _hotel(
        "cancel", "Évora Courtyard", "Évora", "PT", 38.5714, -7.9087, 4.1,
        ["pool", "wifi"],
        [("Double", 2, 1, "90.00")],
    ),
    _hotel(
        "checkout", "Madrid Plaza Rooms", "Madrid", "ES", 40.4168, -3.7038, 4.0,
        ["air_conditioning", "wifi"],
        [("Double", 2, 20, "110.00")],
    ),
    # The refund path: one room, taken by another guest while the first one's payment runs.
    _hotel(
        "refund", "Granada Alhambra Rooms", "Granada", "ES", 37.1773, -3.5986, 4.3,
        ["wifi"],
        [("Double", 2, 1, "100.00")],
    ),
    # The admin test renames this one (nothing else looks at Seville).
    _hotel(
        "admin", "Seville Patio House", "Seville", "ES", 37.3891, -5.9845, 4.0,
        ["breakfast", "wifi"],
        [("Double", 2, 4, "85.00")],
    ),
    # Paris: more hotels than a page (PAGE_SIZE 30) on a 9 x 5 grid over the city, for the map's
    # clusters and "Show more" (nothing else looks at Paris).
    *(
        _hotel(
            f"paris{n}", f"Paris Stay {n}", "Paris", "FR",
            48.83 + (n % 5) * 0.01, 2.25 + (n // 5) * 0.02, 4.0,
            ["wifi"],
            [("Double", 2, 5, f"{100 + n}.00")],
        )
        for n in range(PARIS_HOTELS)
    ),
]  # fmt: skip

GUESTS = {
    "alice": Guest("alice@example.com", "Alice Traveller"),
    "bob": Guest("bob@example.com", "Bob Wanderer"),
    "dora": Guest("dora@example.com", "Dora Nomad"),
}
ADMIN = Guest("admin@example.com", "Ada Admin")


def settings_for(data_dir: Path) -> Settings:
    return Settings(mode=Mode.LOCAL, data_dir=data_dir)


def seed(data_dir: Path, settings: Settings | None = None) -> SeededData:
    """Migrate a fresh database (SQLite in `data_dir` unless `settings` name another) and fill it,
    the search index included."""
    settings = settings or settings_for(data_dir)
    migrate(settings.sqlalchemy_url)
    ctx = build_context(settings)
    data = SeededData(data_dir=data_dir)
    try:
        for key, fields, specs in HOTELS:
            view = hotels.create_hotel(ctx, fields, specs)
            data.hotels[key] = view.hotel.id or 0
            for room in view.room_types:
                data.room_types[f"{key}/{room.name}"] = room.id
        reindex(ctx, lambda _done: None)  # the search index, before the server starts
        for key, guest in GUESTS.items():
            token, _ = auth.register(ctx, guest.email, guest.password, guest.name)
            data.guests[key] = Guest(guest.email, guest.name, guest.password, token)
        auth.ensure_user(ctx, ADMIN.email, ADMIN.password, ADMIN.name, is_admin=True)
        token, _ = auth.login(ctx, ADMIN.email, ADMIN.password)
        data.guests["admin"] = Guest(ADMIN.email, ADMIN.name, ADMIN.password, token)
    finally:
        ctx.engine.dispose()
    return data
