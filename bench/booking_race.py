"""Hold-room benchmark in full mode, through HTTP: a hot room and distinct rooms.

    make services-up && source .run/services/env && uv run python -m bench.booking_race

Each figure is printed beside a baseline from the same run: the same requests with the Redis
room-night locks swapped out, so only the database fence guards the inventory.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass
from datetime import date, timedelta

import httpx
from sqlmodel import select

from backend.bootstrap import build_context
from backend.db import migrate, transaction
from backend.models import RoomType
from backend.seed import seed_hotels
from backend.services import auth
from backend.services.hotels import RoomTypeSpec, create_hotel
from backend.settings import Mode, Settings
from bench.common import api_server, fresh_database, percentile, require_full_mode_env


@dataclass
class Outcome:
    statuses: list[int]
    latencies_ms: list[float]
    seconds: float

    def line(self, label: str) -> str:
        wins = self.statuses.count(201)
        return (
            f"{label:<28} 201={wins:<5} 409={self.statuses.count(409):<5} other={len(self.statuses) - wins - self.statuses.count(409):<3}"
            f" p50={percentile(self.latencies_ms, 50):7.1f} ms  p99={percentile(self.latencies_ms, 99):7.1f} ms"
            f"  {len(self.statuses) / self.seconds:7.0f} req/s"
        )


async def fire(base: str, tokens: list[str], bodies: list[dict], concurrency: int) -> Outcome:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    statuses: list[int] = []
    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

        async def one(index: int, body: dict) -> None:
            async with gate:
                started = time.perf_counter()
                response = await client.post(
                    "/api/bookings", json=body,
                    headers={"Authorization": f"Bearer {tokens[index % len(tokens)]}"},
                )  # fmt: skip
                latencies.append((time.perf_counter() - started) * 1000)
                statuses.append(response.status_code)

        started = time.perf_counter()
        await asyncio.gather(*(one(i, b) for i, b in enumerate(bodies)))
        return Outcome(statuses, latencies, time.perf_counter() - started)


def prepare(url: str, distinct: int) -> tuple[list[str], int, list[int]]:
    _, redis_url = require_full_mode_env()
    migrate(url)
    ctx = build_context(Settings(mode=Mode.FULL, database_url=url, redis_url=redis_url))
    tokens = [
        auth.issue_token(
            ctx,
            auth.ensure_user(
                ctx, f"bench{i}@example.com", "bench-password", "Bench", is_admin=False
            ),
        )
        for i in range(20)
    ]
    hot = create_hotel(
        ctx,
        {"name": "Hot Hotel", "city": "Lisbon", "country": "PT", "lat": 38.7, "lng": -9.1},
        [RoomTypeSpec("Last Room", 2, 1, __import__("decimal").Decimal("100"))],
    )
    seed_hotels(ctx.engine, max(1, distinct // 3), seed=1)
    with transaction(ctx.engine) as session:
        ids = [
            rt.id or 0
            for rt in session.exec(select(RoomType).where(RoomType.hotel_id != hot.hotel.id)).all()
        ]
    ctx.engine.dispose()
    return tokens, hot.room_types[0].id, ids[:distinct]


def body(room_type_id: int, day_offset: int) -> dict:
    check_in = date.today() + timedelta(days=30 + day_offset)
    return {"room_type_id": room_type_id, "check_in": check_in.isoformat(),
            "check_out": (check_in + timedelta(days=2)).isoformat(), "guests": 1}  # fmt: skip


def run(args: argparse.Namespace) -> None:
    with fresh_database("trinity_bench_booking") as url:
        tokens, hot_room, rooms = prepare(url, args.distinct)
        print(
            f"full mode over HTTP, {args.workers} API worker processes, {args.concurrency} concurrent clients for (b)"
        )
        for label, without_locks in (
            ("Redis lock + DB fence", "0"),
            ("DB fence only (baseline)", "1"),
        ):
            env = {
                "TRINITY_MODE": "full",
                "DATABASE_URL": url,
                "BENCH_WITHOUT_LOCKS": without_locks,
            }
            with api_server(env, workers=args.workers) as base:
                # (a) hot room: every client wants the single last room for the same nights.
                offset = 0 if without_locks == "0" else 100
                hot = asyncio.run(fire(base, tokens, [body(hot_room, offset)] * args.hot, args.hot))
                print(hot.line(f"(a) hot room, {label}"))
                assert hot.statuses.count(201) == 1, "exactly one guest must win the last room"
                # (b) distinct rooms: no contention, measures holds/s.
                bodies = [body(rt, offset) for rt in rooms]
                spread = asyncio.run(fire(base, tokens, bodies, args.concurrency))
                print(spread.line(f"(b) distinct, {label}"))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hot", type=int, default=200, help="concurrent clients on the hot room")
    parser.add_argument("--distinct", type=int, default=2000, help="holds on distinct room types")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2, help="API server processes")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
