"""The checkout's hold countdown runs on the page's clock (Playwright's `page.clock`, no sleeping):
it counts down from the hold's deadline and, at zero, reads the booking again and stops payment."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from api_client import Api
from playwright.sync_api import Page, expect
from seed_data import SeededData
from ui import sign_in_with_token

pytestmark = pytest.mark.e2e


def test_the_hold_countdown_follows_the_page_clock_to_zero(
    app_server: str, seeded: SeededData, api: Api, page: Page, browser_log
) -> None:
    dora = seeded.guests["dora"]
    check_in = datetime.now(UTC).date() + timedelta(days=44)
    held = api.hold(
        dora.token, seeded.room_types["checkout/Double"], check_in, check_in + timedelta(days=1)
    )
    deadline = datetime.fromisoformat(held["hold_expires_at"])
    # Fake Date and timers in the page; they flow on by themselves, and set_system_time moves
    # Date alone (the websocket's own heartbeat timers do not fire early).
    page.clock.install()
    sign_in_with_token(page, app_server, dora)
    page.goto(f"{app_server}/checkout/{held['id']}")
    countdown = page.locator("#hold-countdown")
    expect(countdown).to_have_text(re.compile(r"^(10:00|9:[0-5]\d)$"))
    callout = page.locator(".rt-CalloutRoot").filter(has=countdown)
    expect(callout).to_have_attribute("data-accent-color", "amber")

    page.clock.set_system_time(deadline - timedelta(minutes=4, seconds=30))
    expect(countdown).to_have_text(re.compile(r"^4:(30|29|28)$"))

    page.clock.set_system_time(deadline + timedelta(seconds=1))
    expect(countdown).to_have_text("0:00")
    # At zero the page reads the booking again and marks the hold as run out (whatever the
    # server's clock says yet): the timer turns red and the card form gives way to a notice.
    expect(callout).to_have_attribute("data-accent-color", "red")
    expect(page.locator("#not-payable")).to_contain_text("This hold has expired")
    expect(page.get_by_label("Card number")).to_have_count(0)
    assert browser_log.errors == [], f"console errors: {browser_log.errors}"
