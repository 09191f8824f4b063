"""`/api/metrics`: the shared Redis counters, and gauges read from the database.

The database gauges (outbox backlog, bookings and orders by status, search sync lag) are counts
over whole tables: each process computes them at most once per METRICS_CACHE_SECONDS (default 10)
and serves every scrape in between from memory, so a tight scrape interval or several scrapers
cost no more queries. They can therefore be that much older than the counters, which are live.
"""

import threading
import time
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.api.deps import ContextDep, MetricsReader
from backend.api.errors import error_responses
from backend.context import Context
from backend.models import OutboxMessage
from backend.search.lag import sync_lag
from backend.services.admin import status_counts

router = APIRouter(tags=["operations"])


class DatabaseGauges:
    """The database's gauges, computed at most once per `ttl_seconds` (one per app, thread-safe:
    scrapes that arrive together wait for the one computation)."""

    def __init__(self, ttl_seconds: float) -> None:
        self._ttl = ttl_seconds
        self._lock = threading.Lock()
        self._gauges: list[Metric] = []
        self._expires_at = float("-inf")

    def read(self, ctx: Context) -> list[Metric]:
        with self._lock:
            if time.monotonic() >= self._expires_at:
                self._gauges = [*_flow_gauges(ctx), *_sync_gauges(ctx)]
                self._expires_at = time.monotonic() + self._ttl
            return self._gauges


class TrinityCollector(Collector):
    """Shared counters from Redis, the database gauges (cached) and the search cache's counts."""

    def __init__(self, ctx: Context, gauges: DatabaseGauges) -> None:
        self._ctx = ctx
        self._gauges = gauges

    def collect(self) -> Iterator[Metric]:
        yield from self._ctx.metrics.collect()
        yield from self._gauges.read(self._ctx)
        yield from self._search_cache(self._ctx)

    @staticmethod
    def _search_cache(ctx: Context) -> Iterator[Metric]:
        stats = getattr(ctx.search, "stats", None)
        if stats is not None:
            cache = CounterMetricFamily(
                "trinity_search_cache", "Search cache lookups by result.", labels=["result"]
            )
            counts = stats()
            for result in ("hits", "misses"):
                cache.add_metric([result], counts[result])
            yield cache


def _flow_gauges(ctx: Context) -> Iterator[Metric]:
    with Session(ctx.engine) as session:
        backlog = session.exec(
            select(func.count()).where(col(OutboxMessage.published_at).is_(None))
        ).one()
    yield GaugeMetricFamily("trinity_outbox_backlog", "Outbox events not yet published.", backlog)
    for kind, counts in status_counts(ctx).items():
        family = GaugeMetricFamily(
            f"trinity_{kind}", f"{kind.capitalize()} by status (saga outcomes for orders).",
            labels=["status"],
        )  # fmt: skip
        for status, count in sorted(counts.items()):
            family.add_metric([status], count)
        yield family


def _sync_gauges(ctx: Context) -> Iterator[Metric]:
    lag = sync_lag(ctx.engine)
    yield GaugeMetricFamily(
        "trinity_search_sync_lag_seconds", "Age of the oldest change not yet indexed.",
        lag.lag_seconds,
    )  # fmt: skip
    yield GaugeMetricFamily(
        "trinity_search_sync_pending", "Hotel changes not yet indexed.", lag.pending
    )


PROMETHEUS_TEXT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Prometheus' text exposition format.",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    }
}


@router.get(
    "/metrics",
    response_class=Response,
    responses={**PROMETHEUS_TEXT, **error_responses(401, 403)},
    dependencies=[MetricsReader],
)
def metrics(ctx: ContextDep, request: Request) -> Response:
    """Prometheus text, for an admin's token or the scraper's TRINITY_METRICS_TOKEN: the figures
    are operators' business. The database gauges are at most METRICS_CACHE_SECONDS old."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(TrinityCollector(ctx, request.app.state.database_gauges))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
