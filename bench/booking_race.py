"""Hold-room benchmark in full mode, through HTTP: a hot room and distinct rooms.

    make services-up && source .run/services/env && uv run python -m bench.booking_race

Each figure is printed beside a baseline from the same run: the same requests with the Redis
room-night locks swapped out, so only the database fence guards the inventory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import deque
from dataclasses import dataclass
from datetime import date, timedelta

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
    """POST every body over `concurrency` keep-alive connections (a connection's first latency
    includes its TCP connect). A bare HTTP/1.1 client: the load generator shares the 2 cores with
    the server, and httpx spent ~11 ms of CPU per request here, more than the server it measured."""
    host, port = base.removeprefix("http://").split(":")
    pending = deque(enumerate(bodies))
    statuses: list[int] = []
    latencies: list[float] = []

    async def connection() -> None:
        stream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        while pending:
            index, body = pending.popleft()
            started = time.perf_counter()
            try:
                stream = stream or await asyncio.open_connection(host, int(port))
                stream[1].write(_request(host, tokens[index % len(tokens)], body))
                status = await asyncio.wait_for(_status(stream[0]), timeout=60)
            except (OSError, asyncio.IncompleteReadError, ValueError):  # TimeoutError is an OSError
                status, stream = 0, None  # a dropped connection is an "other" outcome
            latencies.append((time.perf_counter() - started) * 1000)
            statuses.append(status)
        if stream:
            stream[1].close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(min(concurrency, len(bodies)))))
    return Outcome(statuses, latencies, time.perf_counter() - started)


def _request(host: str, token: str, body: dict) -> bytes:
    payload = json.dumps(body).encode()
    head = (
        f"POST /api/bookings HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


async def _status(reader: asyncio.StreamReader) -> int:
    """Read one response (uvicorn always sends Content-Length) and return its status code."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    length = next(int(line[15:]) for line in head if line.lower().startswith("content-length:"))
    await reader.readexactly(length)
    return int(head[0].split(" ", 2)[1])


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
