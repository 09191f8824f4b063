"""Fifty concurrent HTTP clients against the API served by a real server (uvicorn, threads)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn
from factories import bearer, make_hotel, make_user, stay
from sqlmodel import select

from backend.api.main import create_api
from backend.context import Context
from backend.db import transaction
from backend.models import RoomInventory


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(ctx: Context) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(create_api(ctx), host="127.0.0.1", port=port, log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not instance.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


def test_fifty_http_clients_race_for_the_last_room(server: str, ctx: Context) -> None:
    _, room_type_id = make_hotel(ctx, rooms=1)
    tokens = [make_user(ctx, f"http{i}@example.com")[0] for i in range(5)] * 10
    check_in, check_out = stay(nights=2)
    body = {
        "room_type_id": room_type_id,
        "check_in": check_in.isoformat(),
        "check_out": check_out.isoformat(),
        "guests": 1,
    }
    barrier = threading.Barrier(50)

    def attempt(token: str) -> httpx.Response:
        with httpx.Client(base_url=server, timeout=30) as http:
            barrier.wait()
            return http.post("/api/bookings", json=body, headers=bearer(token))

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(attempt, tokens))

    statuses = sorted(r.status_code for r in responses)
    # One new hold; its guest's other nine requests may resume it (200); the rest are refused.
    resumed = statuses.count(200)
    assert statuses == [200] * resumed + [201] + [409] * (49 - resumed) and resumed <= 9
    winner = next(r.json()["id"] for r in responses if r.status_code == 201)
    assert {r.json()["id"] for r in responses if r.status_code == 200} <= {winner}
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} <= {
        "sold_out",
        "busy",
    }
    with transaction(ctx.engine) as session:
        rows = session.exec(select(RoomInventory)).all()
    assert sorted((row.reserved, row.total) for row in rows) == [(1, 1), (1, 1)]
