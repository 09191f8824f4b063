"""Booking in the browser: the hotel page, an optimistic hold, the race for the last room,
cancelling from My trips, and another guest's booking staying invisible."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from api_client import Api
from playwright.sync_api import Browser, Page, expect
from seed_data import SeededData
from stacks import Stack
from ui import sign_in_with_token

pytestmark = pytest.mark.e2e

# Records every text the element takes, so a test can see an optimistic value come and go.
WATCH_TEXT = """
(selector) => {
  const el = document.querySelector(selector);
  window.__seen = [el.textContent];
  new MutationObserver(() => window.__seen.push(el.textContent)).observe(
    el, { childList: true, characterData: true, subtree: true });
}
"""


def default_stay() -> tuple[date, date]:
    check_in = datetime.now(UTC).date() + timedelta(days=14)
    return check_in, check_in + timedelta(days=2)


def test_hotel_page_shows_the_stay_and_holds_a_room(stack: Stack, page: Page, browser_log) -> None:
    app_server, seeded = stack.base_url, stack.seeded
    hotel_id = seeded.hotels["hold"]
    room_id = seeded.room_types["hold/Double"]
    check_in, check_out = default_stay()
    sign_in_with_token(page, app_server, seeded.guests["alice"])
    page.goto(f"{app_server}/hotel/{hotel_id}")

    expect(page.get_by_role("heading", name="Óbidos Castle Inn")).to_be_visible()
    expect(page.locator("#hotel-amenities")).to_contain_text("Parking")
    # Defaults: check-in in 14 days, 2 nights, 2 guests, written into the URL.
    expect(page).to_have_url(
        re.compile(rf"check_in={check_in.isoformat()}&check_out={check_out.isoformat()}&guests=2")
    )
    expect(page.get_by_label("Check-in")).to_have_value(check_in.isoformat())
    expect(page.locator(f"#available-{room_id}")).to_have_text("3 of 3 free")
    expect(page.locator(f"#total-{room_id}")).to_have_text("€240 total for 2 nights")
    expect(page.locator(".trinity-price-marker")).to_have_text("from €120")
    # The page's one hotel is highlighted on its map.
    expect(page.locator(".trinity-price-marker")).to_have_class(re.compile(r"\bis-active\b"))

    three_nights = check_in + timedelta(days=3)
    page.get_by_label("Check-out").fill(three_nights.isoformat())
    expect(page.locator(f"#total-{room_id}")).to_have_text("€360 total for 3 nights")
    expect(page).to_have_url(re.compile(rf"check_out={three_nights.isoformat()}"))

    page.get_by_role("button", name="Reserve Double").click()
    expect(page).to_have_url(re.compile(r"/checkout/\d+/?$"))
    expect(page.locator("#hold-countdown")).to_have_text(re.compile(r"^(10:00|9:[0-5]\d)$"))
    expect(page.locator("#checkout-total")).to_have_text("€360")

    page.goto(f"{app_server}/trips")
    card = page.locator("[id^=trip-]").filter(has_text="Óbidos Castle Inn")
    expect(card).to_contain_text("Held")
    expect(card).to_contain_text("€360")

    page.goto(f"{app_server}/hotel/{hotel_id}?check_out={three_nights.isoformat()}")
    expect(page.locator(f"#available-{room_id}")).to_have_text("2 of 3 free")
    assert browser_log.errors == [], f"console errors: {browser_log.errors}"


def test_reserve_when_signed_out_logs_in_and_comes_back(
    app_server: str, seeded: SeededData, page: Page
) -> None:
    hotel_id = seeded.hotels["alfama"]
    page.goto(f"{app_server}/hotel/{hotel_id}?guests=3")
    expect(page.get_by_label("Guests")).to_have_value("3")
    expect(page.locator("#rooms")).not_to_contain_text("Double")  # sleeps 2 only
    page.get_by_role("button", name="Reserve Family").click()
    expect(page).to_have_url(re.compile(r"/login/?\?next=%2Fhotel%2F"))
    page.get_by_label("Email").fill(seeded.guests["bob"].email)
    page.get_by_label("Password").fill(seeded.guests["bob"].password)
    page.get_by_label("Password").press("Enter")
    expect(page).to_have_url(re.compile(rf"/hotel/{hotel_id}\?.*guests=3"))
    expect(page.get_by_role("button", name="Reserve Family")).to_be_enabled()


def test_two_guests_race_for_the_last_room(
    app_server: str, seeded: SeededData, page: Page, browser: Browser
) -> None:
    hotel_id = seeded.hotels["race"]
    room_id = seeded.room_types["race/Double"]
    url = f"{app_server}/hotel/{hotel_id}"
    availability = f"#available-{room_id}"

    sign_in_with_token(page, app_server, seeded.guests["alice"])
    page.goto(url)
    other = browser.new_context()
    try:
        bob = other.new_page()
        sign_in_with_token(bob, app_server, seeded.guests["bob"])
        bob.goto(url)
        expect(page.locator(availability)).to_have_text("1 of 1 free")
        expect(bob.locator(availability)).to_have_text("1 of 1 free")

        page.get_by_role("button", name="Reserve Double").click()
        expect(page).to_have_url(re.compile(r"/checkout/\d+/?$"))

        # Bob's page still shows the room free; his optimistic hold loses with a clear message.
        bob.evaluate(WATCH_TEXT, availability)
        bob.get_by_role("button", name="Reserve Double").click()
        expect(bob.get_by_role("alert")).to_contain_text("sold out")
        expect(bob.locator(availability)).to_have_text("Sold out for these dates")
        expect(bob.get_by_role("button", name="Reserve Double")).to_be_disabled()
        seen = bob.evaluate("window.__seen")
        assert "0 of 1 free — reserving…" in seen, seen  # the count dropped at once
        assert seen.index("0 of 1 free — reserving…") < len(seen) - 1, seen  # and came back
    finally:
        other.close()


def test_cancelling_a_hold_frees_the_room(app_server: str, seeded: SeededData, page: Page) -> None:
    hotel_id = seeded.hotels["cancel"]
    room_id = seeded.room_types["cancel/Double"]
    sign_in_with_token(page, app_server, seeded.guests["alice"])
    page.goto(f"{app_server}/hotel/{hotel_id}")
    page.get_by_role("button", name="Reserve Double").click()
    expect(page).to_have_url(re.compile(r"/checkout/\d+/?$"))

    page.goto(f"{app_server}/hotel/{hotel_id}")
    expect(page.locator(f"#available-{room_id}")).to_have_text("Sold out for these dates")

    page.goto(f"{app_server}/trips")
    card = page.locator("[id^=trip-]").filter(has_text="Évora Courtyard")
    expect(card).to_contain_text("Held")
    card.get_by_role("button", name=re.compile(r"^Cancel booking")).click()
    page.get_by_role("alertdialog").get_by_role("button", name="Yes, cancel").click()
    expect(card.locator("[id^=status-]")).to_have_text("Cancelled")

    page.goto(f"{app_server}/hotel/{hotel_id}")
    expect(page.locator(f"#available-{room_id}")).to_have_text("1 of 1 free")


def test_another_guests_booking_is_not_found(
    app_server: str, seeded: SeededData, api: Api, page: Page
) -> None:
    check_in, check_out = default_stay()
    bob = seeded.guests["bob"]
    bobs_id = api.hold(bob.token, seeded.room_types["checkout/Double"], check_in, check_out)["id"]
    sign_in_with_token(page, app_server, bob)
    page.goto(f"{app_server}/trips/{bobs_id}")
    expect(page.locator("#trip-detail")).to_contain_text("Madrid Plaza Rooms")

    sign_in_with_token(page, app_server, seeded.guests["alice"])
    for path in (f"/trips/{bobs_id}", f"/checkout/{bobs_id}"):
        page.goto(app_server + path)
        expect(page.get_by_role("heading", name="Booking not found")).to_be_visible()
        expect(page.locator("body")).not_to_contain_text("Madrid Plaza Rooms")
