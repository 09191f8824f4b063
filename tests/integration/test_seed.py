"""Seeding: bulk paths in both databases, deterministic with a seed, plausible data."""

from __future__ import annotations

from collections import Counter

from sqlmodel import select

from backend.context import Context
from backend.db import transaction
from backend.models import Hotel, RoomType
from backend.seed import generate, hotel_count, seed_hotels


def test_seed_inserts_hotels_with_one_to_five_room_types(ctx: Context) -> None:
    assert seed_hotels(ctx, 1_200, seed=7) == 1_200
    assert hotel_count(ctx.engine) == 1_200
    with transaction(ctx.engine) as session:
        room_types = session.exec(select(RoomType)).all()
        hotels = session.exec(select(Hotel)).all()
    per_hotel = Counter(rt.hotel_id for rt in room_types)
    assert set(per_hotel) == {h.id for h in hotels}
    assert set(per_hotel.values()) <= {1, 2, 3, 4, 5}
    assert all(1 <= rt.rooms <= 20 and rt.price > 0 for rt in room_types)
    assert all(-90 <= h.lat <= 90 and -180 <= h.lng <= 180 and 1 <= h.rating <= 5 for h in hotels)
    assert len({h.city for h in hotels}) > 100
    # A second seeding continues the ids instead of colliding with the first.
    assert seed_hotels(ctx, 10, seed=8) == 10
    assert hotel_count(ctx.engine) == 1_210


def _without_timestamps(chunks: list) -> list:
    return [[{k: v for k, v in h.items() if k != "updated_at"} for h in hs] for hs, _ in chunks]


def test_same_seed_same_data() -> None:
    strip = _without_timestamps
    first = list(generate(50, seed=3, first_hotel_id=1, first_room_type_id=1))
    second = list(generate(50, seed=3, first_hotel_id=1, first_room_type_id=1))
    other = list(generate(50, seed=4, first_hotel_id=1, first_room_type_id=1))

    assert strip(first) == strip(second)
    assert strip(first) != strip(other)
