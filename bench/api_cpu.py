"""CPU per request of the API in process, layer by layer, beside the floor's route.

    source .run/services/env && uv run --frozen python -m bench.api_cpu [--requests 1000]

The ASGI apps are called directly (no socket, no load generator, no granian), one request at a
time, in full mode on a fresh database and the loopback Redis, so the process's CPU per request
is the Python stack's own cost and barely moves with the machine's load. Rows, in this order:
the floor's hold (bench/booking_floor.py: lock + fenced upsert over psycopg, no auth), the app's
`GET /api/bookings/{id}` (routing, middleware, the token's user read, one read), the app's hold
without and with an Idempotency-Key. Their differences are what each layer costs; the A/B tool
for a change on the hold's HTTP path (bench.hold_cpu is the same without HTTP).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from bench import booking_race
from bench.common import fresh_database

ROUNDS = 2
WARM_UP = 100


async def call(app: Any, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> int:
    """One HTTP request through the ASGI app; returns the status."""
    received = False

    async def receive() -> dict[str, Any]:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)  # never: the app has the whole body
        return {"type": "http.disconnect"}

    statuses: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "root_path": "",
        "state": {},
    }  # fmt: skip
    await app(scope, receive, send)
    return statuses[0]


Request = Callable[[int], Awaitable[int]]


async def cpu_per_request(request: Request, start: int, count: int) -> tuple[float, set[int]]:
    for n in range(start, start + WARM_UP):
        await request(n)
    cpu = time.process_time()
    statuses = {await request(n) for n in range(start + WARM_UP, start + WARM_UP + count)}
    return (time.process_time() - cpu) / count * 1000, statuses


async def main(count: int) -> None:
    from backend.api.main import create_api
    from backend.bootstrap import build_context
    from backend.settings import Mode, Settings
    from bench.booking_floor import create as create_floor

    per_row = (WARM_UP + count) * ROUNDS
    with fresh_database("trinity_bench_api_cpu") as url:
        tokens, user_id, _, rooms = booking_race.prepare(url, 4 * per_row // 20, 1)
        os.environ |= {"DATABASE_URL": url, "TRINITY_MODE": "full"}
        os.environ["BENCH_FLOOR_USER_ID"] = str(user_id)
        app = create_api(build_context(Settings(mode=Mode.FULL, database_url=url)))
        floor = create_floor()
        authed = {"authorization": f"Bearer {tokens[0]}", "content-type": "application/json"}
        stays = iter(range(10**9))  # every hold a stay of its own: no resume, no sold out

        def hold_body(_: int) -> bytes:
            n = next(stays)
            return json.dumps(
                booking_race.body(rooms[n % len(rooms)], 2 * (n // len(rooms)))
            ).encode()

        first = await call(app, "POST", "/api/bookings", authed, hold_body(0))
        assert first == 201, first
        rows: list[tuple[str, Request]] = [
            ("floor: hold", lambda n: call(floor, "POST", "/api/bookings", authed, hold_body(n))),
            ("app: GET /api/bookings/{id}", lambda n: call(app, "GET", "/api/bookings/1", authed)),
            ("app: hold", lambda n: call(app, "POST", "/api/bookings", authed, hold_body(n))),
            ("app: hold + Idempotency-Key", lambda n: call(
                app, "POST", "/api/bookings", {**authed, "idempotency-key": uuid.uuid4().hex},
                hold_body(n),
            )),
        ]  # fmt: skip
        results: dict[str, list[float]] = {name: [] for name, _ in rows}
        for round_number in range(ROUNDS):
            order = rows if round_number % 2 == 0 else rows[::-1]
            for name, request in order:
                ms, statuses = await cpu_per_request(request, 0, count)
                if statuses - {200, 201}:
                    raise SystemExit(f"{name}: unexpected statuses {statuses}")
                results[name].append(ms)
    floor_ms = min(results["floor: hold"])
    print(f"CPU per request in process, {count} requests x {ROUNDS} rounds (best round):")
    for name, values in results.items():
        print(f"  {name:<32} {min(values):6.3f} ms   {min(values) / floor_ms:4.2f}x the floor")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    asyncio.run(main(parser.parse_args().requests))
