"""The Redis cache in front of search: hits, normalization, invalidation by version bump."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from search_fixtures import search_context

from backend.context import Context
from backend.search.cache import CachedSearch
from backend.search.grid import Grid
from backend.search.port import BoundingBox, SearchQuery
from backend.search.sync import sync_once
from backend.services.hotels import RoomTypeSpec, create_hotel, update_hotel

LISBON = {"ne_lat": 38.80001, "ne_lng": -9.0, "sw_lat": 38.6, "sw_lng": -9.3}


@pytest.fixture
def ctx(mode: str, settings_factory: Any) -> Iterator[Context]:
    yield from search_context(mode, settings_factory)


def drain(ctx: Context) -> None:
    while sync_once(ctx):
        pass


def stats(ctx: Context) -> dict[str, int]:
    assert isinstance(ctx.search, CachedSearch)
    return ctx.search.stats()


def add_hotel(ctx: Context, name: str, price: str) -> int:
    view = create_hotel(
        ctx,
        {"name": name, "city": "Lisbon", "country": "PT", "lat": 38.7, "lng": -9.14,
         "amenities": ["wifi", "pool"]},
        [RoomTypeSpec("Double", 2, 2, Decimal(price))],
    )  # fmt: skip
    return view.hotel.id or 0


def prices(client: TestClient, **params: Any) -> list[str]:
    response = client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    return [hit["price"] for hit in response.json()["hits"]]


def test_a_repeated_query_hits_and_near_identical_ones_share_a_key(
    client: TestClient, ctx: Context
) -> None:
    add_hotel(ctx, "Cache Inn", "88.00")
    drain(ctx)
    before = stats(ctx)
    assert prices(client, **LISBON, amenities="wifi,pool") == ["88.00"]
    assert stats(ctx)["misses"] == before["misses"] + 1
    assert prices(client, **LISBON, amenities="wifi,pool") == ["88.00"]
    # Same viewport within the snapping grid, amenities reordered, other case: one entry.
    jitter = {**LISBON, "ne_lat": 38.80004}
    assert prices(client, **jitter, amenities="POOL, wifi") == ["88.00"]
    after = stats(ctx)
    assert after["hits"] == before["hits"] + 2 and after["misses"] == before["misses"] + 1
    prices(client, **LISBON, amenities="wifi")  # a different query misses
    assert stats(ctx)["misses"] == before["misses"] + 2


def test_a_synced_change_invalidates_the_cached_result(client: TestClient, ctx: Context) -> None:
    hotel_id = add_hotel(ctx, "Cache Inn", "88.00")
    drain(ctx)
    assert prices(client, q="cache") == ["88.00"]
    update_hotel(ctx, hotel_id, {}, [RoomTypeSpec("Double", 2, 2, Decimal("95.00"))])
    assert prices(client, q="cache") == ["88.00"]  # served from the cache until the sync
    version = stats(ctx)["version"]
    drain(ctx)
    assert stats(ctx)["version"] > version
    assert prices(client, q="cache") == ["95.00"]


def test_area_counts_are_cached_and_invalidated_by_a_sync(ctx: Context) -> None:
    box = Grid.over(BoundingBox(**LISBON), 1)
    add_hotel(ctx, "Cache Inn", "88.00")
    drain(ctx)
    before = stats(ctx)
    [first] = ctx.search.count_areas(SearchQuery(), box)
    [again] = ctx.search.count_areas(SearchQuery(), box)
    assert first == again and first.count == 1
    after = stats(ctx)
    assert (after["hits"], after["misses"]) == (before["hits"] + 1, before["misses"] + 1)
    add_hotel(ctx, "Cache Annex", "90.00")
    drain(ctx)
    assert [a.count for a in ctx.search.count_areas(SearchQuery(), box)] == [2]


def test_search_works_with_redis_down(ctx: Context) -> None:
    add_hotel(ctx, "Cache Inn", "88.00")
    drain(ctx)
    # Configured like the app's client (bootstrap): refused connections fail at once.
    dead = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    assert isinstance(ctx.search, CachedSearch)
    degraded = CachedSearch(ctx.search.inner, dead, ttl_seconds=30, name="down")
    assert [h.name for h in degraded.search(SearchQuery(text="cache")).hits] == ["Cache Inn"]
    [area] = degraded.count_areas(SearchQuery(text="cache"), Grid.over(BoundingBox(**LISBON), 1))
    assert area.count == 1
    degraded.bump()  # logged, not raised


def test_health_reports_the_search_engine(client: TestClient) -> None:
    body = client.get("/api/health").json()
    assert body["components"]["search"] == "ok"
