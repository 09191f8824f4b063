"""Checkout in the browser: the saga timeline moves live over the websocket (success and
decline), and a status change of my order toasts on another page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from seed_data import Guest, SeededData
from ui import sign_in_with_token

from backend.bootstrap import Context
from backend.services import booking, checkout
from backend.services.auth import user_from_token
from backend.services.booking import HoldRequest
from backend.services.checkout import CheckoutRequest

pytestmark = pytest.mark.e2e
SAGA_TIMEOUT_MS = 20_000


def hold(backend: Context, seeded: SeededData, guest: Guest, days_ahead: int) -> tuple[int, int]:
    """A fresh hold in the big Madrid hotel; returns (user id, booking id)."""
    user_id = user_from_token(backend, guest.token).id or 0
    check_in = datetime.now(UTC).date() + timedelta(days=days_ahead)
    held = booking.hold_room(
        backend,
        HoldRequest(
            user_id=user_id,
            room_type_id=seeded.room_types["checkout/Double"],
            check_in=check_in,
            check_out=check_in + timedelta(days=1),
            guests=2,
        ),
    )
    return user_id, held.id or 0


def test_success_card_confirms_the_booking_live(
    app_server: str, seeded: SeededData, backend: Context, page: Page, browser_log
) -> None:
    _, booking_id = hold(backend, seeded, seeded.guests["bob"], 40)
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
    expect(page.get_by_role("button", name="Download confirmation")).to_be_visible()
    expect(page.locator("[id^=status-]")).to_have_text("Confirmed")
    assert page.evaluate("window.__sameDocument") is True  # live over the websocket, no reload
    assert browser_log.errors == [], f"console errors: {browser_log.errors}"


def test_declined_card_fails_with_a_message(
    app_server: str, seeded: SeededData, backend: Context, page: Page
) -> None:
    _, booking_id = hold(backend, seeded, seeded.guests["bob"], 41)
    sign_in_with_token(page, app_server, seeded.guests["bob"])
    page.goto(f"{app_server}/checkout/{booking_id}")
    page.get_by_label("Card number").fill("4000000000000002")
    page.get_by_label("Card number").press("Enter")

    expect(page.locator("#order-status")).to_have_text("failed", timeout=SAGA_TIMEOUT_MS)
    expect(page.locator("#order-timeline")).to_contain_text("Payment declined")
    expect(page.locator("#order-message")).to_contain_text("declined")
    expect(page.get_by_label("Card number")).to_have_count(0)


def test_invalid_card_number_is_refused_before_any_order(
    app_server: str, seeded: SeededData, backend: Context, page: Page
) -> None:
    _, booking_id = hold(backend, seeded, seeded.guests["bob"], 42)
    sign_in_with_token(page, app_server, seeded.guests["bob"])
    page.goto(f"{app_server}/checkout/{booking_id}")
    page.get_by_label("Card number").fill("4242 4242 4242 4241")  # fails the Luhn check
    page.get_by_label("Card number").press("Enter")
    expect(page.locator("#card-error")).to_be_visible()
    expect(page.locator("#order-status")).to_have_count(0)


def test_an_order_status_change_toasts_on_another_page(
    app_server: str, seeded: SeededData, backend: Context, page: Page
) -> None:
    user_id, booking_id = hold(backend, seeded, seeded.guests["alice"], 43)
    sign_in_with_token(page, app_server, seeded.guests["alice"])
    page.goto(f"{app_server}/trips")
    expect(page.locator(f"#trip-{booking_id}")).to_contain_text("Held")

    # Paid from elsewhere (another device, the API): this page learns it from the status bus.
    order = checkout.checkout(backend, CheckoutRequest(user_id, booking_id, "4242424242424242"))
    toast = page.locator("[data-sonner-toast]").filter(
        has_text=f"Booking confirmed (order #{order.id})"
    )
    expect(toast).to_be_visible(timeout=SAGA_TIMEOUT_MS)
