from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Response
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


class TrinityCollector(Collector):
    """Shared counters from Redis plus gauges read from the database at scrape time."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def collect(self) -> Iterator[Metric]:
        yield from self._ctx.metrics.collect()
        yield from self._flow_gauges()
        yield from self._search_metrics()

    def _flow_gauges(self) -> Iterator[Metric]:
        with Session(self._ctx.engine) as session:
            backlog = session.exec(
                select(func.count()).where(col(OutboxMessage.published_at).is_(None))
            ).one()
        yield GaugeMetricFamily(
            "trinity_outbox_backlog", "Outbox events not yet published.", backlog
        )
        for kind, counts in status_counts(self._ctx).items():
            family = GaugeMetricFamily(
                f"trinity_{kind}", f"{kind.capitalize()} by status (saga outcomes for orders).",
                labels=["status"],
            )  # fmt: skip
            for status, count in sorted(counts.items()):
                family.add_metric([status], count)
            yield family

    def _search_metrics(self) -> Iterator[Metric]:
        lag = sync_lag(self._ctx.engine)
        yield GaugeMetricFamily(
            "trinity_search_sync_lag_seconds", "Age of the oldest change not yet indexed.",
            lag.lag_seconds,
        )  # fmt: skip
        yield GaugeMetricFamily(
            "trinity_search_sync_pending", "Hotel changes not yet indexed.", lag.pending
        )
        stats = getattr(self._ctx.search, "stats", None)
        if stats is not None:
            cache = CounterMetricFamily(
                "trinity_search_cache", "Search cache lookups by result.", labels=["result"]
            )
            counts = stats()
            for result in ("hits", "misses"):
                cache.add_metric([result], counts[result])
            yield cache


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
def metrics(ctx: ContextDep) -> Response:
    """Prometheus text, for an admin's token or the scraper's TRINITY_METRICS_TOKEN: the gauges
    cost database counts per scrape, and the figures are operators' business."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(TrinityCollector(ctx))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
