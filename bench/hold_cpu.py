"""CPU of one keyed hold in process, no HTTP: what the service path itself costs.

    source .run/services/env && uv run --frozen python -m bench.hold_cpu [--holds 2000]

Against a fresh PostgreSQL database of its own and the loopback Redis: `idempotency.run_once`
around `hold_room` (the Idempotency-Key's lock, lookup and record, the room read, the room-night
locks, the hold's write, the metrics), sequentially, each on a stay of its own in one large
room type.
Prints the calling process's CPU (and wall) per keyed hold after 200 warm-up holds. Sequential and
in one process, so it is far less sensitive to a loaded machine than bench.booking_race, and runs
on any checkout: the way to A/B a change to the hold's service path (run it in both trees,
alternated).
"""

from __future__ import annotations

import argparse
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal

from backend.bootstrap import build_context
from backend.context import Context
from backend.db import migrate
from backend.services import auth, booking, idempotency
from backend.services.hotels import RoomTypeSpec, create_hotel
from backend.settings import Mode, SearchEngine, Settings
from bench.common import fresh_database, require_full_mode_env

WARM_UP = 200


def _room(ctx: Context) -> tuple[int, int]:
    user = auth.ensure_user(ctx, "bench@example.com", "bench-password", "Bench", is_admin=False)
    view = create_hotel(
        ctx,
        {"name": "Bench Hotel", "city": "Lisbon", "country": "PT", "lat": 38.7, "lng": -9.1},
        [RoomTypeSpec("Double", 2, 1_000_000, Decimal("100"))],
    )
    return user.id or 0, view.room_types[0].id


def _keyed_hold(ctx: Context, user_id: int, room_type_id: int, n: int) -> None:
    # A stay of its own per hold (a repeated one would resume the guest's live hold instead).
    check_in = date.today() + timedelta(days=1 + n % 300)
    check_out = check_in + timedelta(days=1 + n // 300)
    request = booking.HoldRequest(user_id, room_type_id, check_in, check_out, 1)
    idempotency.run_once(
        ctx,
        user_id=user_id,
        scope="bookings",
        key=uuid.uuid4().hex,
        body={"n": n},
        action=lambda: (201, {"id": booking.hold_room(ctx, request).id}),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--holds", type=int, default=2000)
    args = parser.parse_args()
    _, redis_url = require_full_mode_env()
    with fresh_database("trinity_bench_hold_cpu") as url:
        migrate(url)
        settings = Settings(
            mode=Mode.FULL,
            database_url=url,
            redis_url=redis_url,
            search_engine_choice=SearchEngine.EMBEDDED,  # no index server needed here
        )
        ctx = build_context(settings)
        user_id, room_type_id = _room(ctx)
        for n in range(WARM_UP):
            _keyed_hold(ctx, user_id, room_type_id, n)
        cpu, wall = time.process_time(), time.perf_counter()
        for n in range(WARM_UP, WARM_UP + args.holds):
            _keyed_hold(ctx, user_id, room_type_id, n)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        ctx.close()
    print(
        f"{args.holds} keyed holds in process: {cpu / args.holds * 1000:.3f} ms CPU, "
        f"{wall / args.holds * 1000:.3f} ms wall per hold"
    )


if __name__ == "__main__":
    main()
