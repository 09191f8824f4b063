from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.api.deps import ContextDep
from backend.bootstrap import Context
from backend.models import Booking, BookingStatus, OutboxMessage

router = APIRouter(tags=["operations"])


class TrinityCollector(Collector):
    """Shared counters from Redis plus gauges read from the database at scrape time."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def collect(self):  # type: ignore[no-untyped-def]
        yield from self._ctx.metrics.collect()
        yield from self._database_gauges()

    def _database_gauges(self) -> list[Metric]:
        with Session(self._ctx.engine) as session:
            backlog = session.exec(
                select(func.count()).where(col(OutboxMessage.published_at).is_(None))
            ).one()
            held = session.exec(
                select(func.count()).where(col(Booking.status) == BookingStatus.HELD)
            ).one()
        return [
            GaugeMetricFamily(
                "trinity_outbox_backlog", "Outbox events not yet published.", backlog
            ),
            GaugeMetricFamily("trinity_active_holds", "Holds waiting for payment.", held),
        ]


@router.get("/metrics", response_class=Response)
def metrics(ctx: ContextDep) -> Response:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(TrinityCollector(ctx))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
