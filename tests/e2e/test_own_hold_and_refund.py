"""What a guest sees before paying and before cancelling: their own hold resumes instead of
blocking them, the policy's deadline on the hotel's clock, and the quoted refund on the timeline."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from stacks import Stack
from test_checkout import SAGA_TIMEOUT_MS, hold
from ui import sign_in_with_token

pytestmark = pytest.mark.e2e


def test_reserve_twice_lands_on_the_same_checkout(stack: Stack, page: Page, browser_log) -> None:
    app_server, seeded = stack.base_url, stack.seeded
    hotel_id, room_id = seeded.hotels["hold"], seeded.room_types["hold/Double"]
    check_in = datetime.now(UTC).date() + timedelta(days=70)  # dates no other test uses
    stay = f"check_in={check_in.isoformat()}&check_out={(check_in + timedelta(days=2)).isoformat()}"
    hotel_page = f"{app_server}/hotel/{hotel_id}?{stay}&guests=2"
    sign_in_with_token(page, app_server, seeded.guests["dora"])
    page.goto(hotel_page)
    expect(page.locator("#hotel-policy")).to_contain_text(
        re.compile(r"Free cancellation until \d+ \w+ \d{4}, 15:00 \(Europe/Lisbon\)")
    )
    expect(page.locator("#own-hold")).to_have_count(0)
    page.get_by_role("button", name="Reserve Double").click()
    expect(page).to_have_url(re.compile(r"/checkout/\d+/?$"))
    first = page.url.rstrip("/").rsplit("/", 1)[-1]
    expect(page.locator("#checkout-policy")).to_contain_text("Free cancellation until")
    expect(page.locator("#hold-until")).to_contain_text("(Europe/Lisbon)")

    page.goto(hotel_page)  # back to the hotel: the hold is offered, not a "sold out"
    expect(page.locator("#own-hold")).to_contain_text("You are holding this room (Double)")
    expect(page.locator("#own-hold-left")).to_have_text(re.compile(r"^\d+:\d\d$"))
    expect(page.locator("#own-hold-continue")).to_have_attribute("href", f"/checkout/{first}")
    expect(page.locator(f"#available-{room_id}")).to_have_text("2 of 3 free")
    page.get_by_role("button", name="Reserve Double").click()
    expect(page).to_have_url(re.compile(rf"/checkout/{first}/?$"))
    page.goto(hotel_page)
    expect(page.locator(f"#available-{room_id}")).to_have_text("2 of 3 free")  # still one room

    page.goto(f"{app_server}/checkout/{first}")
    page.get_by_role("button", name="5 more minutes").click()
    expect(page.locator("#extend-hold")).to_have_count(0)  # once per hold
    assert browser_log.errors == [], f"console errors: {browser_log.errors}"


def test_cancel_shows_the_quote_and_it_is_refunded_on_the_timeline(
    stack: Stack, page: Page, browser_log
) -> None:
    app_server, seeded, api = stack.base_url, stack.seeded, stack.api
    dora = seeded.guests["dora"]
    _, booking_id = hold(api, seeded, dora, 75)
    api.checkout(dora.token, booking_id, "4242424242424242")
    sign_in_with_token(page, app_server, dora)
    page.goto(f"{app_server}/checkout/{booking_id}")
    expect(page.locator("#order-status")).to_have_text("confirmed", timeout=SAGA_TIMEOUT_MS)

    page.goto(f"{app_server}/trips?currency=JPY")  # the total as the guest reads it, under it
    expect(page.locator(f"#trip-total-shown-{booking_id}")).to_have_text("≈ ¥18,590")
    page.get_by_role("button", name=f"Cancel booking {booking_id}").click()
    quote = page.locator(f"#refund-quote-{booking_id}")
    expect(quote).to_have_text("Cancelling now refunds €110 (100%).")
    page.get_by_role("button", name="Yes, cancel").click()
    expect(page.locator(f"#status-{booking_id}")).to_have_text("Cancelled")

    # The order stays confirmed (a terminal state the page does not watch): read it again until
    # the refund the saga issued shows.
    timeline = page.locator("#order-timeline")
    deadline = time.monotonic() + SAGA_TIMEOUT_MS / 1000
    while True:
        page.goto(f"{app_server}/checkout/{booking_id}")
        expect(timeline).to_contain_text("Booking cancelled")
        if "Refund issued" in (timeline.text_content() or "") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    expect(timeline).to_contain_text("100% refundable (110.00 EUR)")
    expect(timeline).to_contain_text("Refunded 110.00 EUR (cancellation).")
    assert browser_log.errors == [], f"console errors: {browser_log.errors}"
