"""Shared fixtures: a Trinity context per test in each mode (local: SQLite + fakeredis; full: the
real PostgreSQL and Redis that `make test` starts, named by DATABASE_URL and REDIS_URL)."""

from __future__ import annotations

import fcntl
import os
import secrets
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from modes import MODES, full_settings, local_settings, require_server_urls, reset_full
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from backend import models  # noqa: F401  (registers every table on the metadata)
from backend.bootstrap import build_context
from backend.context import Context
from backend.db import migrate
from backend.settings import TEST_SECRET_PREFIX, Mode, Settings

# Full mode refuses public secrets, and every server the suite starts (e2e, system, roles) inherits
# this environment: a session's own random ones, shared by the in-process seeding and the servers
# (a token the tests issue must verify on the server). The `test-` prefix is what test mode
# (TRINITY_TEST_MODE) asks of a secret before it turns its clock and scenarios on.
os.environ.setdefault("TRINITY_SECRET_KEY", TEST_SECRET_PREFIX + secrets.token_urlsafe(32))
os.environ.setdefault("TRINITY_ADMIN_PASSWORD", secrets.token_urlsafe(16))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated once; each test copies the file instead of migrating again."""
    path = tmp_path_factory.mktemp("template") / "trinity.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of this test session's own on the server, migrated once."""
    database_url, _ = require_server_urls()
    settings = Settings(mode=Mode.FULL, database_url=database_url)
    server = make_url(settings.sqlalchemy_url)
    name = f"trinity_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    migrate(url)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings_factory(mode: str, tmp_path: Path, request: pytest.FixtureRequest) -> object:
    def make(**overrides: object) -> Settings:
        if mode == "local":
            template = request.getfixturevalue("sqlite_template")
            return local_settings(tmp_path, template, **overrides)
        return full_settings(request.getfixturevalue("postgres_url"), **overrides)

    return make


@pytest.fixture
def ctx(mode: str, settings_factory) -> Iterator[Context]:  # type: ignore[no-untyped-def]
    context = build_context(settings_factory())
    if mode == "full":
        reset_full(context)
    yield context
    context.close()
    if isinstance(context.redis, redis.Redis):
        context.redis.close()


@pytest.fixture
def client(ctx: Context):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from backend.api.main import create_api

    with TestClient(create_api(ctx), raise_server_exceptions=False) as test_client:
        yield test_client


# Other people run the browser suite in the same checkout, and Reflex compiles into the one shared
# .web/: a session holds this lock from before its first web server starts until the session ends
# (the e2e suite and the system test's web role both take it, once per session).
E2E_LOCK_PATH = Path(os.environ.get("TRINITY_E2E_LOCK", "/tmp/trinity-e2e.lock"))
E2E_LOCK_TIMEOUT_S = float(os.environ.get("E2E_LOCK_TIMEOUT", "1800"))


@pytest.fixture(scope="session")
def e2e_lock() -> Iterator[None]:
    """An exclusive flock on E2E_LOCK_PATH for the whole session (waits for another run)."""
    with E2E_LOCK_PATH.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"\n[e2e] another e2e run holds {E2E_LOCK_PATH}; waiting for it", flush=True)
            deadline = time.monotonic() + E2E_LOCK_TIMEOUT_S
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        pytest.fail(
                            f"gave up after {E2E_LOCK_TIMEOUT_S:.0f} s waiting for {E2E_LOCK_PATH}"
                        )
                    time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
