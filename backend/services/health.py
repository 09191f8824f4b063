"""Liveness of every backing component, as `"ok"` or `"error: <kind>"`.

The answer is public (load balancers ask it), so it names only the kind of failure; the
exception's text (hosts, ports, driver messages) goes to the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import text

from backend.context import Context
from backend.saga.broker import ping_broker

log = logging.getLogger(__name__)


def _probe(name: str, check: Callable[[], object]) -> str:
    try:
        check()
    except Exception as error:  # any failure of a probe is reported, not raised
        log.warning("health check of %s failed: %s: %s", name, type(error).__name__, error)
        return f"error: {type(error).__name__}"
    return "ok"


def check_components(ctx: Context) -> dict[str, str]:
    def database() -> None:
        with ctx.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    return {
        "database": _probe("database", database),
        "redis": _probe("redis", ctx.redis.ping),
        "broker": _probe("broker", lambda: ping_broker(ctx.broker, ctx.settings)),
        "search": _probe("search", ctx.search.ping),
    }
