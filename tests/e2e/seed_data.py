"""The browser suite's own data: a few deterministic hotels and guests, made through the public API.

Each booking test gets a hotel of its own (holds made by one test must not change another's
counts): the race uses a hotel with one room, the cancel test another one-room hotel.

The same calls seed the suite's own server and any deployment (TRINITY_E2E_URL), so nothing may
collide with an earlier run there or with the deployment's own data: every run has a `tag` (a
made-up word) in its guests' emails and its hotels' descriptions, and the search tests ask for it.
The admin tests' hotel, found by name in the admin table, carries it in its name too.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from api_client import Api

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
    data_dir: Path | None  # the suite's own server's data dir; None against TRINITY_E2E_URL
    hotels: dict[str, int] = field(default_factory=dict)  # key -> hotel id
    room_types: dict[str, int] = field(default_factory=dict)  # "<hotel key>/<room name>" -> id
    guests: dict[str, Guest] = field(default_factory=dict)
    tag: str = ""  # this run's word: in every email and hotel description it made
    names: dict[str, str] = field(default_factory=dict)  # key -> hotel name as created

    def email(self, local_part: str) -> str:
        """An address of this run's own (registering it again on the same deployment is 409)."""
        return f"{local_part}-{self.tag}@example.com"


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
) -> tuple[str, dict[str, Any]]:
    body = {
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
        "room_types": [
            {"name": n, "capacity": cap, "rooms": count, "price": price}
            for n, cap, count, price in rooms
        ],
    }
    return key, body


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
# Hotels the admin tests find by name in the admin table (which matches name or city only).
NAME_TAGGED = {"admin"}


def new_tag() -> str:
    """A word no deployment has: 'zq' and six random letters (letters only, one search token)."""
    return "zq" + "".join(random.choices(string.ascii_lowercase, k=6))


def seed(api: Api, admin: Guest, data_dir: Path | None = None, tag: str = "") -> SeededData:
    """Fill a running app through its API: this run's hotels (searchable before it returns), its
    guests (logged in) and the admin's token (`admin` must exist there already)."""
    data = SeededData(data_dir=data_dir, tag=tag or new_tag())
    admin_token = api.login(admin.email, admin.password)
    data.guests["admin"] = Guest(admin.email, admin.name, admin.password, admin_token)
    for key, body in HOTELS:
        name = f"{body['name']} {data.tag}" if key in NAME_TAGGED else body["name"]
        description = f"{body['description']} (e2e run {data.tag})"
        hotel = api.create_hotel(admin_token, {**body, "name": name, "description": description})
        data.hotels[key] = hotel["id"]
        data.names[key] = name
        for room in hotel["room_types"]:
            data.room_types[f"{key}/{room['name']}"] = room["id"]
    for key, guest in GUESTS.items():
        email = data.email(guest.email.split("@")[0])
        token = api.register(email, guest.password, guest.name)
        data.guests[key] = Guest(email, guest.name, guest.password, token)
    api.wait_until_found(data.tag, len(HOTELS))
    return data
