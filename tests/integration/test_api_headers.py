"""Every API answer (errors and the 413 included) says: nothing runs, loads or frames it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from backend.api.security import origin_allowed, page_csp, tile_origin


def _assert_locked_down(headers: dict[str, str] | object, csp_start: str) -> None:
    assert headers["content-security-policy"].startswith(csp_start)  # type: ignore[index]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]  # type: ignore[index]
    assert headers["x-content-type-options"] == "nosniff"  # type: ignore[index]
    assert headers["x-frame-options"] == "DENY"  # type: ignore[index]


def test_api_answers_carry_the_security_headers(client: TestClient) -> None:
    for response in (
        client.get("/api/health"),
        client.get("/api/hotels/999999"),  # 404
        client.post("/api/auth/login", content=b"x" * (200 * 1024)),  # 413
    ):
        _assert_locked_down(response.headers, "default-src 'none'")


def test_the_docs_page_may_run_its_own_assets_only(client: TestClient) -> None:
    docs = client.get("/api/docs")
    _assert_locked_down(docs.headers, "default-src 'none'; script-src 'self'")


def test_the_page_policy_allows_its_tiles_and_nothing_from_elsewhere() -> None:
    origin = tile_origin("https://{s}.tiles.example.org/{z}/{x}/{y}.png")
    assert origin == "https://*.tiles.example.org"
    csp = page_csp([origin])
    assert "img-src 'self' data: blob: https://*.tiles.example.org;" in csp
    assert "connect-src 'self';" in csp and "frame-ancestors 'none'" in csp
    assert tile_origin("") is None


def test_websocket_origins_are_the_apps_own_host_or_configured() -> None:
    assert origin_allowed("http://app.example:3000", "app.example:3000", ())
    assert origin_allowed("https://partner.example", "app.example", ("https://partner.example",))
    assert not origin_allowed("https://evil.example", "app.example", ("https://partner.example",))
    assert origin_allowed(None, "app.example", ())  # not a browser page
