"""Security on the running prod server: headers on the page and the API, CORS and the websocket
only for the app's own origin, and a hostile hotel name on the sandboxed folium map."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Dialog, Page, expect

from app.components.folium_map import MAP_SANDBOX, hotel_map_html

pytestmark = pytest.mark.e2e

EVIL = "https://evil.example"
HOSTILE = "Evil ${alert(1)}` </script><img src=x onerror=alert(2)>"


def test_the_page_and_the_api_carry_security_headers(app_server: str) -> None:
    page = httpx.get(app_server + "/login")
    csp = page.headers["content-security-policy"]
    assert (
        "script-src 'self' 'unsafe-inline' 'unsafe-eval';" in csp
        and "frame-ancestors 'none'" in csp
    )
    assert "connect-src 'self';" in csp and "object-src 'none'" in csp
    asset = httpx.get(app_server + "/vendor/leaflet/leaflet.js")
    api = httpx.get(app_server + "/api/health")
    for response in (page, asset, api):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
    assert api.headers["content-security-policy"].startswith("default-src 'none'")


def test_cors_answers_only_the_apps_own_origin(app_server: str) -> None:
    port = urlsplit(app_server).port
    own = f"http://localhost:{port}"
    evil = httpx.get(app_server + "/api/health", headers={"Origin": EVIL})
    assert "access-control-allow-origin" not in evil.headers
    preflight = httpx.options(
        app_server + "/api/me",
        headers={
            "Origin": EVIL,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.headers.get("access-control-allow-origin") != EVIL
    mine = httpx.get(app_server + "/api/health", headers={"Origin": own})
    assert mine.headers["access-control-allow-origin"] == own


def _websocket_status(base_url: str, origin: str) -> int:
    """The status line of a websocket handshake on Reflex's event endpoint."""
    parts = urlsplit(base_url)
    request = (
        "GET /_event/?EIO=4&transport=websocket HTTP/1.1\r\n"
        f"Host: {parts.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        f"Origin: {origin}\r\n\r\n"
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as conn:
        conn.sendall(request.encode())
        status_line = conn.recv(4096).split(b"\r\n", 1)[0]
    return int(status_line.split()[1])


def test_the_websocket_refuses_other_sites(app_server: str) -> None:
    assert _websocket_status(app_server, app_server) == 101
    assert _websocket_status(app_server, EVIL) != 101


def test_a_hostile_hotel_name_stays_text_on_the_sandboxed_map(app_server: str, page: Page) -> None:
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    page.goto(app_server + "/login")  # the page's own CSP, inherited by the srcdoc frame
    page.evaluate(
        """([html, sandbox]) => {
            const frame = document.createElement("iframe");
            frame.id = "hostile-map";
            frame.setAttribute("sandbox", sandbox);
            frame.style.height = "300px";
            frame.srcdoc = html;
            document.body.appendChild(frame);
        }""",
        [hotel_map_html(HOSTILE, "Lisbon", 38.71, -9.13), MAP_SANDBOX],
    )
    tooltip = page.frame_locator("#hostile-map").locator(".leaflet-tooltip")
    expect(tooltip).to_have_text(f"{HOSTILE}, Lisbon")
    expect(page.frame_locator("#hostile-map").locator(".leaflet-marker-icon")).to_be_visible()
    assert dialogs == []
    frame = page.frame(url="about:srcdoc")
    assert frame is not None
    # An opaque origin: the app's localStorage (and its token) is out of reach.
    assert (
        frame.evaluate("() => { try { localStorage; return 'open'; } catch { return 'closed'; } }")
        == "closed"
    )
