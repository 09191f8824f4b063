"""Test mode as separate OS processes: refused start-ups, and `trinity scenario|clock --url`
against a running API whose clock the sweeper process (full mode) follows through Redis."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from modes import MODES, TEST_MODE_REDIS_DB, fresh_redis_url
from processes import stop_tree
from test_process_roles import _free_port, database_url, eventually  # noqa: F401

from backend.db import migrate
from backend.settings import Mode, Settings

ROOT = Path(__file__).resolve().parents[2]
TRINITY = str(Path(sys.executable).parent / "trinity")
LOGS = ROOT / "test-results" / "system"


def trinity(*args: str, env: dict[str, str], timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run(
        [TRINITY, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.parametrize(
    ("role", "overrides", "says"),
    [
        (
            ["sweeper"],
            {"TRINITY_SECRET_KEY": "a-production-secret-0123"},
            "production TRINITY_SECRET",
        ),
        (["scenario", "refund"], {"TRINITY_MODE": "full"}, "TRINITY_TEST_MODE_ALLOW_FULL=1"),
    ],
)
def test_test_mode_is_refused_at_start_up(
    role: list[str], overrides: dict[str, str], says: str, tmp_path: Path
) -> None:
    env = {**os.environ, "TRINITY_TEST_MODE": "1", "TRINITY_DATA_DIR": str(tmp_path), **overrides}
    ran = trinity(*role, env=env, timeout=60)
    assert ran.returncode == 2, (ran.stdout, ran.stderr)
    assert says in " ".join(ran.stdout.split()), ran.stdout


def test_in_process_scenarios_need_test_mode(tmp_path: Path) -> None:
    env = {**os.environ, "TRINITY_MODE": "local", "TRINITY_DATA_DIR": str(tmp_path)}
    env.pop("TRINITY_TEST_MODE", None)
    ran = trinity("scenario", "refund", env=env)
    assert ran.returncode == 1 and "TRINITY_TEST_MODE=1" in ran.stdout


@contextlib.contextmanager
def started(name: str, command: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen]:
    LOGS.mkdir(parents=True, exist_ok=True)
    with open(LOGS / f"testmode-{name}.log", "wb") as log:
        process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            yield process
        finally:
            stop_tree(process)


def deployment_env(request: pytest.FixtureRequest, mode: str, tmp_path: Path) -> dict[str, str]:
    """The environment of a test-mode deployment in `mode`, its database migrated."""
    env = {**os.environ, "TRINITY_MODE": mode, "TRINITY_TEST_MODE": "1",
           "TRINITY_DATA_DIR": str(tmp_path), "SWEEP_INTERVAL_SECONDS": "0.3"}  # fmt: skip
    env.pop("PORT", None)
    if mode == "full":
        tag = uuid.uuid4().hex[:8]
        env |= {
            "TRINITY_TEST_MODE_ALLOW_FULL": "1",
            "DATABASE_URL": request.getfixturevalue("database_url"),
            "REDIS_URL": fresh_redis_url(TEST_MODE_REDIS_DB),
            "BROKER_QUEUE_PREFIX": f"testmode_{tag}_",
            "TRINITY_SEARCH_ENGINE": "embedded",
        }
    settings = Settings(mode=Mode(mode), data_dir=tmp_path, database_url=env.get("DATABASE_URL"))
    migrate(settings.sqlalchemy_url)
    return env


@pytest.fixture(params=MODES)
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str, dict]]:
    """(mode, API URL, env) of a running test-mode API (and, in full mode, a sweeper process)."""
    mode = str(request.param)
    env = deployment_env(request, mode, tmp_path)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    api = [sys.executable, "-m", "uvicorn", "--factory", "backend.api.main:create_api",
           "--port", str(port)]  # fmt: skip
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(started(f"api-{mode}", api, env))
        if mode == "full":
            stack.enter_context(started("sweeper", [TRINITY, "sweeper"], env))
        eventually(lambda: server.poll() is None and _answers(url), 60, "the test-mode API")
        httpx.post(f"{url}/api/test/clock", json={"reset": True})  # Redis db 14 is reused
        yield mode, url, env


@pytest.mark.parametrize("mode", MODES)
def test_cli_builds_a_scenario_in_its_own_process(
    request: pytest.FixtureRequest, mode: str, tmp_path: Path
) -> None:
    """Without --url: local mode runs the saga in the command's process while it builds."""
    env = deployment_env(request, mode, tmp_path)
    name = "refund" if mode == "local" else "declined-card"  # full: no saga workers started here
    booked = []
    for _ in range(2):
        ran = trinity("scenario", name, env=env)
        assert ran.returncode == 0, ran.stdout + ran.stderr
        assert f"qa-{name}@example.com / qa-password" in ran.stdout
        assert "http://localhost:" in ran.stdout
        booked.append([line for line in ran.stdout.splitlines() if "booking_id:" in line])
    assert booked[0] and booked[0] == booked[1]  # run again: the same stay, not a second one


def _answers(url: str) -> bool:
    return httpx.get(f"{url}/api/test/clock", timeout=2).status_code == 200


def test_cli_builds_scenarios_and_moves_the_clock_of_a_running_app(
    app: tuple[str, str, dict],
) -> None:
    mode, url, env = app
    first = trinity("scenario", "expiring-hold", "--url", url, env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "qa-expiring-hold@example.com / qa-password" in first.stdout
    again = trinity("scenario", "expiring-hold", "--url", url, env=env)
    assert again.returncode == 0
    http = httpx.Client(base_url=url, timeout=10)  # closed with the test's garbage
    token = http.post(
        "/api/auth/login", json={"email": "qa-expiring-hold@example.com", "password": "qa-password"}
    ).json()["token"]
    guest = {"Authorization": f"Bearer {token}"}
    held = [b for b in http.get("/api/bookings", headers=guest).json() if b["status"] == "held"]
    assert len(held) == 1  # run twice: one live hold, not two

    moved = trinity("clock", "--advance", "31", "--url", url, env=env)
    assert moved.returncode == 0 and "offset +31.0 s" in moved.stdout
    paid = http.post(
        "/api/checkout",
        json={"booking_id": held[0]["id"], "card_number": "4242424242424242"},
        headers=guest,
    )
    assert paid.status_code == 409 and "expired" in paid.json()["error"]["message"]
    if mode == "full":  # the sweeper is its own process: it read the API's clock from Redis
        eventually(
            lambda: http.get(f"/api/bookings/{held[0]['id']}", headers=guest).json()["status"]
            == "expired",
            10, "the sweeper process to expire the hold by the moved clock",
        )  # fmt: skip

    unknown = trinity("scenario", "nope", "--url", url, env=env)
    assert unknown.returncode == 1 and "last-room" in unknown.stdout
    if mode == "full":  # local mode's sweeper is a thread of the web app: tests/integration
        _sweeper_process_settles_a_stuck_order(http)


def _sweeper_process_settles_a_stuck_order(http: httpx.Client) -> None:
    built = http.post("/api/test/scenarios/stuck-order").json()
    order = f"/api/orders/{built['ids']['order_id']}"
    login = {k: built["logins"][0][k] for k in ("email", "password")}
    guest = {"Authorization": f"Bearer {http.post('/api/auth/login', json=login).json()['token']}"}
    time.sleep(1)  # a few sweeps: before the deadline nothing moves it
    assert http.get(order, headers=guest).json()["status"] == "paid"
    http.post("/api/test/clock", json={"advance_seconds": 301})  # ORDER_DEADLINE_SECONDS + 1
    eventually(
        lambda: http.get(order, headers=guest).json()["status"] == "confirmed",
        10, "the sweeper process to settle the order past its deadline",
    )  # fmt: skip
