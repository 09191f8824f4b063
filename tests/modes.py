"""Settings for each test mode: local (SQLite + fakeredis) and full (the servers `make test` runs).

Kept out of conftest.py so test modules can import it by a unique name.
"""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest
import redis
from sqlalchemy import text
from sqlmodel import SQLModel

from backend import models  # noqa: F401  (registers every table on the metadata)
from backend.context import Context
from backend.settings import Mode, Settings

MODES = [m.strip() for m in os.environ.get("TRINITY_TEST_MODES", "local,full").split(",") if m]


def require_server_urls() -> tuple[str, str]:
    database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if not (database_url and redis_url):
        pytest.fail(
            "Full-mode tests need DATABASE_URL and REDIS_URL (run `make test`, which starts the "
            "servers), or set TRINITY_TEST_MODES=local."
        )
    return database_url, redis_url


def local_settings(tmp_path: Path, template: Path, **overrides: object) -> Settings:
    data_dir = tmp_path / "data"
    data_dir.mkdir(exist_ok=True)
    shutil.copy(template, data_dir / "trinity.db")
    return Settings(mode=Mode.LOCAL, data_dir=data_dir, **overrides)  # type: ignore[arg-type]


# Each test session takes its own Redis database, so sessions run side by side never flush each
# other's locks (the Postgres side already gets a database per session). The servers the suite
# starts as processes (e2e, system) take another number each: see `fresh_redis_url`.
REDIS_DB = random.randint(1, 12)
E2E_REDIS_DB, TEST_MODE_REDIS_DB, ROLES_REDIS_DB = 13, 14, 15


def redis_url_for(number: int) -> str:
    """REDIS_URL's server with database `number` (REDIS_URL itself when it names no database)."""
    _, server_url = require_server_urls()
    return server_url.rsplit("/", 1)[0] + f"/{number}" if server_url.count("/") > 2 else server_url


def fresh_redis_url(number: int) -> str:
    """Database `number` of REDIS_URL's server, emptied first. A server under test starts on a
    fresh PostgreSQL database whose ids begin at 1 again, so a key an earlier session left there
    (the simulated gateway's charge for order 1, a moved test clock) would meet this run's order 1
    as its own: an idempotency conflict and a saga parked for good."""
    url = redis_url_for(number)
    if url != require_server_urls()[1]:  # never flush a database the environment named
        client = redis.Redis.from_url(url)
        client.flushdb()
        client.close()
    return url


def full_settings(database_url: str, **overrides: object) -> Settings:
    overrides = {"redis_url": redis_url_for(REDIS_DB), **overrides}
    return Settings(  # type: ignore[arg-type]
        mode=Mode.FULL, database_url=database_url, **overrides
    )


def reset_full(ctx: Context) -> None:
    tables = ", ".join(table.name for table in SQLModel.metadata.sorted_tables)
    with ctx.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    ctx.redis.flushdb()
