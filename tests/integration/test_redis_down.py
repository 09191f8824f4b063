"""Full mode with Redis stopped: booking answers 503 `unavailable`, changes nothing, and recovers."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from factories import bearer, make_hotel, make_user, stay
from fastapi.testclient import TestClient
from modes import MODES, full_settings, reset_full
from sqlmodel import select

from backend.api.main import create_api
from backend.bootstrap import build_context
from backend.db import transaction
from backend.models import Booking, RoomInventory

pytestmark = pytest.mark.skipif(
    "full" not in MODES, reason="full mode deselected by TRINITY_TEST_MODES"
)


class RedisServer:
    """A private redis-server this test may stop and start at will."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server must be installed (make test installs it)"
        self.binary, self.workdir = binary, workdir
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def test_booking_with_redis_down_is_503_and_recovers(
    redis_server: RedisServer, postgres_url: str
) -> None:
    ctx = build_context(
        full_settings(postgres_url, redis_url=f"redis://127.0.0.1:{redis_server.port}/0")
    )
    reset_full(ctx)
    _, room_type_id = make_hotel(ctx, rooms=2)
    token, _ = make_user(ctx)
    check_in, check_out = stay()
    body = {
        "room_type_id": room_type_id,
        "check_in": check_in.isoformat(),
        "check_out": check_out.isoformat(),
        "guests": 1,
    }
    client = TestClient(create_api(ctx), raise_server_exceptions=False)
    assert client.post("/api/bookings", json=body, headers=bearer(token)).status_code == 201

    redis_server.stop()
    # Other dates (the same stay would resume the hold without a lock): a new hold needs Redis.
    later = check_in + timedelta(days=5), check_out + timedelta(days=5)
    body = body | {"check_in": later[0].isoformat(), "check_out": later[1].isoformat()}
    down = client.post("/api/bookings", json=body, headers=bearer(token))
    assert down.status_code == 503
    assert down.json()["error"]["code"] == "unavailable"
    assert "Traceback" not in down.text
    health = client.get("/api/health")
    assert health.status_code == 503 and health.json()["components"]["redis"] != "ok"
    with transaction(ctx.engine) as session:
        assert len(session.exec(select(Booking)).all()) == 1
        assert {row.reserved for row in session.exec(select(RoomInventory)).all()} == {1}

    redis_server.start()
    assert client.post("/api/bookings", json=body, headers=bearer(token)).status_code == 201
    assert client.get("/api/health").status_code == 200
    ctx.close()
