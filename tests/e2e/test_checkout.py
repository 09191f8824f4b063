"""Checkout in the browser: the saga timeline moves live over the websocket (success and
decline), and a status change of my order toasts on another page."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_client import Api
from playwright.sync_api import Page, expect
from seed_data import Guest, SeededData
from stacks import Stack
from ui import sign_in_with_token

pytestmark = pytest.mark.e2e
SAGA_TIMEOUT_MS = 20_000


PUBLIC_URL = re.compile(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", re.IGNORECASE)
# Records every text #order-status takes (it appears only once the order exists).
WATCH_STATUS = """
() => {
  window.__statuses = [];
  const seen = () => {
    const el = document.querySelector('#order-status');
    const text = el && el.textContent;
    if (text && window.__statuses[window.__statuses.length - 1] !== text) window.__statuses.push(text);
  };
  new MutationObserver(seen).observe(document.body, {childList: true, characterData: true, subtree: true});
}
"""


def hold(
    api: Api,
    seeded: SeededData,
    guest: Guest,
    days_ahead: int,
    room: str = "checkout/Double",
) -> tuple[int, int]:
    """A fresh hold (in the big Madrid hotel by default); returns (user id, booking id)."""
    check_in = datetime.now(UTC).date() + timedelta(days=days_ahead)
    held = api.hold(guest.token, seeded.room_types[room], check_in, check_in + timedelta(days=1))
    return api.user_id(guest.token), held["id"]


def test_success_card_confirms_the_booking_live(stack: Stack, page: Page, browser_log) -> None:
    app_server, seeded = stack.base_url, stack.seeded
    _, booking_id = hold(stack.api, seeded, seeded.guests["bob"], 40)
    sign_in_with_token(page, app_server, seeded.guests["bob"])
    page.goto(f"{app_server}/checkout/{booking_id}")
    expect(page.locator("#hold-countdown")).to_have_text(re.compile(r"^\d+:\d\d$"))
    expect(page.locator("#card-hint")).to_contain_text("4242 4242 4242 4242")
    page.evaluate("window.__sameDocument = true")

    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()

    expect(page.locator("#order-status")).to_have_text("confirmed", timeout=SAGA_TIMEOUT_MS)
    labels = page.locator("#order-timeline .timeline-label")
    expect(labels).to_have_text(["Order created", "Payment accepted", "Room confirmed"])
    expect(page.locator("#order-message")).to_contain_text("Your stay is confirmed")
    expect(page.locator("[id^=status-]")).to_have_text("Confirmed")
    assert page.evaluate("window.__sameDocument") is True  # live over the websocket, no reload

    # The confirmation: the hotel on a folium map served offline, and a downloadable summary.
    frame = page.locator("iframe#confirmation-map")
    expect(frame).to_be_visible()
    assert frame.get_attribute("sandbox") == "allow-scripts"  # no same origin: no token access
    srcdoc = frame.get_attribute("srcdoc") or ""
    assert "/vendor/leaflet/leaflet.js" in srcdoc
    assert not PUBLIC_URL.search(srcdoc), PUBLIC_URL.search(srcdoc)
    expect(page.frame_locator("#confirmation-map").locator(".leaflet-marker-icon")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download confirmation").click()
    text = download.value.path().read_text()
    assert f"Booking #{booking_id}" in text and "Madrid Plaza Rooms" in text

    page.goto(f"{app_server}/trips/{booking_id}")  # the trip page shows the same map
    trip_map = page.locator("iframe#trip-map")
    expect(trip_map).to_be_visible()
    assert not PUBLIC_URL.search(trip_map.get_attribute("srcdoc") or "")
    expect(page.get_by_role("button", name="Download confirmation")).to_be_visible()
    assert browser_log.errors == [], f"console errors: {browser_log.errors}"


def test_declined_card_fails_with_a_message(
    app_server: str, seeded: SeededData, api: Api, page: Page
) -> None:
    _, booking_id = hold(api, seeded, seeded.guests["bob"], 41)
    sign_in_with_token(page, app_server, seeded.guests["bob"])
    page.goto(f"{app_server}/checkout/{booking_id}")
    page.get_by_label("Card number").fill("4000000000000002")
    page.get_by_label("Card number").press("Enter")

    expect(page.locator("#order-status")).to_have_text("failed", timeout=SAGA_TIMEOUT_MS)
    expect(page.locator("#order-timeline")).to_contain_text("Payment declined")
    expect(page.locator("#order-message")).to_contain_text("declined")
    expect(page.get_by_label("Card number")).to_have_count(0)


def test_invalid_card_number_is_refused_before_any_order(
    app_server: str, seeded: SeededData, api: Api, page: Page
) -> None:
    _, booking_id = hold(api, seeded, seeded.guests["bob"], 42)
    sign_in_with_token(page, app_server, seeded.guests["bob"])
    page.goto(f"{app_server}/checkout/{booking_id}")
    page.get_by_label("Card number").fill("4242 4242 4242 4241")  # fails the Luhn check
    page.get_by_label("Card number").press("Enter")
    expect(page.locator("#card-error")).to_be_visible()
    expect(page.locator("#order-status")).to_have_count(0)


def test_an_order_status_change_toasts_on_another_page(
    app_server: str, seeded: SeededData, api: Api, page: Page
) -> None:
    alice = seeded.guests["alice"]
    _, booking_id = hold(api, seeded, alice, 43)
    sign_in_with_token(page, app_server, alice)
    page.goto(f"{app_server}/trips")
    expect(page.locator(f"#trip-{booking_id}")).to_contain_text("Held")

    # Paid from elsewhere (another device, the API): this page learns it from the status bus.
    order_id = api.checkout(alice.token, booking_id, "4242424242424242")
    toast = page.locator("[data-sonner-toast]").filter(
        has_text=f"Booking confirmed (order #{order_id})"
    )
    expect(toast).to_be_visible(timeout=SAGA_TIMEOUT_MS)


def wait_for_order(api: Api, guest: Guest, booking_id: int, timeout_s: float = 10) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for order in api.call("GET", "/api/orders", token=guest.token, expect=(200,)):
            if order["booking_id"] == booking_id:
                return int(order["id"])
        time.sleep(0.01)
    pytest.fail(f"no order for booking {booking_id} after {timeout_s} s")


def take_when_freed(api: Api, guest: Guest, body: dict[str, Any], timeout_s: float = 5) -> None:
    """Hold the room as soon as the sweeper has released it (409 sold out until then)."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer = api.call("POST", "/api/bookings", body, guest.token, expect=(201, 409))
        if answer.get("status") == "held":
            return
        if time.monotonic() > deadline:
            pytest.fail(f"the expired hold's room was not freed within {timeout_s} s: {answer}")
        time.sleep(0.02)


def test_refund_when_the_room_is_gone_before_the_inventory_step(
    app_server: str, seeded: SeededData, server_clock: Api, page: Page, browser_log
) -> None:
    """Paid, but the hold expired and another guest took the last room before the inventory
    step: the order goes paid -> refunded, live.

    All through the API and the server's test clock: the clock first leaves the hold half a
    minute, then, while the simulated gateway's latency (GATEWAY_LATENCY_MS) keeps the charge
    running, moves past the hold's deadline; the sweeper (SWEEP_INTERVAL_SECONDS) expires it and
    Bob takes the room. The order itself is then half a minute old, far from its own deadline."""
    api, dora, bob = server_clock, seeded.guests["dora"], seeded.guests["bob"]
    check_in = datetime.now(UTC).date() + timedelta(days=50)
    stay = {
        "check_in": check_in.isoformat(),
        "check_out": (check_in + timedelta(days=1)).isoformat(),
    }
    room = {"room_type_id": seeded.room_types["refund/Double"], **stay, "guests": 2}
    held = api.call("POST", "/api/bookings", room, dora.token, expect=(201,))
    expires_at = datetime.fromisoformat(held["hold_expires_at"])
    api.move_clock(set_to=expires_at - timedelta(seconds=30))
    sign_in_with_token(page, app_server, dora)
    page.goto(f"{app_server}/checkout/{held['id']}")
    expect(page.get_by_label("Card number")).to_be_visible()
    page.evaluate(WATCH_STATUS)

    page.get_by_label("Card number").fill("4242424242424242")
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()
    order_id = wait_for_order(api, dora, held["id"])
    api.move_clock(set_to=expires_at + timedelta(seconds=1))
    take_when_freed(api, bob, room)
    order = api.call("GET", f"/api/orders/{order_id}", token=dora.token, expect=(200,))
    events = [e["type"] for e in order["events"]]
    assert "InventoryReserved" not in events, "the saga beat the test: raise GATEWAY_LATENCY_MS"

    expect(page.locator("#order-status")).to_have_text("refunded", timeout=SAGA_TIMEOUT_MS)
    expect(page.locator("#order-timeline .timeline-label")).to_have_text(
        ["Order created", "Payment accepted", "Room could not be reserved", "Refund issued"]
    )
    expect(page.locator("#order-message")).to_contain_text("refunded")
    statuses = page.evaluate("window.__statuses")
    assert statuses[-2:] == ["paid", "refunded"], statuses  # paid was shown, then refunded
    expect(page.locator("iframe#confirmation-map")).to_have_count(0)
    assert browser_log.errors == [], f"console errors: {browser_log.errors}"
