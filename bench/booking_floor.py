"""The floor of a hold: the app's lock script and fenced upsert, and nothing else.

bench.booking_race serves it beside the real app, on the same server (granian, bench/common.py):

    python -m granian --interface asgi --factory bench.booking_floor:create

One FastAPI route, `POST /api/bookings` (the app's path and body, so one load generator drives
both), over a psycopg_pool pool of plain psycopg connections:

1. the stay checked by the app's own rule (`validate_stay`);
2. one autocommit read of the room type, its hotel and the fullest night, as the app reads it
   (a full night answers 409 before any lock; the booking row needs the price and hotel);
3. every night's Redis lock in one Lua script: `backend.locks.RedisLocks` itself (its scripts,
   backoff, bounded wait, and the same re-read as the app's give-up before each retry);
4. one transaction: the fenced multi-row upsert on room_inventory and the booking row.

No auth (every hold is BENCH_FLOOR_USER_ID's), no idempotency, no outbox, no metrics, no ORM,
no SQLAlchemy: what any implementation of the same guarantees pays on this stack.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

import redis
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from psycopg_pool import ConnectionPool

from backend.adapters.postgres.statements import psycopg_conninfo
from backend.api.errors import error_body, status_of
from backend.api.schemas import BookingIn
from backend.errors import InvalidInput, NotFound, SoldOut, TrinityError
from backend.inventory import nights
from backend.locks import LockPolicy, RedisLocks, room_night_key
from backend.services.booking import validate_stay
from backend.settings import Settings

# The app's room read (backend/services/booking.py `_room_query`), as plain SQL.
ROOM_SQL = """
SELECT rt.name, rt.capacity, rt.rooms, rt.price, h.id, h.currency,
       (SELECT coalesce(max(i.reserved), 0) FROM room_inventory AS i
         WHERE i.room_type_id = rt.id AND i.night >= %s AND i.night < %s)
FROM room_types AS rt JOIN hotels AS h ON h.id = rt.hotel_id
WHERE rt.id = %s
"""

INSERT_BOOKING_SQL = """
INSERT INTO bookings (user_id, hotel_id, room_type_id, check_in, check_out, guests, status,
                      hold_expires_at, total_price, currency, created_at, updated_at)
VALUES (%s, %s, %s, %s, %s, %s, 'held', %s, %s, %s, %s, %s)
RETURNING id
"""


@lru_cache(maxsize=64)
def upsert_sql(night_count: int) -> str:
    """backend/inventory.py's fenced upsert for `night_count` nights, one statement: insert each
    night's row, or take one more room of it only while reserved < total; RETURNING the nights
    taken (fewer than asked: some night was full)."""
    if night_count < 1:
        raise ValueError("a stay has at least one night")
    rows = ", ".join(["(%s, %s, %s, 1)"] * night_count)
    return (
        f"INSERT INTO room_inventory (room_type_id, night, total, reserved) VALUES {rows} "
        "ON CONFLICT (room_type_id, night) DO UPDATE SET reserved = room_inventory.reserved + 1 "
        "WHERE room_inventory.reserved < room_inventory.total RETURNING night"
    )


@dataclass(frozen=True)
class Room:
    name: str
    capacity: int
    rooms: int
    price: Decimal
    hotel_id: int
    currency: str
    busiest_night_reserved: int

    def fail_if_full(self) -> None:
        if self.busiest_night_reserved >= self.rooms:
            raise SoldOut(f"No {self.name} is left for these dates.")


@dataclass
class Floor:
    pool: ConnectionPool
    locks: RedisLocks
    user_id: int
    hold_ttl: timedelta

    def hold(self, body: BookingIn) -> dict[str, Any]:
        validate_stay(body.check_in, body.check_out, datetime.now(UTC).date())
        room = self.room(body.room_type_id, body.check_in, body.check_out)
        if not 1 <= body.guests <= room.capacity:
            raise InvalidInput(f"This room sleeps 1 to {room.capacity} guests.")
        stay = nights(body.check_in, body.check_out)
        room.fail_if_full()
        keys = [room_night_key(body.room_type_id, night) for night in stay]

        def give_up() -> None:
            self.room(body.room_type_id, body.check_in, body.check_out).fail_if_full()

        with self.locks.hold_all(keys, give_up=give_up):
            return self.reserve_and_insert(body, room, stay)

    def room(self, room_type_id: int, check_in: date, check_out: date) -> Room:
        with self.pool.connection() as connection:  # autocommit: one round trip
            row = connection.execute(ROOM_SQL, (check_in, check_out, room_type_id)).fetchone()
        if row is None:
            raise NotFound(f"Room type {room_type_id} does not exist.")
        return Room(*row)

    def reserve_and_insert(self, body: BookingIn, room: Room, stay: list[date]) -> dict[str, Any]:
        now = datetime.now(UTC)
        expires = now + self.hold_ttl
        total_price = room.price * len(stay)
        values = [v for night in stay for v in (body.room_type_id, night, room.rooms)]
        with self.pool.connection() as connection, connection.transaction():
            taken = connection.execute(upsert_sql(len(stay)), values).fetchall()
            if len(taken) < len(stay):
                full = min(set(stay) - {night for (night,) in taken})
                raise SoldOut(f"No {room.name} is left for the night of {full.isoformat()}.")
            row = connection.execute(
                INSERT_BOOKING_SQL,
                (self.user_id, room.hotel_id, body.room_type_id, body.check_in, body.check_out,
                 body.guests, expires, total_price, room.currency, now, now),
            ).fetchone()  # fmt: skip
        assert row is not None
        return {
            "id": row[0], "status": "held", "hold_expires_at": expires.isoformat(),
            "total_price": str(total_price), "currency": room.currency,
            "room_type_id": body.room_type_id, "hotel_id": room.hotel_id,
            "check_in": body.check_in.isoformat(), "check_out": body.check_out.isoformat(),
            "guests": body.guests, "created_at": now.isoformat(),
        }  # fmt: skip


def build_floor(settings: Settings, user_id: int) -> Floor:
    if not (settings.database_url and settings.redis_url):
        raise RuntimeError("the floor needs DATABASE_URL and REDIS_URL")
    pool = ConnectionPool(
        psycopg_conninfo(settings.database_url),
        min_size=4,
        max_size=40,  # the app's engine: 40 pooled connections, one per threadpool thread
        kwargs={"autocommit": True},
        open=True,
    )
    # The app's Redis client (backend/bootstrap.py) and lock policy, from the same settings.
    client = redis.Redis.from_url(
        settings.redis_url, decode_responses=True, socket_connect_timeout=1, socket_timeout=2
    )
    policy = LockPolicy(
        ttl_ms=settings.lock_ttl_ms,
        max_wait_ms=settings.lock_max_wait_ms,
        base_backoff_ms=settings.lock_base_backoff_ms,
    )
    return Floor(
        pool, RedisLocks(client, policy), user_id, timedelta(seconds=settings.hold_ttl_seconds)
    )


def create() -> FastAPI:
    """granian's factory: one Floor per worker process."""
    floor = build_floor(Settings(), int(os.environ["BENCH_FLOOR_USER_ID"]))
    api = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @api.get("/api/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @api.post("/api/bookings")
    def hold(body: BookingIn) -> Response:  # sync, on the threadpool, as the app's route
        try:
            booking = floor.hold(body)
        except TrinityError as error:
            return JSONResponse(error_body(error.code, error.message), status_of(error))
        return Response(json.dumps(booking), status_code=201, media_type="application/json")

    return api
