"""Helpers shared by the benchmarks: a fresh Postgres database, a server process, percentiles."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from backend.settings import Mode, Settings


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def require_full_mode_env() -> tuple[str, str]:
    database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if not (database_url and redis_url):
        sys.exit(
            "This benchmark runs in full mode: start servers with `make services-up` and "
            "`source .run/services/env` (or point DATABASE_URL/REDIS_URL at yours)."
        )
    # Full mode refuses public secrets: the benchmark's own servers and workers (which inherit
    # this environment) share a run's random ones, unless the caller set real ones.
    os.environ.setdefault("TRINITY_SECRET_KEY", secrets.token_urlsafe(32))
    os.environ.setdefault("TRINITY_ADMIN_PASSWORD", secrets.token_urlsafe(16))
    return database_url, redis_url


@contextmanager
def fresh_database(name: str) -> Iterator[str]:
    """Create (or recreate) a database of the benchmark's own; yields its URL."""
    database_url, _ = require_full_mode_env()
    server = make_url(Settings(mode=Mode.FULL, database_url=database_url).sqlalchemy_url)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Server:
    base: str  # http://127.0.0.1:port
    pid: int  # granian's main process; its workers are its children


@contextmanager
def api_server(env: dict[str, str], workers: int = 2) -> Iterator[str]:
    """Serve backend.api in its own processes (the load generator must not share their GIL), on
    granian, the server `reflex run --env prod` uses."""
    with asgi_server("bench.api_app:create", env, workers) as server:
        yield server.base


@contextmanager
def asgi_server(factory: str, env: dict[str, str], workers: int = 2) -> Iterator[Server]:
    """Serve the ASGI app `factory` builds (module:function) on granian, as api_server does;
    it must answer GET /api/health with 200 once ready."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log",
         "--no-ws", factory],
        env={**os.environ, **env},
        start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server of {factory} did not start")
            time.sleep(0.2)
        yield Server(base, process.pid)
    finally:
        process.terminate()
        process.wait(15)
