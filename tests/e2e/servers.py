"""The browser suite's own servers: start, wait for and stop `reflex run --env prod` and the
full-mode roles, on databases of their own (used by conftest.py; not used with TRINITY_E2E_URL)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from processes import stop_tree

if TYPE_CHECKING:
    from backend.context import Context

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOLS_BIN = REPO_ROOT / ".tools" / "node_modules" / ".bin"
ARTIFACTS_DIR = REPO_ROOT / "test-results" / "e2e"
SERVER_START_TIMEOUT_S = float(os.environ.get("E2E_SERVER_START_TIMEOUT", "240"))
SERVER_STOP_GRACE_S = 5.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerLog:
    """The server's log file, read back through its open descriptor.

    Any pytest session with pytest-playwright deletes test-results/ when it starts
    (its autouse `delete_output_dir`), e.g. another test run in the same checkout.
    The open descriptor survives that, and `restore()` writes the file back.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.file = path.open("w+b")

    def text(self) -> str:
        self.file.flush()
        return os.pread(self.file.fileno(), os.fstat(self.file.fileno()).st_size, 0).decode(
            errors="replace"
        )

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.text().splitlines()[-lines:])

    def note(self, line: str) -> None:
        self.file.write(f"\n[e2e] {line}\n".encode())
        self.file.flush()

    def restore(self) -> None:
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(self.text())

    def close(self) -> None:
        self.restore()
        self.file.close()


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server and everything it started (tests/processes.py)."""
    stop_tree(proc, SERVER_STOP_GRACE_S)


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def prepare_database(env: dict[str, str]) -> None:
    """Migrate the server's database and create its admin, as an operator would: with the app's
    own CLI (`trinity migrate`, `trinity demo-users`), before the server starts."""
    trinity = str(Path(sys.executable).parent / "trinity")
    for command in (["migrate"], ["demo-users"]):
        done = subprocess.run(
            [trinity, *command], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            pytest.fail(f"`trinity {command[0]}` failed:\n{done.stdout}\n{done.stderr}")


def start_reflex(env: dict[str, str], port: int, log: ServerLog) -> subprocess.Popen[bytes]:
    """`reflex run --env prod` on `port`, in its own process group; returns once it serves."""
    if not (TOOLS_BIN / "bun").exists():
        pytest.fail(
            f"bun not found at {TOOLS_BIN / 'bun'}: run `npm install --prefix .tools bun@1.4.4` "
            "in the repo root (Reflex cannot download bun offline)."
        )
    base_url = f"http://127.0.0.1:{port}"
    cmd = [
        sys.executable, "-m", "reflex", "run", "--env", "prod",
        "--frontend-port", str(port), "--backend-host", "127.0.0.1",
    ]  # fmt: skip
    started = time.monotonic()
    proc = subprocess.Popen(
        cmd,
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log.file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"Reflex server exited with code {proc.returncode} before it was ready.\n"
                    f"--- {log.path} (tail) ---\n{log.tail()}"
                )
            if http_ok(f"{base_url}/ping") and http_ok(f"{base_url}/"):
                break
            if time.monotonic() - started > SERVER_START_TIMEOUT_S:
                pytest.fail(
                    f"Reflex server not ready on {base_url} after {SERVER_START_TIMEOUT_S:.0f} s.\n"
                    f"--- {log.path} (tail) ---\n{log.tail()}"
                )
            time.sleep(0.25)
    except BaseException:
        stop_group(proc)
        raise
    ready_s = time.monotonic() - started
    log.note(f"server ready on {base_url} after {ready_s:.1f} s")
    print(
        f"\n[e2e] Reflex server ({env['TRINITY_MODE']} mode) ready on {base_url} after {ready_s:.1f} s"
    )
    return proc


FULL_ROLES = {
    "relay": ["relay"],
    "worker-orders": ["worker", "--queue", "orders"],
    "worker-payments": ["worker", "--queue", "payments"],
    "worker-inventory": ["worker", "--queue", "inventory"],
    "sync": ["sync"],
}


def full_server_urls() -> dict[str, str]:
    names = ("DATABASE_URL", "REDIS_URL", "BROKER_URL", "MEILI_URL")
    missing = [n for n in names if not os.environ.get(n)]
    if missing:
        pytest.fail(
            f"the full-mode browser tests need {', '.join(missing)} (run `make test`, or "
            "`source .run/dev/env` with the dev servers up), or deselect them with -k 'not full'."
        )
    return {n: os.environ[n] for n in names}


@contextlib.contextmanager
def fresh_database(server_url: str, name: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from backend.settings import Mode, Settings

    server = make_url(Settings(mode=Mode.FULL, database_url=server_url).sqlalchemy_url)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def cleanup_full(ctx: Context) -> None:
    """Drop this session's search index and broker queues (the database is dropped after)."""
    from backend.saga.topology import QUEUES, queue_name

    with contextlib.suppress(Exception):
        ctx.search.inner.drop()  # type: ignore[attr-defined]
    channel = getattr(ctx.broker, "channel", None)
    with contextlib.suppress(Exception):
        for queue in QUEUES:
            for suffix in ("", ".DQ", ".XQ"):
                channel.queue_delete(queue_name(ctx.settings, queue) + suffix)  # type: ignore[union-attr]
    with contextlib.suppress(Exception):
        ctx.broker.close()
    ctx.close()
