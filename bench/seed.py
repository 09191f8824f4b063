"""Seeding speed: COPY into PostgreSQL beside a plain executemany INSERT baseline (same run).

make services-up && source .run/services/env && uv run python -m bench.seed --hotels 1000000
"""

from __future__ import annotations

import argparse
import time

from sqlalchemy import insert

from backend.bootstrap import hotel_loader
from backend.db import make_engine, migrate
from backend.models import Hotel, RoomType
from backend.seed import generate, hotel_count, load_hotels
from bench.common import fresh_database


def insert_baseline(url: str, hotels: int) -> float:
    """The same rows through executemany INSERTs (what an ORM bulk path does)."""
    engine = make_engine(url)
    started = time.perf_counter()
    for chunk_hotels, chunk_rooms in generate(
        hotels, seed=2, first_hotel_id=10_000_000, first_room_type_id=50_000_000
    ):
        with engine.begin() as connection:
            connection.execute(insert(Hotel), chunk_hotels)
            connection.execute(insert(RoomType), chunk_rooms)
    engine.dispose()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hotels", type=int, default=100_000)
    parser.add_argument("--baseline-hotels", type=int, default=20_000)
    args = parser.parse_args()
    with fresh_database("trinity_bench_seed") as url:
        migrate(url)
        engine = make_engine(url)
        started = time.perf_counter()
        load_hotels(engine, hotel_loader(engine), args.hotels, seed=1)
        copy_seconds = time.perf_counter() - started
        assert hotel_count(engine) == args.hotels
        engine.dispose()
        baseline_seconds = insert_baseline(url, args.baseline_hotels)
    print(
        f"COPY seed      : {args.hotels:>9,} hotels in {copy_seconds:6.1f} s = {args.hotels / copy_seconds:8,.0f} hotels/s"
    )
    print(
        f"INSERT baseline: {args.baseline_hotels:>9,} hotels in {baseline_seconds:6.1f} s = {args.baseline_hotels / baseline_seconds:8,.0f} hotels/s"
    )


if __name__ == "__main__":
    main()
