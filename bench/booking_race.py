"""Hold-room benchmark in full mode, through HTTP: the real app beside its floor.

    make services-up && source .run/services/env && uv run --frozen python -m bench.booking_race

One run serves, against the same fresh database and Redis, the real API (bench/api_app.py) and the
floor (bench/booking_floor.py: the same lock script and fenced upsert with no auth, idempotency,
outbox, metrics or ORM), both on granian with the same worker count. Each round first warms every
server up (unreported), then measures on each, in turn (the order flips every round):
(b) holds on distinct room types, `--concurrency` clients; (a) `--hot` clients all wanting the
single last room for the same nights. Every (round, server, scenario) gets nights of its own.

Printed side by side: 201/409/other, holds/s, p50/p99, the server's CPU per hold in (b), per
request in (a) (utime+stime of granian's process and its workers from /proc, 10 ms ticks: read
small runs' CPU with that grain) and the CPU of its own Postgres backends (told apart by
application_name), the app/floor ratios, and the issue's aims with PASS/MISS.
`--no-locks` adds a third server: the app with the Redis locks swapped out (DB fence only).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import sys
import time
import uuid
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import select

from backend.bootstrap import build_context
from backend.db import migrate, transaction
from backend.models import RoomType, User
from backend.seed import seed_hotels
from backend.services import auth
from backend.services.hotels import RoomTypeSpec, create_hotel
from backend.settings import Mode, Settings
from bench.common import Server, asgi_server, fresh_database, percentile, require_full_mode_env
from bench.cpu import cpu_seconds, cpu_spent, tree_cpu

# The issue's aims (issue 12, item 7).
AIM_THROUGHPUT_SHARE = 0.60  # distinct-room holds/s of the app >= 60% of the floor's
AIM_CPU_MS = 1.5  # the app server's CPU per hold
AIM_HOT_P99_RATIO = 1.5  # the app's hot-room p99 <= 1.5x the floor's


@dataclass
class Outcome:
    statuses: list[int]
    latencies_ms: list[float]
    seconds: float
    server_cpu_s: float = 0.0  # granian's process + its workers over the window
    postgres_cpu_s: float = 0.0  # the server's own Postgres backends over the window

    def count(self, status: int) -> int:
        return self.statuses.count(status)

    @property
    def others(self) -> int:
        return len(self.statuses) - self.count(201) - self.count(409)

    @property
    def holds_per_second(self) -> float:
        return self.count(201) / self.seconds if self.seconds else math.nan

    @property
    def requests_per_second(self) -> float:
        return len(self.statuses) / self.seconds if self.seconds else math.nan

    def p(self, q: float) -> float:
        return percentile(self.latencies_ms, q)

    def cpu_ms(self, seconds: float, per: int) -> float:
        return 1000 * seconds / per if per else math.nan


def ratio(a: float, b: float) -> float:
    """a / b, NaN when either is unknown or b is 0 (never a ZeroDivisionError in a report)."""
    if b == 0 or math.isnan(a) or math.isnan(b):
        return math.nan
    return a / b


def verdict(ok: bool, text: str) -> str:
    return f"{'PASS' if ok else 'MISS'}  {text}"


def scenario_rows(kind: str, outcomes: Sequence[Outcome]) -> list[tuple[str, list[float | str]]]:
    """The rows of one scenario's table, one value per server; `kind` is "distinct" (CPU per
    hold, i.e. per 201) or "hot" (CPU per request: all but one are 409s)."""
    unit = "hold" if kind == "distinct" else "request"
    per = [o.count(201) if kind == "distinct" else len(o.statuses) for o in outcomes]
    server: list[float | str] = [
        o.cpu_ms(o.server_cpu_s, n) for o, n in zip(outcomes, per, strict=True)
    ]
    postgres: list[float | str] = [
        o.cpu_ms(o.postgres_cpu_s, n) for o, n in zip(outcomes, per, strict=True)
    ]
    return [
        ("201 / 409 / other", [f"{o.count(201)}/{o.count(409)}/{o.others}" for o in outcomes]),
        ("holds/s (201s per second)", [o.holds_per_second for o in outcomes]),
        ("requests/s", [o.requests_per_second for o in outcomes]),
        ("p50 latency, ms", [o.p(50) for o in outcomes]),
        ("p99 latency, ms", [o.p(99) for o in outcomes]),
        (f"server CPU per {unit}, ms", server),
        (f"Postgres CPU per {unit}, ms", postgres),
    ]


def table(title: str, labels: Sequence[str], rows: list[tuple[str, list[float | str]]]) -> str:
    """Servers side by side; the last column is the first server / the second (app / floor)."""

    def cell(value: float | str) -> str:
        if isinstance(value, str):
            return value
        return "-" if math.isnan(value) else f"{value:.0f}" if abs(value) >= 100 else f"{value:.2f}"

    head = f"{title:<34}" + "".join(f"{label:>16}" for label in labels) + f"{'app/floor':>12}"
    lines = [head]
    for name, values in rows:
        numeric = [v for v in values if not isinstance(v, str)]
        share = cell(ratio(numeric[0], numeric[1])) if len(numeric) >= 2 else ""
        lines.append(f"  {name:<32}" + "".join(f"{cell(v):>16}" for v in values) + f"{share:>12}")
    return "\n".join(lines)


def aims(
    distinct: Sequence[Outcome], hot: Sequence[Outcome], clients: int
) -> list[tuple[bool, str]]:
    """The issue's aims, app (index 0) against floor (index 1)."""
    app, floor = distinct[0], distinct[1]
    share = ratio(app.holds_per_second, floor.holds_per_second)
    cpu = app.cpu_ms(app.server_cpu_s, app.count(201))
    hot_app, hot_floor = hot[0], hot[1]
    exact = hot_app.count(201) == 1 and hot_app.count(409) == clients - 1 and hot_app.others == 0
    p99_ratio = ratio(hot_app.p(99), hot_floor.p(99))
    return [
        (share >= AIM_THROUGHPUT_SHARE,
         f"distinct-room holds/s: app {app.holds_per_second:.0f} = {share:.0%} of the floor's "
         f"{floor.holds_per_second:.0f} (aim >= {AIM_THROUGHPUT_SHARE:.0%})"),
        (cpu <= AIM_CPU_MS, f"app server CPU per hold: {cpu:.2f} ms (aim <= {AIM_CPU_MS} ms; floor "
         f"{floor.cpu_ms(floor.server_cpu_s, floor.count(201)):.2f} ms)"),
        (exact, f"hot room, app: {hot_app.count(201)}x201 {hot_app.count(409)}x409 "
         f"{hot_app.others}xother (aim exactly 1x201 and {clients - 1}x409)"),
        (p99_ratio <= AIM_HOT_P99_RATIO,
         f"hot room p99: app {hot_app.p(99):.0f} ms = {p99_ratio:.2f}x the floor's "
         f"{hot_floor.p(99):.0f} ms (aim <= {AIM_HOT_P99_RATIO}x)"),
    ]  # fmt: skip


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
    """A hold as a client that retries safely sends it: with an Idempotency-Key of its own (the
    app stores and checks it; the floor ignores it)."""
    payload = json.dumps(body).encode()
    head = (
        f"POST /api/bookings HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Idempotency-Key: {uuid.uuid4().hex}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


async def _status(reader: asyncio.StreamReader) -> int:
    """Read one response (granian always sends Content-Length) and return its status code."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    length = next(int(line[15:]) for line in head if line.lower().startswith("content-length:"))
    await reader.readexactly(length)
    return int(head[0].split(" ", 2)[1])


@dataclass(frozen=True)
class Side:
    label: str
    server: Server
    application_name: str  # its Postgres connections' name: their backends' CPU is its own


def postgres_cpu(engine: Engine, application_name: str) -> dict[int, float]:
    with engine.connect() as connection:
        pids = connection.execute(
            text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
            {"name": application_name},
        )
        return {int(pid): cpu_seconds(int(pid)) for (pid,) in pids}


def measure(
    side: Side, engine: Engine, tokens: list[str], bodies: list[dict], clients: int
) -> Outcome:
    server_before = tree_cpu(side.server.pid)
    pg_before = postgres_cpu(engine, side.application_name)
    outcome = asyncio.run(fire(side.server.base, tokens, bodies, clients))
    outcome.server_cpu_s = cpu_spent(server_before, tree_cpu(side.server.pid))
    outcome.postgres_cpu_s = cpu_spent(pg_before, postgres_cpu(engine, side.application_name))
    return outcome


def prepare(url: str, distinct: int, guests: int) -> tuple[list[str], int, int, list[int]]:
    """Users and their tokens, the hot room (one room), room types to hold; the first user's id."""
    _, redis_url = require_full_mode_env()
    migrate(url)
    ctx = build_context(Settings(mode=Mode.FULL, database_url=url, redis_url=redis_url))
    # One guest per hot-room client: a guest asking again for the stay they hold resumes it (200),
    # so "one 201 and 199 409s" needs 200 different guests. One password hash for all of them.
    accounts = {f"bench{i}@example.com": "Bench" for i in range(guests)}
    ids_by_email = auth.ensure_guests(ctx, accounts, "bench-password")
    with transaction(ctx.engine) as session:
        users = [session.get(User, ids_by_email[email]) for email in accounts]
    tokens = [auth.issue_token(ctx, user) for user in users if user is not None]
    hot = create_hotel(
        ctx,
        {"name": "Hot Hotel", "city": "Lisbon", "country": "PT", "lat": 38.7, "lng": -9.1},
        [RoomTypeSpec("Last Room", 2, 1, Decimal("100"))],
    )
    seed_hotels(ctx, max(1, distinct // 3), seed=1)
    with transaction(ctx.engine) as session:
        ids = [
            rt.id or 0
            for rt in session.exec(select(RoomType).where(RoomType.hotel_id != hot.hotel.id)).all()
        ]
    ctx.close()
    return tokens, users[0].id or 0, hot.room_types[0].id or 0, ids[:distinct]


def body(room_type_id: int, day_offset: int) -> dict:
    check_in = date.today() + timedelta(days=30 + day_offset)
    return {"room_type_id": room_type_id, "check_in": check_in.isoformat(),
            "check_out": (check_in + timedelta(days=2)).isoformat(), "guests": 1}  # fmt: skip


def with_application_name(url: str, name: str) -> str:
    return (
        make_url(url)
        .update_query_dict({"application_name": name})
        .render_as_string(hide_password=False)
    )


def start_sides(stack: ExitStack, url: str, user_id: int, args: argparse.Namespace) -> list[Side]:
    plans: list[tuple[str, str, dict[str, str]]] = [
        ("app", "bench.api_app:create", {}),
        ("floor", "bench.booking_floor:create", {}),
    ]
    if args.no_locks:
        plans.append(("app, no locks", "bench.api_app:create", {"BENCH_WITHOUT_LOCKS": "1"}))
    sides = []
    for index, (label, factory, extra) in enumerate(plans):
        name = f"bench_side_{index}"
        env = {"TRINITY_MODE": "full", "DATABASE_URL": with_application_name(url, name),
               "BENCH_FLOOR_USER_ID": str(user_id), **extra}  # fmt: skip
        sides.append(
            Side(label, stack.enter_context(asgi_server(factory, env, args.workers)), name)
        )
    return sides


def run_round(
    number: int, sides: list[Side], engine: Engine, data: tuple[list[str], int, list[int]],
    nights: Iterator[int], args: argparse.Namespace,
) -> tuple[bool, int]:  # fmt: skip
    """One round on every server; prints its tables and aims. Returns False if a hot room went
    wrong, and the 201s of the round, warm-ups included."""
    tokens, hot_room, rooms = data
    order = sides if number % 2 else sides[::-1]  # flip who goes first every round
    load = os.getloadavg()[0]
    warm = [  # pools filled, statements prepared, code paths warm; not reported
        measure(side, engine, tokens, [body(rt, next(nights)) for rt in rooms[: 2 * args.concurrency]], args.concurrency)
        for side in sides
    ]  # fmt: skip
    distinct, hot = {}, {}
    for side in order:
        bodies = [body(rt, next(nights)) for rt in rooms]
        distinct[side.label] = measure(side, engine, tokens, bodies, args.concurrency)
    for side in order:
        bodies = [body(hot_room, next(nights))] * args.hot
        hot[side.label] = measure(side, engine, tokens, bodies, args.hot)
    print(
        f"\nround {number}: load average {load:.1f} -> {os.getloadavg()[0]:.1f}, "
        f"order {', '.join(side.label for side in order)}"
    )
    labels = [side.label for side in sides]
    spread, contended = [distinct[label] for label in labels], [hot[label] for label in labels]
    title = f"(b) distinct rooms, {len(rooms)} x {args.concurrency} clients"
    print(table(title, labels, scenario_rows("distinct", spread)))
    print(table(f"(a) hot room, {args.hot} clients", labels, scenario_rows("hot", contended)))
    print("aims (app vs floor):")
    for ok, line in aims(spread, contended, args.hot):
        print("  " + verdict(ok, line))
    wins = sum(o.count(201) for o in [*warm, *spread, *contended])
    winners = {label: o.count(201) for label, o in hot.items()}
    if any(count != 1 for count in winners.values()):
        print(f"  ERROR: the hot room must have exactly one winner on every server: {winners}")
        return False, wins
    return True, wins


def check_rows(engine: Engine) -> str:
    """What the holds left in the database: one booking row and 2 room-nights per 201 (the
    floor really writes what it claims), and no night over its total."""
    with engine.connect() as connection:
        bookings, nights, over = connection.execute(
            text(
                "SELECT (SELECT count(*) FROM bookings),"
                " (SELECT coalesce(sum(reserved), 0) FROM room_inventory),"
                " (SELECT count(*) FROM room_inventory WHERE reserved > total)"
            )
        ).one()
    return f"{bookings} booking rows, {nights} room-nights reserved, {over} nights overbooked"


def run(args: argparse.Namespace) -> int:
    with fresh_database("trinity_bench_booking") as url:
        tokens, user_id, hot_room, rooms = prepare(
            url, args.distinct, max(args.hot, args.concurrency)
        )
        engine = create_engine(url)
        print(f"full mode over HTTP (granian, {args.workers} worker processes per server), "
              f"{len(rooms)} distinct holds x {args.concurrency} clients, hot room x {args.hot}, "
              f"{args.rounds} round(s), {os.cpu_count()} cores")  # fmt: skip
        nights = itertools.count(0, 3)  # day offsets: a 2-night stay each, never overlapping
        ok, wins = True, 0
        with ExitStack() as stack:
            sides = start_sides(stack, url, user_id, args)
            for number in range(1, args.rounds + 1):
                round_ok, round_wins = run_round(
                    number, sides, engine, (tokens, hot_room, rooms), nights, args
                )
                ok, wins = ok and round_ok, wins + round_wins
            print(f"\nall rounds, warm-ups included: {wins} x 201; {check_rows(engine)}")
        engine.dispose()
    return 0 if ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hot", type=int, default=200, help="concurrent clients on the hot room")
    parser.add_argument("--distinct", type=int, default=2000, help="holds on distinct room types")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2, help="processes per server")
    parser.add_argument("--rounds", type=int, default=1, help="rounds, each on every server")
    parser.add_argument("--no-locks", action="store_true", help="also the app without Redis locks")
    sys.exit(run(parser.parse_args()))


if __name__ == "__main__":
    main()
