"""Liveness of every backing component, as `"ok"` or a short error string."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import text

from backend.context import Context
from backend.saga.broker import ping_broker


def _probe(check: Callable[[], object]) -> str:
    try:
        check()
    except Exception as error:  # any failure of a probe is reported, not raised
        return f"error: {type(error).__name__}: {error}"[:200]
    return "ok"


def check_components(ctx: Context) -> dict[str, str]:
    def database() -> None:
        with ctx.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    return {
        "database": _probe(database),
        "redis": _probe(ctx.redis.ping),
        "broker": _probe(lambda: ping_broker(ctx.broker, ctx.settings)),
        "search": _probe(ctx.search.ping),
    }
