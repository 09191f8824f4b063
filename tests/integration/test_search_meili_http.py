"""The Meilisearch adapter's read client: safe across threads, fast on a kept-alive connection."""

from __future__ import annotations

import os
import socket
import statistics
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from modes import MODES, full_settings

from backend.api.main import create_api
from backend.bootstrap import build_context
from backend.errors import Unavailable
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


def test_an_unreachable_engine_is_a_503_with_a_message(postgres_url: str) -> None:
    """Meilisearch down: the adapter says so as Unavailable, and the API answers 503, not 500."""
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    down = MeiliIndex(dead, None, "anything")
    with pytest.raises(Unavailable):
        down.ping()
    ctx = build_context(full_settings(postgres_url, meili_url=dead, search_cache_ttl_seconds=0))
    with TestClient(create_api(ctx), raise_server_exceptions=False) as client:
        response = client.get("/api/search", params={"q": "harbour"})
    ctx.close()
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == "unavailable" and "search engine" in error["message"]
