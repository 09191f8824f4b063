"""Where the demo seed puts hotels: by population, capitals drawn harder, close to the centre.
(The same seed giving the same data: tests/integration/test_seed.py.)"""

from __future__ import annotations

import math
import random
from collections import Counter
from typing import Any

import pytest

from backend.seed import CAPITAL_DRAW, City, city_weights, generate, load_cities, place_near

DEMO = 10_000  # what `make run` seeds (TRINITY_DEMO_HOTELS)


@pytest.fixture(scope="module")
def demo() -> list[dict[str, Any]]:
    return [h for hotels, _ in generate(DEMO, seed=42, first_hotel_id=1, first_room_type_id=1) for h in hotels]  # fmt: skip


def km(a_lat: float, a_lng: float, b_lat: float, b_lng: float) -> float:
    dx = math.radians(b_lng - a_lng) * math.cos(math.radians((a_lat + b_lat) / 2))
    return 6371 * math.hypot(math.radians(b_lat - a_lat), dx)


def test_a_city_weighs_its_population_and_a_capital_more() -> None:
    cities = [
        City("Paris", "FR", 48.85, 2.35, 2_000_000, "EUR"),
        City("Lyon", "FR", 45.75, 4.85, 2_000_000, "EUR"),
        City("Bogota", "CO", 4.61, -74.08, 1_000_000, "COP"),  # geonames: "Bogotá"
        City("Bogotá", "CO", 4.61, -74.08, 1_000_000, "COP"),
    ]
    assert city_weights(cities) == [
        2_000_000 * CAPITAL_DRAW,
        2_000_000,
        1_000_000 * CAPITAL_DRAW,
        1_000_000 * CAPITAL_DRAW,
    ]


def test_hotels_sit_a_few_km_around_the_centre_wider_in_bigger_cities() -> None:
    rng = random.Random(1)
    town = City("Town", "FR", 45.0, 5.0, 150_000, "EUR")
    metropolis = City("Metropolis", "FR", 45.0, 5.0, 10_000_000, "EUR")
    spread = {}
    for city in (town, metropolis):
        distances = sorted(km(city.lat, city.lng, *place_near(rng, city)) for _ in range(2000))
        spread[city.name] = distances[len(distances) // 2]
    assert 0.5 < spread["Town"] < 2 < spread["Metropolis"] < 6


def test_the_demo_puts_dozens_of_hotels_in_central_paris_and_few_in_towns(
    demo: list[dict[str, Any]],
) -> None:
    per_city = Counter((h["city"], h["country"]) for h in demo)
    paris = [h for h in demo if (h["city"], h["country"]) == ("Paris", "FR")]
    central = [h for h in paris if km(48.8534, 2.3488, h["lat"], h["lng"]) < 6]
    assert len(paris) >= 24 and len(central) >= 20, (len(paris), len(central))
    assert per_city[("London", "GB")] >= 24
    towns = [c for c in load_cities() if c.population < 300_000]
    in_towns = [per_city[(c.name, c.country)] for c in towns]
    assert len(towns) > 900 and sum(in_towns) / len(towns) < 1  # most get none, or one
    assert len(per_city) > 1000  # still spread over the world
