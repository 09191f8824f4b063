"""The guest's currency in the browser: the header's selector changes every price on the search
page (cards, their nightly line, the map's markers) and the hotel page (rooms, totals, marker,
with the hotel's own amount beside), it is kept in the URL and the tab's session, and a first
visit takes it from the browser's locale."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from seed_data import SeededData

pytestmark = pytest.mark.e2e


def lisbon_by_price(seeded: SeededData) -> str:
    """This run's three Lisbon hotels (its tag: seed_data.py), cheapest first: Belém 55, Alfama
    95, Baixa 180 a night."""
    return f"/?q=lisbon+{seeded.tag}&sort=price_asc"


def card_prices(page: Page) -> list[str]:
    return page.locator(".search-hit .hit-price").all_inner_texts()


def test_switching_currency_changes_every_price(
    app_server: str, seeded: SeededData, page: Page, browser_log
) -> None:
    page.goto(app_server + lisbon_by_price(seeded))
    prices = page.locator(".search-hit .hit-price")
    markers = page.locator(".trinity-price-marker")
    expect(prices).to_have_text(["€110", "€190", "€360"])  # the default stay: 2 nights
    expect(page.locator(".search-hit .hit-nightly")).to_have_text(
        ["€55 a night", "€95 a night", "€180 a night"]
    )
    expect(markers).to_have_count(3)
    assert sorted(markers.all_inner_texts()) == ["€110", "€190", "€360"]

    page.get_by_label("Currency").select_option("JPY")
    expect(prices).to_have_text(["≈ ¥18,590", "≈ ¥32,110", "≈ ¥60,840"])
    expect(page.locator(".search-hit .hit-nightly")).to_have_text(
        ["≈ ¥9,295 a night", "≈ ¥16,055 a night", "≈ ¥30,420 a night"]
    )
    expect(markers.filter(has_text="¥")).to_have_count(3)
    assert sorted(markers.all_inner_texts()) == ["≈ ¥18,590", "≈ ¥32,110", "≈ ¥60,840"]
    expect(page).to_have_url(re.compile(r"[?&]currency=JPY(&|$)"))
    expect(page.get_by_label("Max price")).to_have_attribute("placeholder", "Any JPY")

    page.get_by_label("Max price").fill("20000")  # yen a night: Belém and Alfama
    expect(page.locator("#search-count")).to_have_text("2 hotels")
    page.reload()
    expect(page.get_by_label("Currency")).to_have_value("JPY")
    expect(prices).to_have_text(["≈ ¥18,590", "≈ ¥32,110"])

    # The tab's session keeps the choice on a page opened without it in the URL.
    double = seeded.room_types["alfama/Double"]
    page.goto(f"{app_server}/hotel/{seeded.hotels['alfama']}")
    expect(page.locator(f"#price-{double}")).to_have_text("≈ ¥16,055 (€95) / night")
    expect(page.locator(f"#total-{double}")).to_have_text("≈ ¥32,110 (€190) total for 2 nights")
    expect(page.locator(".trinity-price-marker")).to_have_text("from ≈ ¥16,055")
    expect(page).to_have_url(re.compile(r"[?&]currency=JPY(&|$)"))

    page.get_by_label("Currency").select_option("EUR")
    expect(page.locator(f"#price-{double}")).to_have_text("€95 / night")
    expect(page.locator(f"#total-{double}")).to_have_text("€190 total for 2 nights")
    expect(page.locator(".trinity-price-marker")).to_have_text("from €95")
    assert browser_log.errors == [], f"console errors: {browser_log.errors}"


def test_a_first_visit_takes_the_currency_from_the_browser_locale(
    app_server: str, seeded: SeededData, browser: Browser
) -> None:
    context = browser.new_context(locale="en-US")
    try:
        page = context.new_page()
        page.goto(app_server + lisbon_by_price(seeded))
        expect(page.locator(".search-hit .hit-price")).to_have_text(["≈ $129", "≈ $222", "≈ $421"])
        expect(page.get_by_label("Currency")).to_have_value("USD")
        expect(page).to_have_url(re.compile(r"[?&]currency=USD(&|$)"))
    finally:
        context.close()
