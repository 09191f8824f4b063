"""Map-search latency at scale: every engine on the same query mix, in the same run.

    make services-up && source .run/services/env && uv run python -m bench.search --hotels 1000000

Seeds N hotels into a fresh PostgreSQL database (COPY, as `trinity seed`), builds both search
adapters from it (Meilisearch via swap-indexes rebuild; the embedded SQLite file),
then runs one list of realistic queries (a city- or region-sized viewport, a price range, 0-2
amenities, cheapest first, top 20) against:

  postgres scan   the same filter in SQL on a denormalized table, no spatial index (the seed's
                  "slow" path)
  postgis gist    the same table with a geometry column and a GiST index
  sqlite scan     the embedded index's docs table, no index (its spots table is the spatial one)
  embedded        backend.search.embedded.EmbeddedIndex.search (local mode's adapter); also its
                  region-zoom queries alone, the tail
  meilisearch     backend.search.meili.MeiliIndex.search over HTTP (full mode's adapter); also
                  its region-zoom queries alone
  meili + cache   the same through backend.search.cache (real Redis), repeated queries: all hits
  GET /api/search the whole service over HTTP (granian, 1 worker), full and local mode,
                  cache off, then on (repeats); the load generator is http.client on one
                  kept-alive connection: httpx spent 1.0-1.3 ms of CPU per request here (vs 0.3),
                  on the same 2 cores as the server it measures
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import redis
from sqlalchemy import Engine, text

from backend.bootstrap import hotel_loader
from backend.db import make_engine, migrate
from backend.search.cache import CachedSearch
from backend.search.documents import all_documents
from backend.search.embedded import EmbeddedIndex
from backend.search.meili import MeiliIndex
from backend.search.port import BoundingBox, SearchQuery, Sort
from backend.seed import AMENITIES, load_cities, load_hotels
from bench.common import api_server, fresh_database, percentile

INDEX = "bench_search"


def make_queries(count: int, seed: int) -> list[SearchQuery]:
    rng = random.Random(seed)
    cities = load_cities()
    weights = [c.population**0.6 for c in cities]
    queries = []
    for city in rng.choices(cities, weights=weights, k=count):
        half = 0.05 if rng.random() < 0.7 else 1.0  # city zoom (~11 km) or region zoom (~220 km)
        low = rng.choice([None, 40.0, 60.0, 80.0])
        queries.append(
            SearchQuery(
                bbox=BoundingBox(
                    ne_lat=min(90.0, city.lat + half),
                    ne_lng=min(180.0, city.lng + half * 1.4),
                    sw_lat=max(-90.0, city.lat - half),
                    sw_lng=max(-180.0, city.lng - half * 1.4),
                ),
                min_price=low,
                max_price=None if low is None else low + rng.choice([60.0, 120.0, 300.0]),
                amenities=tuple(sorted(rng.sample(AMENITIES, rng.choice([0, 1, 1, 2])))),
                sort=Sort.PRICE_ASC,
                limit=20,
            )
        )
    return queries


def timed(run: Callable[[SearchQuery], object], queries: Sequence[SearchQuery]) -> list[float]:
    for query in queries[:10]:  # warm caches and connections
        run(query)
    latencies = []
    for query in queries:
        started = time.perf_counter()
        run(query)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def region_zoom(queries: Sequence[SearchQuery], latencies: list[float]) -> list[float]:
    """The latencies of the region-sized viewports (the ones with many hits)."""
    return [ms for q, ms in zip(queries, latencies, strict=True) if q.bbox and _tall(q.bbox)]


def _tall(box: BoundingBox) -> bool:
    return box.ne_lat - box.sw_lat > 0.5


def report(label: str, latencies: list[float], baseline: float | None = None) -> float:
    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    versus = f"  {baseline / p50:7.0f}x faster than the postgres scan (p50)" if baseline else ""
    print(f"{label:<30} p50 {p50:8.2f} ms   p95 {p95:8.2f} ms   n={len(latencies)}{versus}")
    return p50


# -- SQL baselines -------------------------------------------------------------------------------


def build_sql_tables(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        conn.execute(text("DROP TABLE IF EXISTS bench_docs, bench_geo"))
        conn.execute(
            text(
                "CREATE TABLE bench_docs AS SELECT h.id, h.lat, h.lng, h.rating, "
                "h.amenities::jsonb AS amenities, r.price_min FROM hotels h JOIN "
                "(SELECT hotel_id, min(price) AS price_min FROM room_types GROUP BY hotel_id) r "
                "ON r.hotel_id = h.id"
            )
        )
        conn.execute(
            text(
                "CREATE TABLE bench_geo AS SELECT *, "
                "ST_SetSRID(ST_MakePoint(lng, lat), 4326) AS geom FROM bench_docs"
            )
        )
        conn.execute(text("CREATE INDEX bench_geo_gist ON bench_geo USING gist (geom)"))
        conn.execute(text("ANALYZE bench_docs"))
        conn.execute(text("ANALYZE bench_geo"))


def sql_filters(query: SearchQuery) -> tuple[str, dict[str, Any]]:
    where: list[str] = []
    params: dict[str, Any] = {}
    if query.min_price is not None:
        where.append("price_min >= :lo")
        params["lo"] = query.min_price
    if query.max_price is not None:
        where.append("price_min <= :hi")
        params["hi"] = query.max_price
    if query.amenities:
        where.append("amenities @> CAST(:am AS jsonb)")
        params["am"] = json.dumps(list(query.amenities))
    return " AND ".join(where) or "TRUE", params


def _postgres_top20(engine: Engine, source: str) -> Callable[[SearchQuery], object]:
    """The cheapest 20 ids of `source` (a FROM .. WHERE <viewport> using :s :n :w :e)."""

    def run(query: SearchQuery) -> object:
        box = query.bbox
        assert box is not None
        extra, params = sql_filters(query)
        with engine.connect() as conn:
            return conn.execute(
                text(f"SELECT id FROM {source} AND {extra} ORDER BY price_min, id LIMIT 20"),
                {"s": box.sw_lat, "n": box.ne_lat, "w": box.sw_lng, "e": box.ne_lng, **params},
            ).all()

    return run


def postgres_scan(engine: Engine) -> Callable[[SearchQuery], object]:
    return _postgres_top20(
        engine, "bench_docs WHERE lat BETWEEN :s AND :n AND lng BETWEEN :w AND :e"
    )


def postgis_gist(engine: Engine) -> Callable[[SearchQuery], object]:
    return _postgres_top20(engine, "bench_geo WHERE geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326)")


def sqlite_scan(path: Path) -> Callable[[SearchQuery], object]:
    conn = sqlite3.connect(path, check_same_thread=False)
    generation = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0]

    def run(query: SearchQuery) -> object:
        box = query.bbox
        assert box is not None
        where = ["lat BETWEEN ? AND ?", "lng BETWEEN ? AND ?"]
        params: list[Any] = [box.sw_lat, box.ne_lat, box.sw_lng, box.ne_lng]
        if query.min_price is not None:
            where.append("price_min >= ?")
            params.append(query.min_price)
        if query.max_price is not None:
            where.append("price_min <= ?")
            params.append(query.max_price)
        for amenity in query.amenities:
            where.append("instr(amen_keys, ?) > 0")
            params.append(f",{amenity},")
        return conn.execute(
            f"SELECT id FROM docs_{generation} NOT INDEXED WHERE {' AND '.join(where)} "
            "ORDER BY price_min, id LIMIT 20",
            params,
        ).fetchall()

    return run


# -- the API -------------------------------------------------------------------------------------


def api_params(query: SearchQuery) -> dict[str, Any]:
    box = query.bbox
    assert box is not None
    params: dict[str, Any] = {
        "ne_lat": box.ne_lat, "ne_lng": box.ne_lng, "sw_lat": box.sw_lat, "sw_lng": box.sw_lng,
        "sort": query.sort.value, "limit": query.limit,
    }  # fmt: skip
    if query.min_price is not None:
        params["min_price"] = query.min_price
    if query.max_price is not None:
        params["max_price"] = query.max_price
    if query.amenities:
        params["amenities"] = ",".join(query.amenities)
    return params


def measure_api(label: str, env: dict[str, str], queries: Sequence[SearchQuery]) -> None:
    with api_server(env, workers=1) as base:
        address = urlsplit(base)
        connection = http.client.HTTPConnection(address.hostname or "", address.port)

        def run(query: SearchQuery) -> object:
            connection.request("GET", f"/api/search?{urlencode(api_params(query))}")
            response = connection.getresponse()
            body = response.read()
            assert response.status == 200, body
            return body

        report(f"GET /api/search {label}", timed(run, queries))
        if env.get("SEARCH_CACHE_TTL_SECONDS") != "0":
            report(f"GET /api/search {label} repeat", timed(run, queries))
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hotels", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--scan-queries", type=int, default=60, help="for the slow baselines")
    parser.add_argument("--skip-api", action="store_true")
    args = parser.parse_args()
    queries = make_queries(args.queries, seed=3)
    work = Path(tempfile.mkdtemp(prefix="bench-search-"))
    with fresh_database("trinity_bench_search") as url:
        migrate(url)
        engine = make_engine(url)
        started = time.perf_counter()
        load_hotels(engine, hotel_loader(engine), args.hotels, seed=1)
        print(
            f"seeded {args.hotels:,} hotels into PostgreSQL in {time.perf_counter() - started:.1f} s"
        )
        build_sql_tables(engine)

        meili = MeiliIndex(os.environ["MEILI_URL"], os.environ.get("MEILI_MASTER_KEY"), INDEX)
        started = time.perf_counter()
        meili.rebuild(all_documents(engine, 10_000), lambda n: None)
        print(f"Meilisearch index built and swapped in {time.perf_counter() - started:.1f} s")
        embedded = EmbeddedIndex(work / f"search-{INDEX}.db")
        started = time.perf_counter()
        embedded.rebuild(all_documents(engine, 10_000), lambda n: None)
        print(f"embedded index built in {time.perf_counter() - started:.1f} s")

        scans = queries[: args.scan_queries]
        base = report("postgres scan (no spatial idx)", timed(postgres_scan(engine), scans))
        report("postgis gist", timed(postgis_gist(engine), queries), base)
        report("sqlite scan (no index)", timed(sqlite_scan(embedded.path), scans), base)
        for label, engine_search in (("embedded", embedded.search), ("meilisearch", meili.search)):
            latencies = timed(engine_search, queries)
            report(label, latencies, base)
            report(f"{label}, region zoom only", region_zoom(queries, latencies))
        cache = CachedSearch(
            meili, redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True), 300, INDEX
        )
        cache.bump()
        timed(cache.search, queries)  # fills the cache
        report("meilisearch + redis cache hit", timed(cache.search, queries), base)
        if not args.skip_api:
            common = {"TRINITY_SEARCH_INDEX": INDEX}
            full = {**common, "TRINITY_MODE": "full", "DATABASE_URL": url}
            measure_api("full, no cache", {**full, "SEARCH_CACHE_TTL_SECONDS": "0"}, queries)
            measure_api("full, cache", {**full, "SEARCH_CACHE_TTL_SECONDS": "300"}, queries)
            migrate(f"sqlite:///{work / 'trinity.db'}")
            local = {**common, "TRINITY_MODE": "local", "TRINITY_DATA_DIR": str(work)}
            measure_api("local, no cache", {**local, "SEARCH_CACHE_TTL_SECONDS": "0"}, queries)
            measure_api("local, cache", {**local, "SEARCH_CACHE_TTL_SECONDS": "300"}, queries)
        meili.drop()
        embedded.drop()
        engine.dispose()


if __name__ == "__main__":
    main()
