"""The Meilisearch adapter's read client: safe across threads, fast on a kept-alive connection."""

from __future__ import annotations

import os
import statistics
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from modes import MODES

from backend.search.meili import MeiliIndex
from backend.search.port import BoundingBox, HotelDoc, SearchQuery, Sort

pytestmark = pytest.mark.skipif("full" not in MODES, reason="Meilisearch runs in full mode only")

BOX = BoundingBox(ne_lat=45.0, ne_lng=15.0, sw_lat=40.0, sw_lng=10.0)


def hotel(id: int) -> HotelDoc:
    return HotelDoc(
        id=id, name=f"Stay {id}", city="Alderton", country="GB", lat=40 + id % 50 / 10,
        lng=10 + id % 47 / 10, rating=3.5, amenities=["wifi", "pool"],
        description="Quiet rooms near the harbour, breakfast on the terrace. " * 4,
        currency="GBP", price_min=50 + id % 90, price_max=200, max_capacity=2,
    )  # fmt: skip


@pytest.fixture(scope="module")
def index() -> Iterator[MeiliIndex]:
    if not os.environ.get("MEILI_URL"):
        pytest.fail("Full-mode search tests need MEILI_URL (run `make test`).")
    meili = MeiliIndex(
        os.environ["MEILI_URL"], os.environ.get("MEILI_MASTER_KEY"), f"test_{uuid.uuid4().hex[:10]}"
    )
    meili.ensure_ready()
    meili.upsert([hotel(i) for i in range(1, 401)])
    yield meili
    meili.drop()


def test_searches_and_pings_from_many_threads_all_succeed(index: MeiliIndex) -> None:
    """The SDK shares one mutable headers dict between calls; ours must not mix requests up."""
    query = SearchQuery(bbox=BOX, sort=Sort.PRICE_ASC, limit=10)
    expected = [h.id for h in index.search(query).hits]
    failures: list[BaseException] = []
    wrong: list[list[int]] = []

    def searcher() -> None:
        for _ in range(40):
            try:
                got = [h.id for h in index.search(query).hits]
            except Exception as error:
                failures.append(error)
                continue
            if got != expected:
                wrong.append(got)

    def pinger() -> None:
        for _ in range(80):
            try:
                index.ping()
                index.count()
            except Exception as error:
                failures.append(error)

    threads = [threading.Thread(target=f) for f in (searcher, searcher, searcher, pinger, pinger)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == [] and wrong == []
    assert len(expected) == 10


def test_kept_alive_searches_never_wait_for_a_delayed_ack(index: MeiliIndex) -> None:
    """A gzipped answer on a kept-alive connection stalls 40 ms (server Nagle x client delayed
    ACK) on a large share of searches; uncompressed, a 100-hit page of 400 takes a few ms."""
    query = SearchQuery(bbox=BOX, sort=Sort.PRICE_ASC, limit=100)
    index.search(query)
    latencies = []
    for _ in range(40):
        started = time.perf_counter()
        assert len(index.search(query).hits) == 100
        latencies.append((time.perf_counter() - started) * 1000)
    assert statistics.median(latencies) < 30, sorted(latencies)
