"""Browser end-to-end fixtures: the app under test, its data, and Debian Chromium.

Standalone (the default), the suite starts `reflex run --env prod` once per session on a free port
(page, /api and the Reflex websocket all on that one port) in its own process group, and stops
the whole group afterwards. Its output goes to test-results/e2e/reflex-server.log.

With TRINITY_E2E_URL=http://host:port it starts nothing and drives that running deployment
instead (the admin login from TRINITY_E2E_ADMIN_EMAIL / TRINITY_E2E_ADMIN_PASSWORD, by default
the local demo admin). Either way the data is made through the public API only (seed_data.py);
the few tests that need the server's internals are marked `standalone_only` and skipped there.

On a failed test, a screenshot, the browser console log and a Playwright trace (`trace.zip`, open it
with `playwright show-trace`) are kept under test-results/e2e/<test>/.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from api_client import Api
from modes import E2E_REDIS_DB, fresh_redis_url
from playwright.sync_api import ConsoleMessage, Error, Page
from seed_data import Guest, SeededData, seed
from servers import (
    ARTIFACTS_DIR,
    FULL_ROLES,
    REPO_ROOT,
    TOOLS_BIN,
    ServerLog,
    cleanup_full,
    free_port,
    fresh_database,
    full_server_urls,
    http_ok,
    prepare_database,
    start_reflex,
    stop_group,
)
from stacks import Stack

if TYPE_CHECKING:
    from backend.context import Context

GATEWAY_LATENCY_MS = 1000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# Set: drive the deployment at this URL instead of starting servers (README, "For QA").
E2E_URL = os.environ.get("TRINITY_E2E_URL", "").rstrip("/")
# The admin of the suite's own servers (their TRINITY_ADMIN_*); against E2E_URL, the environment's.
OWN_ADMIN = Guest("e2e-admin@example.com", "Admin", "e2e-admin-password-1")
IN_PROCESS_ONLY = (
    "TRINITY_E2E_URL: this test sets up its situation through the server's own services "
    "(the in-process backend), which a remote deployment does not offer"
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: drives the web app in a real Chromium")
    config.addinivalue_line(
        "markers",
        "standalone_only(reason): needs the suite's own server (its files, logs or internals); "
        "skipped with `reason` when TRINITY_E2E_URL names a deployment",
    )


# ---------------------------------------------------------------------------
# Reflex server
# ---------------------------------------------------------------------------


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


# The suite's local server runs in QA's test mode: the refund race moves its clock through
# /api/test/clock, and its sweeper looks often enough to free the hold within the gateway's latency.
TEST_MODE_ENV = {"TRINITY_TEST_MODE": "1", "SWEEP_INTERVAL_SECONDS": "0.2"}


def _own_admin_env() -> dict[str, str]:
    return {"TRINITY_ADMIN_EMAIL": OWN_ADMIN.email, "TRINITY_ADMIN_PASSWORD": OWN_ADMIN.password}


@dataclass(frozen=True)
class LocalServer:
    base_url: str
    data_dir: Path


@pytest.fixture(scope="session")
def local_server(e2e_lock: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """Start `reflex run --env prod` (local mode) on a free port, on a fresh data dir."""
    data_dir = tmp_path_factory.mktemp("trinity-data")
    port = free_port()
    env = _server_env(port, data_dir, **_own_admin_env(), **TEST_MODE_ENV)
    prepare_database(env)
    log = ServerLog(ARTIFACTS_DIR / "reflex-server.log")
    proc = None
    try:
        proc = start_reflex(env, port, log)
        yield LocalServer(f"http://127.0.0.1:{port}", data_dir)
    finally:
        if proc is not None:
            stop_group(proc)
        log.close()


@pytest.fixture(scope="session")
def app_server(request: pytest.FixtureRequest) -> str:
    """The base URL of the app under test: TRINITY_E2E_URL, or the suite's own local server."""
    if not E2E_URL:
        return str(request.getfixturevalue("local_server").base_url)
    if not http_ok(f"{E2E_URL}/api/health"):
        pytest.fail(f"TRINITY_E2E_URL={E2E_URL}: GET /api/health does not answer 200")
    return E2E_URL


@pytest.fixture(scope="session")
def api(app_server: str) -> Api:
    """The public REST API of the app under test (the one way tests set up their data)."""
    return Api(app_server)


def _admin_login() -> Guest:
    if not E2E_URL:
        return OWN_ADMIN
    return Guest(
        os.environ.get("TRINITY_E2E_ADMIN_EMAIL", "admin@example.com"),
        "Admin",
        os.environ.get("TRINITY_E2E_ADMIN_PASSWORD", "admin-password"),
    )


@pytest.fixture(scope="session")
def seeded(api: Api, request: pytest.FixtureRequest) -> SeededData:
    """This run's hotels and guests, made through the API (seed_data.py)."""
    data_dir = None if E2E_URL else request.getfixturevalue("local_server").data_dir
    return seed(api, _admin_login(), data_dir)


@pytest.fixture
def server_clock(api: Api) -> Iterator[Api]:
    """The app's test clock (skips on a deployment without test mode), back to real time after
    the test whatever happens, so later tests see real time."""
    if not api.clock_settable():
        pytest.skip("the app under test is not in test mode (TRINITY_TEST_MODE=1)")
    try:
        yield api
    finally:
        api.move_clock(reset=True)


@pytest.fixture(scope="session")
def backend(seeded: SeededData) -> Iterator[Context]:
    """The services on the suite's own server's database, for the few tests that need internals
    (standalone only: skips against TRINITY_E2E_URL)."""
    if seeded.data_dir is None:
        pytest.skip(IN_PROCESS_ONLY)
    from backend.bootstrap import build_context
    from backend.settings import Mode, Settings

    ctx = build_context(Settings(mode=Mode.LOCAL, data_dir=seeded.data_dir))
    yield ctx
    ctx.close()


# ---------------------------------------------------------------------------
# Full mode: PostgreSQL, Redis, RabbitMQ, Meilisearch, and the saga/sync roles as processes
# ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def full_stack(e2e_lock: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The app in TRINITY_MODE=full on the servers of DATABASE_URL/REDIS_URL/BROKER_URL/MEILI_URL,
    on a fresh database, a Redis database number, queue prefix and search index of its own, with
    the relay, one worker per saga queue and the sync worker as processes beside it.

    Reflex bakes the port into the one shared .web/ build, so this server is started after the
    local-mode tests are done (collection puts the full-mode tests last)."""
    urls = full_server_urls()
    tag = uuid.uuid4().hex[:8]
    redis_url = fresh_redis_url(E2E_REDIS_DB)
    data_dir = tmp_path_factory.mktemp("trinity-full")
    processes: list[tuple[subprocess.Popen[bytes], ServerLog]] = []
    with fresh_database(urls["DATABASE_URL"], f"trinity_e2e_{tag}") as database_url:
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
            **_own_admin_env(),
        }
        from backend.bootstrap import build_context
        from backend.settings import Mode, Settings

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
        port = free_port()
        env = _server_env(port, data_dir, **overrides)
        prepare_database(env)
        ctx = build_context(settings)  # only to drop the index and queues afterwards
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
            web = start_reflex(env, port, web_log)
            processes.append((web, web_log))
            dead = [log.path.name for proc, log in processes if proc.poll() is not None]
            if dead:
                pytest.fail(f"full-mode role(s) exited early: {dead} (see {ARTIFACTS_DIR})")
            base_url = f"http://127.0.0.1:{port}"
            api = Api(base_url)
            yield Stack("full", base_url, seed(api, OWN_ADMIN, data_dir), api, ctx)
        finally:
            for proc, log in reversed(processes):
                stop_group(proc)
                log.close()
            cleanup_full(ctx)


@pytest.fixture(params=["local", "full"])
def stack(request: pytest.FixtureRequest) -> Stack:
    """For the core booking and checkout tests: run once against each mode's app (against
    TRINITY_E2E_URL, once against that deployment, whatever its mode)."""
    if request.param == "full":
        if E2E_URL:
            pytest.skip("TRINITY_E2E_URL: the deployment is tested once, under the 'local' id")
        return request.getfixturevalue("full_stack")
    return Stack(
        "url" if E2E_URL else "local",
        request.getfixturevalue("app_server"),
        request.getfixturevalue("seeded"),
        request.getfixturevalue("api"),
        None if E2E_URL else request.getfixturevalue("backend"),
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Full-mode tests last: their server rebuilds the shared .web/ for another port. Against
    TRINITY_E2E_URL, the tests marked `standalone_only` skip with their reason."""
    if E2E_URL:
        for item in items:
            for mark in item.iter_markers("standalone_only"):
                reason = mark.kwargs.get("reason") or (mark.args[0] if mark.args else "")
                item.add_marker(pytest.mark.skip(reason=f"TRINITY_E2E_URL: {reason}"))

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
    """pytest-playwright's page, recording its console and a trace; on failure keeps a screenshot,
    the console log and the trace (`playwright show-trace trace.zip`)."""
    log = BrowserLog()
    request.node.stash[_browser_log_key] = log
    page.on("console", log.on_console)
    page.on("pageerror", log.on_page_error)
    page.context.tracing.start(screenshots=True, snapshots=True)
    yield page
    if not _test_failed(request.node):
        page.context.tracing.stop()
        return
    out = failure_dir(request.node)
    (out / "console.log").write_text(log.dump())
    try:
        page.screenshot(path=str(out / "screenshot.png"), full_page=True)
    except Error as exc:
        (out / "screenshot-error.txt").write_text(str(exc))
    try:
        page.context.tracing.stop(path=str(out / "trace.zip"))
    except Error as exc:
        (out / "trace-error.txt").write_text(str(exc))


def failure_dir(item: pytest.Item) -> Path:
    """test-results/e2e/<test>/: where a failed test's artifacts are kept."""
    out = ARTIFACTS_DIR / _slug(item.nodeid)
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture
def browser_log(page: Page, request: pytest.FixtureRequest) -> BrowserLog:
    """Console messages and page errors of the current test's `page`."""
    return request.node.stash[_browser_log_key]
