"""Payment-saga benchmark in full mode: checkout -> terminal through real worker processes.

    source .run/dev/env && uv run --frozen python -m bench.saga --sagas 1000

Runs the same load twice, once on RabbitMQ (BROKER_URL) and once on dramatiq's Redis broker (a
Redis database of the benchmark's own on REDIS_URL's server), each time with a fresh Postgres
database and the real process layout: `trinity relay` + one `trinity worker` per queue. 20% of the
checkouts use the declined test card and 5% lose their hold (expired, rooms taken by a rival)
right after checkout, so they end paid-then-refunded. Prints sagas/s, p50/p95 checkout -> terminal
(from the orders' own timestamps) and the invariant checker's verdict.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

from sqlalchemy import func
from sqlmodel import col, select

from backend.bootstrap import build_context
from backend.context import Context
from backend.db import migrate, transaction
from backend.errors import Busy
from backend.models import (
    Booking,
    BookingStatus,
    Order,
    OrderEvent,
    OrderStatus,
    OutboxMessage,
    ProcessedMessage,
)
from backend.saga.invariants import check_invariants
from backend.saga.order_state import is_terminal
from backend.services import auth
from backend.services.booking import HoldRequest, hold_room
from backend.services.checkout import CheckoutRequest, checkout
from backend.services.hotels import RoomTypeSpec, create_hotel
from backend.settings import Mode, Settings
from bench.common import fresh_database, percentile, require_full_mode_env
from bench.cpu import cpu_by_role, cpu_report

ROOT = Path(__file__).resolve().parents[1]
OK_CARD, DECLINED_CARD = "4242424242424242", "4000000000000002"
PROFILE_ENV = "SAGA_BENCH_PROFILE"


@dataclass
class Result:
    broker: str
    sagas: int
    seconds: float
    p50_ms: float
    p95_ms: float
    outcomes: Counter[str]
    invariants: str


def _redis_db(url: str, db: int) -> str:
    return url.rsplit("/", 1)[0] + f"/{db}" if url.count("/") > 2 else f"{url}/{db}"


def _room_types(ctx: Context, sagas: int, late: int) -> tuple[int, list[int]]:
    """One big room type for the normal sagas, one single-room type per late-hold saga."""
    specs = [RoomTypeSpec(name="Standard", capacity=2, rooms=sagas, price=Decimal("80.00"))]
    specs += [
        RoomTypeSpec(name=f"Last {i}", capacity=2, rooms=1, price=Decimal("95.00"))
        for i in range(late)
    ]
    hotel = {
        "name": "Bench Hotel",
        "city": "Porto",
        "country": "PT",
        "lat": 41.15,
        "lng": -8.61,
        "currency": "EUR",
    }
    view = create_hotel(ctx, hotel, specs)
    ids = [rt.id for rt in view.room_types]
    return ids[0], ids[1:]


def prepare_holds(
    ctx: Context, sagas: int, late_share: float
) -> tuple[list[Booking], list[Booking]]:
    # A guest per hold: one guest asking again for a stay they hold resumes that hold.
    accounts = {f"bench{i}@example.com": "Bench" for i in range(sagas)}
    guests = iter(auth.ensure_guests(ctx, accounts, "bench-password").values())
    late = int(sagas * late_share)
    big, singles = _room_types(ctx, sagas, late)
    check_in = date.today() + timedelta(days=20)

    def hold(room_type_id: int, user_id: int) -> Booking:
        stay = HoldRequest(user_id, room_type_id, check_in, check_in + timedelta(days=2), 2)
        for _ in range(4):
            try:
                return hold_room(ctx, stay)
            except Busy:  # 8 threads queue on the same room-nights' locks (a loaded box)
                continue
        return hold_room(ctx, stay)

    with ThreadPoolExecutor(8) as pool:
        normal = list(pool.map(hold, [big] * (sagas - late), guests))
        lates = list(pool.map(hold, singles, guests))
    return normal, lates


def _lose_hold(ctx: Context, booking: Booking) -> bool:
    """The hold lapses and a rival takes its room, in one step, before the inventory step runs.

    One transaction locks the hold, expires it and gives its room to a rival's new hold (the room
    stays reserved, now for the rival): the saga's inventory step, waiting on that lock, then finds
    the rooms gone. Done as the sweeper + a rival's `hold_room` in separate transactions, the
    inventory step could re-reserve the room in between, and a fast pipeline always did. False
    when the saga was faster still and confirmed the hold before the lock (counted, not an error).
    """
    with transaction(ctx.engine) as session:
        hold = session.exec(
            select(Booking).where(col(Booking.id) == booking.id).with_for_update()
        ).one()
        if hold.status != BookingStatus.HELD:
            return False
        now = ctx.clock()
        rival = Booking(
            **hold.model_dump(exclude={"id", "status", "created_at", "updated_at"}),
            status=BookingStatus.HELD,
            created_at=now,
            updated_at=now,
        )
        hold.status, hold.updated_at = BookingStatus.EXPIRED, now
        session.add_all([hold, rival])
    return True


def _spawn(env: dict[str, str], *args: str, log: Path) -> subprocess.Popen[bytes]:
    profile = env.get(PROFILE_ENV)
    command = (
        ["-m", "bench.saga", "--profile-role", str(log.with_suffix(".prof"))] if profile else []
    )
    return subprocess.Popen(
        [sys.executable, *(command or ["-m", "workers.cli"]), *args],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def profile_role(out: Path, argv: list[str]) -> None:
    """Run `trinity <argv>` with every thread under cProfile (CPU time); stats go to `out` at exit.

    Read them with `python -c "import pstats; pstats.Stats('X.prof').sort_stats('tottime').print_stats(30)"`.
    """
    profiles: list[cProfile.Profile] = []
    original_start = threading.Thread.start

    def profiled_start(thread: threading.Thread) -> None:
        run = thread.run  # a subclass's own run (dramatiq's threads override it)

        def profiled_run() -> None:
            profile = cProfile.Profile(time.thread_time)  # CPU, not waits for I/O or the GIL
            profiles.append(profile)
            profile.enable()
            try:
                run()
            finally:
                profile.disable()

        thread.run = profiled_run  # type: ignore[method-assign]
        original_start(thread)

    threading.Thread.start = profiled_start  # type: ignore[method-assign, assignment]
    main = cProfile.Profile(time.thread_time)
    profiles.append(main)
    main.enable()
    try:
        from workers.cli import cli

        cli(argv, standalone_mode=False)
    finally:
        main.disable()
        pstats.Stats(*profiles).dump_stats(out)


def run_once(
    broker: str,
    broker_url: str,
    sagas: int,
    decline: float,
    late: float,
    logs: Path,
    profile: bool = False,
    scale: dict[str, int] | None = None,
    rate: float = 0.0,
) -> Result:
    _, redis_url = require_full_mode_env()
    bench_redis = _redis_db(redis_url, 13)  # the benchmark's own db: the gateway ledger starts at 0
    name = f"trinity_bench_saga_{broker}"
    with fresh_database(name) as database_url:
        migrate(database_url)
        settings = Settings(
            mode=Mode.FULL, database_url=database_url, redis_url=bench_redis, broker_url=broker_url,
            broker_queue_prefix=f"bench_{uuid.uuid4().hex[:6]}_",
        )  # fmt: skip
        ctx = build_context(settings)
        ctx.redis.flushdb()
        normal, lates = prepare_holds(ctx, sagas, late)
        env = {
            **os.environ, "TRINITY_MODE": "full", "DATABASE_URL": database_url,
            "REDIS_URL": bench_redis, "BROKER_URL": broker_url,
            "BROKER_QUEUE_PREFIX": settings.broker_queue_prefix, "RELAY_POLL_SECONDS": "0.5",
            **({PROFILE_ENV: "1"} if profile else {}),
        }  # fmt: skip
        roles = {"relay": _spawn(env, "relay", log=logs / f"{broker}-relay.log")}
        roles |= {
            f"{q}-{n}": _spawn(env, "worker", "-q", q, log=logs / f"{broker}-{q}-{n}.log")
            for q in ("payments", "inventory", "orders")
            for n in range((scale or {}).get(q, 1))
        }
        processes = list(roles.values())
        pids = {"client": os.getpid()} | {role: p.pid for role, p in roles.items()}
        try:
            time.sleep(8)  # let the processes import and connect before the clock starts
            cpu = cpu_by_role(ctx.engine, name, pids)
            result = _measure(ctx, broker, normal, lates, decline, rate)
            print(
                f"{broker}: CPU ms per saga: {cpu_report(cpu, cpu_by_role(ctx.engine, name, pids), result.sagas)}"
            )
            return result
        finally:
            for process in processes:
                os.killpg(process.pid, signal.SIGTERM)
            for process in processes:
                process.wait(30)
            _delete_queues(ctx)
            ctx.broker.close()
            ctx.close()


def _measure(
    ctx: Context,
    broker: str,
    normal: list[Booking],
    lates: list[Booking],
    decline: float,
    rate: float,
) -> Result:
    declined_every = round(1 / decline) if decline else 0
    jobs = [
        (b, DECLINED_CARD if declined_every and i % declined_every == 0 else OK_CARD, False)
        for i, b in enumerate(normal)
    ]
    jobs += [(b, OK_CARD, True) for b in lates]
    jobs.sort(key=lambda job: hash(job[0].id))  # interleave the late ones

    def pay(numbered: tuple[int, tuple[Booking, str, bool]]) -> int:
        i, (booking, card, lose) = numbered
        if rate:  # an open-loop client: checkout i starts at i / rate, whatever came before
            time.sleep(max(0.0, started + i / rate - time.monotonic()))
        order = checkout(ctx, CheckoutRequest(booking.user_id, booking.id or 0, card))
        if lose and not _lose_hold(ctx, booking):
            raced.append(order.id or 0)
        return order.id or 0

    raced: list[int] = []
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        order_ids = list(pool.map(pay, enumerate(jobs)))
    print(f"{broker}: {len(order_ids)} checkouts in {time.monotonic() - started:.2f} s", flush=True)
    if raced:
        print(f"{broker}: {len(raced)} late-hold sagas re-reserved their room before the rival")
    deadline = time.monotonic() + 300
    open_statuses = [s for s in OrderStatus if not is_terminal(s)]
    while time.monotonic() < deadline:  # a cheap count: the poll must not load the system
        with transaction(ctx.engine) as session:
            left = session.exec(
                select(func.count()).where(col(Order.status).in_(open_statuses))
            ).one()
        if not left:
            break
        time.sleep(0.2)
    with transaction(ctx.engine) as session:
        orders = session.exec(select(Order)).all()
    latencies = [(o.updated_at - o.created_at).total_seconds() * 1000 for o in orders]
    first = min(o.created_at for o in orders)
    last = max(o.updated_at for o in orders)
    report = check_invariants(ctx)
    print(f"{broker}: mean ms per step: {_steps(ctx)}", flush=True)
    print(f"{broker}: mean ms from outbox row to consumer: {_consumer_waits(ctx)}", flush=True)
    return Result(
        broker=broker,
        sagas=len(order_ids),
        seconds=(last - first).total_seconds(),
        p50_ms=percentile(latencies, 50),
        p95_ms=percentile(latencies, 95),
        outcomes=Counter(str(o.status) for o in orders),
        invariants=report.summary(),
    )


def _steps(ctx: Context) -> dict[str, float]:
    """Mean time from the previous timeline entry to each entry type: where a saga waits."""
    with transaction(ctx.engine) as session:
        events = session.exec(
            select(OrderEvent).order_by(col(OrderEvent.order_id), col(OrderEvent.id))
        ).all()
    gaps: dict[str, list[float]] = {}
    for previous, current in pairwise(events):
        if previous.order_id == current.order_id:
            gaps.setdefault(current.type, []).append(
                (current.at - previous.at).total_seconds() * 1000
            )
    return {step: round(sum(v) / len(v), 1) for step, v in gaps.items()}


def _consumer_waits(ctx: Context) -> dict[str, float]:
    """Mean time from an event's outbox row to its processing, per consumer: which queue backs up.

    Includes the relay's publishing; the processed-message row is written with the effect.
    """
    with transaction(ctx.engine) as session:
        rows = session.exec(
            select(
                ProcessedMessage.consumer, ProcessedMessage.processed_at, OutboxMessage.created_at
            ).join(OutboxMessage, col(OutboxMessage.message_id) == col(ProcessedMessage.message_id))
        ).all()
    waits: dict[str, list[float]] = {}
    for consumer, processed_at, created_at in rows:
        waits.setdefault(consumer, []).append((processed_at - created_at).total_seconds() * 1000)
    return {consumer: round(sum(v) / len(v), 1) for consumer, v in sorted(waits.items())}


def _delete_queues(ctx: Context) -> None:
    from dramatiq.brokers.rabbitmq import RabbitmqBroker

    from backend.saga.topology import QUEUES, queue_name

    if isinstance(ctx.broker, RabbitmqBroker):
        for queue in QUEUES:
            for suffix in ("", ".DQ", ".XQ"):
                ctx.broker.channel.queue_delete(queue_name(ctx.settings, queue) + suffix)


def main() -> None:
    if sys.argv[1:2] == ["--profile-role"]:
        profile_role(Path(sys.argv[2]), sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sagas", type=int, default=1000)
    parser.add_argument("--declines", type=float, default=0.20)
    parser.add_argument("--late", type=float, default=0.05)
    parser.add_argument("--brokers", default="rabbitmq,redis")
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="offer checkouts at this many per second (default: as fast as 8 threads can)",
    )
    parser.add_argument(
        "--scale",
        default="",
        help="worker processes per queue, like `docker compose --scale`: payments=2,orders=2",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run the relay and workers under cProfile (every thread): .run/bench-saga/*.prof",
    )
    args = parser.parse_args()
    _, redis_url = require_full_mode_env()
    urls = {"rabbitmq": os.environ.get("BROKER_URL", ""), "redis": _redis_db(redis_url, 12)}
    scale = {q: int(n) for q, n in (item.split("=") for item in args.scale.split(",") if item)}
    logs = ROOT / ".run" / "bench-saga"
    logs.mkdir(parents=True, exist_ok=True)
    results = [
        run_once(
            b, urls[b], args.sagas, args.declines, args.late, logs, args.profile, scale, args.rate
        )
        for b in args.brokers.split(",")
    ]
    print(
        f"\n{'broker':<9} {'sagas':>6} {'seconds':>8} {'sagas/s':>8} {'p50 ms':>8} {'p95 ms':>8}  outcomes"
    )
    for r in results:
        print(
            f"{r.broker:<9} {r.sagas:>6} {r.seconds:>8.2f} {r.sagas / r.seconds:>8.1f} "
            f"{r.p50_ms:>8.0f} {r.p95_ms:>8.0f}  {dict(r.outcomes)}"
        )
    for r in results:
        print(f"{r.broker}: {r.invariants}")


if __name__ == "__main__":
    main()
