"""Operations endpoints: /api/metrics for admins and the scraper's token only, /api/health names
a failure's kind but never its text (hosts, passwords, driver messages)."""

from __future__ import annotations

import pytest
from factories import bearer, make_user
from fastapi.testclient import TestClient
from modes import reset_full

from backend.api.main import create_api
from backend.bootstrap import build_context
from backend.context import Context


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
