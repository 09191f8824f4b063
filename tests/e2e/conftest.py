"""Browser end-to-end fixtures: a `reflex run --env prod` server and Debian Chromium.

The server is started once per session on a free port (page, /api and the Reflex
websocket all on that one port) in its own process group, and the whole group is
stopped afterwards. Its output goes to test-results/e2e/reflex-server.log.

On a failed test, a screenshot and the browser console log are kept under
test-results/e2e/<test>/.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Error, Page
from processes import stop_tree
from seed_data import SeededData, seed, settings_for
from stacks import Stack

from backend.bootstrap import build_context
from backend.context import Context
from backend.settings import Mode, Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOLS_BIN = REPO_ROOT / ".tools" / "node_modules" / ".bin"
ARTIFACTS_DIR = REPO_ROOT / "test-results" / "e2e"
SERVER_START_TIMEOUT_S = float(os.environ.get("E2E_SERVER_START_TIMEOUT", "240"))
SERVER_STOP_GRACE_S = 5.0
GATEWAY_LATENCY_MS = 1000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: drives the web app in a real Chromium")


# ---------------------------------------------------------------------------
# Reflex server
# ---------------------------------------------------------------------------


def _free_port() -> int:
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


def _server_env(port: int, data_dir: Path, **extra: str) -> dict[str, str]:
    # Inherit everything else, but local mode (unless `extra` says otherwise) on a data dir of
    # this session's own.
    env = dict(os.environ)
    env["TRINITY_MODE"] = "local"
    env["TRINITY_DATA_DIR"] = str(data_dir)
    env["TRINITY_DEMO_HOTELS"] = "0"
    env["TRINITY_TILE_URL"] = ""  # no internet here: the map draws its offline outline only
    env["RELAY_POLL_SECONDS"] = "0.2"  # the saga starts sooner after a checkout
    # Every gateway call takes this long: the refund test's window to let the hold expire and
    # another guest take the room between "order created" and the inventory step.
    env["GATEWAY_LATENCY_MS"] = str(GATEWAY_LATENCY_MS)
    env.pop("REFLEX_REDIS_URL", None)
    path_parts = [str(TOOLS_BIN), str(Path(sys.executable).parent), env.get("PATH", "")]
    env["PATH"] = os.pathsep.join(p for p in path_parts if p)
    env["PORT"] = str(port)
    env["REFLEX_TELEMETRY_ENABLED"] = "false"
    env["REFLEX_CHECK_LATEST_VERSION"] = "false"
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    if "NPM_CONFIG_REGISTRY" not in env:
        try:
            registry = subprocess.run(
                ["npm", "config", "get", "registry"],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            registry = ""
        if registry:
            env["NPM_CONFIG_REGISTRY"] = registry
    return env


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server and everything it started (tests/processes.py)."""
    stop_tree(proc, SERVER_STOP_GRACE_S)


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> SeededData:
    """A migrated SQLite data dir with the deterministic hotels and guests of seed_data.py."""
    return seed(tmp_path_factory.mktemp("trinity-data"))


@pytest.fixture(scope="session")
def backend(seeded: SeededData) -> Iterator[Context]:
    """The services on the server's own database, for setting up a test's situation directly."""
    ctx = build_context(settings_for(seeded.data_dir))
    yield ctx
    ctx.engine.dispose()


def _start_reflex(env: dict[str, str], port: int, log: ServerLog) -> subprocess.Popen[bytes]:
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
            if _http_ok(f"{base_url}/ping") and _http_ok(f"{base_url}/"):
                break
            if time.monotonic() - started > SERVER_START_TIMEOUT_S:
                pytest.fail(
                    f"Reflex server not ready on {base_url} after {SERVER_START_TIMEOUT_S:.0f} s.\n"
                    f"--- {log.path} (tail) ---\n{log.tail()}"
                )
            time.sleep(0.25)
    except BaseException:
        _stop_group(proc)
        raise
    ready_s = time.monotonic() - started
    log.note(f"server ready on {base_url} after {ready_s:.1f} s")
    print(
        f"\n[e2e] Reflex server ({env['TRINITY_MODE']} mode) ready on {base_url} after {ready_s:.1f} s"
    )
    return proc


@pytest.fixture(scope="session")
def app_server(e2e_lock: None, seeded: SeededData) -> Iterator[str]:
    """Start `reflex run --env prod` (local mode) on a free port; yield its base URL."""
    port = _free_port()
    log = ServerLog(ARTIFACTS_DIR / "reflex-server.log")
    proc = None
    try:
        proc = _start_reflex(_server_env(port, seeded.data_dir), port, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        if proc is not None:
            _stop_group(proc)
        log.close()


# ---------------------------------------------------------------------------
# Full mode: PostgreSQL, Redis, RabbitMQ, Meilisearch, and the saga/sync roles as processes
# ---------------------------------------------------------------------------

FULL_ROLES = {
    "relay": ["relay"],
    "worker-orders": ["worker", "--queue", "orders"],
    "worker-payments": ["worker", "--queue", "payments"],
    "worker-inventory": ["worker", "--queue", "inventory"],
    "sync": ["sync"],
}


def _full_server_urls() -> dict[str, str]:
    names = ("DATABASE_URL", "REDIS_URL", "BROKER_URL", "MEILI_URL")
    missing = [n for n in names if not os.environ.get(n)]
    if missing:
        pytest.fail(
            f"the full-mode browser tests need {', '.join(missing)} (run `make test`, or "
            "`source .run/dev/env` with the dev servers up), or deselect them with -k 'not full'."
        )
    return {n: os.environ[n] for n in names}


@contextlib.contextmanager
def _fresh_database(server_url: str, name: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

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


def _cleanup_full(ctx: Context) -> None:
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
    ctx.engine.dispose()


@pytest.fixture(scope="session")
def full_stack(e2e_lock: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The app in TRINITY_MODE=full on the servers of DATABASE_URL/REDIS_URL/BROKER_URL/MEILI_URL,
    on a fresh database, a Redis database number, queue prefix and search index of its own, with
    the relay, one worker per saga queue and the sync worker as processes beside it.

    Reflex bakes the port into the one shared .web/ build, so this server is started after the
    local-mode tests are done (collection puts the full-mode tests last)."""
    urls = _full_server_urls()
    tag = uuid.uuid4().hex[:8]
    redis_url = urls["REDIS_URL"]
    if redis_url.count("/") > 2:  # a database number of its own (others flush theirs)
        redis_url = redis_url.rsplit("/", 1)[0] + f"/{random.randint(1, 14)}"
    data_dir = tmp_path_factory.mktemp("trinity-full")
    processes: list[tuple[subprocess.Popen[bytes], ServerLog]] = []
    with _fresh_database(urls["DATABASE_URL"], f"trinity_e2e_{tag}") as database_url:
        overrides = {
            "TRINITY_MODE": "full",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "BROKER_URL": urls["BROKER_URL"],
            "MEILI_URL": urls["MEILI_URL"],
            "BROKER_QUEUE_PREFIX": f"e2e_{tag}_",
            "TRINITY_SEARCH_INDEX": f"e2e_{tag}",
            "SEARCH_SYNC_POLL_SECONDS": "0.2",
            "GATEWAY_LATENCY_MS": "0",  # no refund-window test here
        }
        settings = Settings(
            mode=Mode.FULL,
            data_dir=data_dir,
            database_url=database_url,
            redis_url=redis_url,
            broker_url=urls["BROKER_URL"],
            meili_url=urls["MEILI_URL"],
            meili_master_key=os.environ.get("MEILI_MASTER_KEY"),
            search_index=overrides["TRINITY_SEARCH_INDEX"],
            broker_queue_prefix=overrides["BROKER_QUEUE_PREFIX"],
        )
        seeded = seed(data_dir, settings)
        ctx = build_context(settings)
        port = _free_port()
        env = _server_env(port, data_dir, **overrides)
        trinity = str(Path(sys.executable).parent / "trinity")
        try:
            for role, args in FULL_ROLES.items():
                log = ServerLog(ARTIFACTS_DIR / f"full-{role}.log")
                proc = subprocess.Popen(
                    [trinity, *args], cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL,
                    stdout=log.file, stderr=subprocess.STDOUT, start_new_session=True,
                )  # fmt: skip
                processes.append((proc, log))
            web_log = ServerLog(ARTIFACTS_DIR / "reflex-server-full.log")
            web = _start_reflex(env, port, web_log)
            processes.append((web, web_log))
            dead = [log.path.name for proc, log in processes if proc.poll() is not None]
            if dead:
                pytest.fail(f"full-mode role(s) exited early: {dead} (see {ARTIFACTS_DIR})")
            yield Stack("full", f"http://127.0.0.1:{port}", seeded, ctx)
        finally:
            for proc, log in reversed(processes):
                _stop_group(proc)
                log.close()
            _cleanup_full(ctx)


@pytest.fixture(params=["local", "full"])
def stack(request: pytest.FixtureRequest) -> Stack:
    """For the core booking and checkout tests: run once against each mode's app."""
    if request.param == "full":
        return request.getfixturevalue("full_stack")
    return Stack(
        "local",
        request.getfixturevalue("app_server"),
        request.getfixturevalue("seeded"),
        request.getfixturevalue("backend"),
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Full-mode tests last: their server rebuilds the shared .web/ for another port."""

    def is_full(item: pytest.Item) -> bool:
        callspec = getattr(item, "callspec", None)
        return bool(callspec and callspec.params.get("stack") == "full")

    items.sort(key=is_full)  # stable: the order within each group stays


# ---------------------------------------------------------------------------
# Chromium (Debian package; Playwright cannot download browsers here)
# ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    executable = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not Path(executable).exists():
        pytest.fail(
            f"Chromium not found at {executable} (install Debian `chromium` or set CHROMIUM_PATH)"
        )
    return {
        **browser_type_launch_args,
        "executable_path": executable,
        "args": [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # A euro locale: the app guesses the guest's currency from it, and the tests' hotels are in
    # euros (the currency tests open their own contexts with other locales).
    return {**browser_context_args, "locale": "pt-PT"}


# ---------------------------------------------------------------------------
# Console capture and failure artifacts
# ---------------------------------------------------------------------------


@dataclass
class BrowserLog:
    """Console messages and uncaught page errors seen by one test's page."""

    entries: list[dict[str, Any]] = field(default_factory=list)

    def on_console(self, msg: ConsoleMessage) -> None:
        self.entries.append(
            {"kind": "console", "type": msg.type, "text": msg.text, "location": msg.location}
        )

    def on_page_error(self, error: Error) -> None:
        self.entries.append(
            {"kind": "pageerror", "type": "error", "text": f"{error.name}: {error.message}"}
        )

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [e for e in self.entries if e["type"] == "error"]

    def dump(self) -> str:
        return "\n".join(json.dumps(e, ensure_ascii=False) for e in self.entries) + "\n"


_browser_log_key = pytest.StashKey[BrowserLog]()
_reports_key = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "setup":  # a rerun starts over
        item.stash[_reports_key] = {}
    item.stash.setdefault(_reports_key, {})[report.when] = report
    return report


def _slug(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", nodeid).strip("-")[:150]


def _test_failed(item: pytest.Item) -> bool:
    reports = item.stash.get(_reports_key, {})
    return any(r.failed for when, r in reports.items() if when in ("setup", "call"))


@pytest.fixture
def page(page: Page, request: pytest.FixtureRequest) -> Iterator[Page]:
    """pytest-playwright's page, recording its console; keeps screenshot + log on failure."""
    log = BrowserLog()
    request.node.stash[_browser_log_key] = log
    page.on("console", log.on_console)
    page.on("pageerror", log.on_page_error)
    yield page
    if _test_failed(request.node):
        out = ARTIFACTS_DIR / _slug(request.node.nodeid)
        out.mkdir(parents=True, exist_ok=True)
        (out / "console.log").write_text(log.dump())
        try:
            page.screenshot(path=str(out / "screenshot.png"), full_page=True)
        except Error as exc:
            (out / "screenshot-error.txt").write_text(str(exc))


@pytest.fixture
def browser_log(page: Page, request: pytest.FixtureRequest) -> BrowserLog:
    """Console messages and page errors of the current test's `page`."""
    return request.node.stash[_browser_log_key]
