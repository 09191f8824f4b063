"""Smoke test: the home page renders in Chromium and /api answers JSON on the same port."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def test_home_page_renders_without_console_errors(app_server: str, page: Page, browser_log) -> None:
    page.goto(app_server + "/")

    expect(page).to_have_title("Trinity — hotels")
    header = page.locator("header")
    expect(header.get_by_text("Trinity", exact=True)).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    for label in ("Search", "My trips", "Log in", "Sign up"):
        expect(nav.get_by_text(label, exact=True)).to_be_visible()
    expect(page.get_by_role("search", name="Search by place")).to_be_visible()
    expect(page.locator("footer")).to_be_visible()

    # Typing goes through the Reflex websocket and back: proves state sync on the single port.
    page.get_by_label("Where to?").fill("Lisbon")
    page.get_by_label("Where to?").press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]q=Lisbon"))

    assert browser_log.errors == [], f"console errors: {browser_log.errors}"


def test_api_is_served_as_json_on_the_same_port(app_server: str, page: Page) -> None:
    health = page.request.get(app_server + "/api/health")
    assert health.status == 200
    assert health.headers["content-type"].startswith("application/json")
    assert health.json()["status"] == "ok"

    missing = page.request.get(app_server + "/api/does-not-exist")
    assert missing.status == 404
    assert missing.headers["content-type"].startswith("application/json")
    missing.json()  # a JSON body (FastAPI's 404), never Reflex's HTML page
