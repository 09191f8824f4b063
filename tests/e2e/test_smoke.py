"""Smoke test: the home page renders in Chromium, /api answers JSON on the same port, and the
theme's colours are loaded."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from rxconfig import RADIX_COLORS

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
# Radix Themes' colour scales, one stylesheet each (installed by the app_server build).
RADIX_SCALES_DIR = ROOT / ".web" / "node_modules" / "@radix-ui" / "themes" / "tokens" / "colors"


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


@pytest.mark.standalone_only(
    reason="reads the Radix colour scales from this checkout's .web/ build, which the suite's own "
    "server made (a deployment's may differ)"
)
def test_the_colour_scales_the_app_names_are_loaded(app_server: str, page: Page) -> None:
    # rxconfig.py loads Radix's colour tokens one scale at a time: a tone the pages name (a
    # color_scheme, rx.color, a status colour) but the stylesheet lacks would render uncoloured.
    scales = sorted(path.stem for path in RADIX_SCALES_DIR.glob("*.css"))
    assert "tomato" in scales, f"no Radix colour scales in {RADIX_SCALES_DIR}"
    quoted = re.compile(r"[\"']({})[\"']".format("|".join(scales)))
    app_code = (ROOT / "app").rglob("*.py")
    named = {m for path in app_code for m in quoted.findall(path.read_text())}
    assert named, "no colour names found in app/: the scan is broken"
    assert named <= set(RADIX_COLORS), f"colours not loaded: {sorted(named - set(RADIX_COLORS))}"

    page.goto(app_server + "/login")
    tokens = page.evaluate(
        """(colors) => colors.map((c) =>
             getComputedStyle(document.documentElement).getPropertyValue(`--${c}-9`).trim())""",
        list(RADIX_COLORS),
    )
    assert all(tokens), dict(zip(RADIX_COLORS, tokens, strict=True))
    unused = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--tomato-9').trim()"
    )
    assert unused == "", "tomato is loaded: the colour tokens are not split any more"
