"""The topology docker-compose.yml describes, run for real: every `trinity` service of the compose
file as its own OS process against the loopback servers, then a guest's whole journey through them.

web (page + API) -> hold -> checkout -> relay -> payments/inventory/orders workers -> confirmed;
an unpaid hold -> sweeper -> expired; an admin rename -> sync worker -> searchable.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from modes import MODES, ROLES_REDIS_DB, fresh_redis_url, require_server_urls
from processes import stop_tree
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from backend.settings import Mode, Settings

pytestmark = pytest.mark.skipif(
    "full" not in MODES, reason="full mode deselected by TRINITY_TEST_MODES"
)
ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / "test-results" / "system"
ADMIN = ("ops@example.com", "ops-password-1")
CARD = "4242424242424242"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def compose_roles() -> dict[str, list[str]]:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    return {
        name: service["command"]
        for name, service in services.items()
        if isinstance(service.get("command"), list) and service["command"][0] == "trinity"
    }


@pytest.fixture
def database_url() -> Iterator[str]:
    database_url, _ = require_server_urls()
    server = make_url(Settings(mode=Mode.FULL, database_url=database_url).sqlalchemy_url)
    name = f"trinity_roles_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield (
        server.set(database=name)
        .render_as_string(hide_password=False)
        .replace("postgresql+psycopg://", "postgresql://")
    )
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextlib.contextmanager
def running(
    roles: dict[str, list[str]], env: dict[str, str]
) -> Iterator[dict[str, subprocess.Popen]]:
    LOGS.mkdir(parents=True, exist_ok=True)
    trinity = str(Path(sys.executable).parent / "trinity")
    processes: dict[str, subprocess.Popen] = {}
    try:
        for name, command in roles.items():
            log = open(LOGS / f"{name}.log", "wb")  # noqa: SIM115  (closed with the process)
            processes[name] = subprocess.Popen(
                [trinity, *command[1:]], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        yield processes
    finally:
        for process in processes.values():
            stop_tree(process)


def eventually(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
            if result:
                return result
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what} (logs: {LOGS})")
        time.sleep(0.25)


def test_every_compose_role_as_its_own_process(database_url: str, e2e_lock: None) -> None:
    """`e2e_lock`: the web role compiles into the checkout's one .web/, as the browser suite does."""
    roles = compose_roles()
    assert {"web", "sweeper", "relay", "sync"} <= set(roles)
    assert sum(1 for c in roles.values() if c[1] == "worker") == 3
    port = _free_port()
    tag = uuid.uuid4().hex[:8]
    env = {
        **os.environ,
        "TRINITY_MODE": "full",
        "DATABASE_URL": database_url,
        "REDIS_URL": fresh_redis_url(ROLES_REDIS_DB),
        "TRINITY_SEARCH_INDEX": f"roles_{tag}",
        "BROKER_QUEUE_PREFIX": f"roles_{tag}_",
        "TRINITY_DATA_DIR": str(LOGS / "data"),
        "TRINITY_DEMO_HOTELS": "30",
        "TRINITY_ADMIN_EMAIL": ADMIN[0],
        "TRINITY_ADMIN_PASSWORD": ADMIN[1],
        "HOLD_TTL_SECONDS": "4",
        "SWEEP_INTERVAL_SECONDS": "0.5",
        "PORT": str(port),
    }
    base = f"http://127.0.0.1:{port}"
    web = {"web": roles.pop("web")}  # as in compose: the other roles start once web is healthy
    with (
        running(web, env) as web_process,
        httpx.Client(base_url=base, timeout=10) as http,
    ):
        eventually(lambda: _healthy(http, web_process), 240, "the web role to answer /api/health")
        with running(roles, env) as processes:
            secrets = _journey(http, {**web_process, **processes}, tag)
    # Every role's log (JSON lines and the servers' own output) after a whole checkout.
    logs = {path.name: path.read_text(errors="replace") for path in LOGS.glob("*.log")}
    assert set(logs) >= {f"{name}.log" for name in compose_roles()}
    leaked = [(name, s[:6]) for name, text in logs.items() for s in secrets if s in text]
    assert not leaked, f"tokens or card numbers in the logs: {leaked}"


def _healthy(http: httpx.Client, processes: dict[str, subprocess.Popen]) -> bool:
    dead = [name for name, process in processes.items() if process.poll() is not None]
    assert not dead, f"role(s) {dead} exited; see {LOGS}"
    return http.get("/api/health").status_code == 200


def _journey(http: httpx.Client, processes: dict[str, subprocess.Popen], tag: str) -> list[str]:
    """A guest's and an admin's whole journey; returns the secrets it used (tokens, card)."""
    eventually(lambda: _healthy(http, processes), 30, "every role to stay up")
    token = http.post(
        "/api/auth/register",
        json={"email": f"{tag}@example.com", "password": "long-password", "name": "Roles"},
    ).json()["token"]
    guest = {"Authorization": f"Bearer {token}"}
    hotel = http.get("/api/hotels/1").json()
    room_type = max(hotel["room_types"], key=lambda rt: rt["capacity"])
    check_in = date.today() + timedelta(days=40)
    stay = {
        "room_type_id": room_type["id"],
        "check_in": check_in.isoformat(),
        "check_out": (check_in + timedelta(days=2)).isoformat(),
        "guests": 1,
    }

    # Saga: web -> relay -> payments -> inventory -> orders, each in its own process.
    held = http.post("/api/bookings", json=stay, headers=guest)
    assert held.status_code == 201, held.text
    order = http.post(
        "/api/checkout",
        json={"booking_id": held.json()["id"], "card_number": CARD},
        headers=guest,
    )
    assert order.status_code == 202, order.text
    order_id = order.json()["order_id"]
    confirmed = eventually(
        lambda: (o := http.get(f"/api/orders/{order_id}", headers=guest).json())["status"] == "confirmed" and o,
        30, "the order to be confirmed by the worker processes",
    )  # fmt: skip
    assert [e["type"] for e in confirmed["events"]][:1] == ["OrderCreated"]
    assert (
        http.get(f"/api/bookings/{held.json()['id']}", headers=guest).json()["status"]
        == "confirmed"
    )

    # Sweeper: an unpaid hold expires after HOLD_TTL_SECONDS.
    later = {
        **stay,
        "check_in": (check_in + timedelta(days=5)).isoformat(),
        "check_out": (check_in + timedelta(days=6)).isoformat(),
    }
    unpaid = http.post("/api/bookings", json=later, headers=guest).json()
    eventually(
        lambda: http.get(f"/api/bookings/{unpaid['id']}", headers=guest).json()["status"] == "expired",
        20, "the sweeper process to expire the unpaid hold",
    )  # fmt: skip

    # Sync: an admin rename reaches the search index through the sync process.
    admin_token = http.post(
        "/api/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]}
    ).json()["token"]
    new_name = f"Renamed {tag}"
    renamed = http.patch(
        "/api/admin/hotels/1",
        json={"name": new_name},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert renamed.status_code == 200
    hits = eventually(
        lambda: http.get("/api/search", params={"q": new_name}).json()["hits"],
        30, "the rename to become searchable via the sync process",
    )  # fmt: skip
    assert hits[0]["id"] == 1 and hits[0]["name"] == new_name
    return [token, admin_token, CARD, ADMIN[1]]
