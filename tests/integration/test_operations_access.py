"""Operations endpoints: /api/metrics for admins and the scraper's token only, /api/health names
a failure's kind but never its text (hosts, passwords, driver messages)."""

from __future__ import annotations

import time

import pytest
from factories import bearer, make_hotel, make_user, stay
from fastapi.testclient import TestClient
from modes import reset_full
from sqlalchemy import event

from backend.api.main import create_api
from backend.bootstrap import build_context
from backend.context import Context
from backend.services import booking
from backend.services.booking import HoldRequest


def test_metrics_need_an_admin(client: TestClient, ctx: Context) -> None:
    guest, _ = make_user(ctx, "guest@example.com")
    admin, _ = make_user(ctx, "ops@example.com", admin=True)
    assert client.get("/api/metrics").status_code == 401
    assert client.get("/api/metrics", headers=bearer(guest)).status_code == 403
    scrape = client.get("/api/metrics", headers=bearer(admin))
    assert scrape.status_code == 200 and "trinity_outbox_backlog" in scrape.text


def test_metrics_answer_the_scrapers_own_token(settings_factory) -> None:  # type: ignore[no-untyped-def]
    ctx = build_context(settings_factory(metrics_token="scraper-token-0123456789"))
    if ctx.settings.mode == "full":
        reset_full(ctx)
    with TestClient(create_api(ctx)) as client:
        assert (
            client.get("/api/metrics", headers=bearer("scraper-token-0123456789")).status_code
            == 200
        )
        assert client.get("/api/metrics", headers=bearer("scraper-token-wrong")).status_code == 401


def test_health_hides_the_exception_text(
    client: TestClient, ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down() -> None:
        raise ConnectionError("redis://:hunter2@10.1.2.3:6379 refused")

    monkeypatch.setattr(ctx.redis, "ping", down)
    health = client.get("/api/health")
    assert health.status_code == 503
    assert health.json()["components"]["redis"] == "error: ConnectionError"
    assert "hunter2" not in health.text and "10.1.2.3" not in health.text


SCRAPER = "scraper-token-0123456789"
GAUGE_TABLES = ("bookings", "orders", "outbox", "hotel_changes")
GAUGE_NAMES = ("trinity_bookings", "trinity_orders", "trinity_outbox", "trinity_search_sync")


def test_metrics_count_the_tables_at_most_once_per_cache_period(settings_factory) -> None:  # type: ignore[no-untyped-def]
    """Two scrapes within METRICS_CACHE_SECONDS run the gauges' queries once; the next scrape
    after it counts again and sees a new hold."""
    ctx = build_context(settings_factory(metrics_token=SCRAPER, metrics_cache_seconds=0.5))
    if ctx.settings.mode == "full":
        reset_full(ctx)
    statements: list[str] = []

    @event.listens_for(ctx.engine, "before_cursor_execute")
    def seen(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if any(f"FROM {table}" in statement for table in GAUGE_TABLES):
            statements.append(statement)

    _, room_type_id = make_hotel(ctx, rooms=2)
    _, user_id = make_user(ctx)
    hold = HoldRequest(user_id, room_type_id, *stay(), 1)
    booking.hold_room(ctx, hold)
    with TestClient(create_api(ctx), headers=bearer(SCRAPER)) as client:
        statements.clear()
        first = client.get("/api/metrics").text
        per_scrape = len(statements)
        assert per_scrape >= 4  # outbox, bookings, orders, the sync lag
        booking.hold_room(ctx, HoldRequest(user_id, room_type_id, *stay(days_ahead=20), 1))
        statements.clear()
        second = client.get("/api/metrics").text
        assert statements == []  # served from the cache ...
        assert 'trinity_bookings{status="held"} 1.0' in first
        assert _gauges(second) == _gauges(first)
        assert 'trinity_holds_total{outcome="held"} 2.0' in second  # ... the counters are live
        time.sleep(0.6)
        third = client.get("/api/metrics").text
        assert len(statements) == per_scrape
        assert 'trinity_bookings{status="held"} 2.0' in third
    ctx.close()


def _gauges(scrape: str) -> list[str]:
    return [line for line in scrape.splitlines() if line.startswith(GAUGE_NAMES)]
