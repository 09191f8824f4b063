"""The search cache never serves a result computed before a write it was told about."""

from __future__ import annotations

from collections.abc import Callable

import fakeredis

from backend.search.cache import CachedSearch
from backend.search.port import HotelDoc, SearchQuery, SearchResult


def hotel(id: int) -> HotelDoc:
    return HotelDoc(
        id=id, name=f"Stay {id}", city="Faro", country="PT", lat=37.0, lng=-7.9, rating=4.0,
        amenities=["wifi"], description="", currency="EUR", price_min=50.0, price_max=90.0,
        max_capacity=2,
    )  # fmt: skip


class ListIndex:
    """An in-memory index answering with its current hotels; `during_search` runs mid-query."""

    def __init__(self) -> None:
        self.hotels = [hotel(1)]
        self.searches = 0
        self.during_search: Callable[[], None] = lambda: None

    def search(self, query: SearchQuery) -> SearchResult:
        self.searches += 1
        answer = list(self.hotels)  # read before the write below lands, as a slow query would
        self.during_search()
        return SearchResult(hits=answer, total=len(answer))


def cache_over(index: ListIndex) -> CachedSearch:
    client = fakeredis.FakeRedis(server=fakeredis.FakeServer(), decode_responses=True)
    return CachedSearch(index, client, 300, "unit")  # type: ignore[arg-type]


def test_a_result_read_before_a_bump_is_never_served_after_it() -> None:
    index = ListIndex()
    cache = cache_over(index)

    def write_lands() -> None:
        index.hotels = [hotel(1), hotel(2)]
        cache.bump()
        index.during_search = lambda: None

    index.during_search = write_lands
    assert [h.id for h in cache.search(SearchQuery()).hits] == [1]  # stale, stored under v0
    assert [h.id for h in cache.search(SearchQuery()).hits] == [1, 2]  # v1: asks the index
    assert [h.id for h in cache.search(SearchQuery()).hits] == [1, 2]  # now a hit
    assert index.searches == 2
    assert cache.stats() == {"hits": 1, "misses": 2, "version": 1}


def test_equal_queries_share_an_entry_and_different_ones_do_not() -> None:
    index = ListIndex()
    cache = cache_over(index)
    cache.search(SearchQuery(text="faro"))
    cache.search(SearchQuery(text="faro"))
    cache.search(SearchQuery(text="lagos"))
    assert index.searches == 2
    assert cache.stats()["hits"] == 1
