"""Search in the browser: filters and map moves change the results, the URL restores the view,
the list and the map highlight each other, and the empty state."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect
from seed_data import SeededData

pytestmark = pytest.mark.e2e

# A viewport around central Lisbon: Alfama, Baixa and Belém (Sintra lies west of it).
LISBON = "ne_lat=38.73&ne_lng=-9.1&sw_lat=38.68&sw_lng=-9.25"


def lisbon(seeded: SeededData) -> str:
    """The text that finds this run's three Lisbon hotels (and no one else's: seed_data.py)."""
    return f"lisbon {seeded.tag}"


def hit_names(page: Page) -> list[str]:
    return page.locator(".search-hit h3").all_inner_texts()


def query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def expect_in_url(page: Page, **params: str) -> None:
    """Wait until the address bar carries these query parameters (written after the results)."""
    for key, value in params.items():
        expect(page).to_have_url(re.compile(rf"[?&]{key}={re.escape(value)}(&|$)"))


def test_filters_change_results_and_a_reload_restores_them(
    app_server: str, seeded: SeededData, page: Page, browser_log
) -> None:
    page.goto(app_server + f"/?q={lisbon(seeded)}")
    count = page.locator("#search-count")
    expect(count).to_have_text("3 hotels")
    expect(page.locator(".trinity-price-marker")).to_have_count(3)

    page.get_by_label("Max price").fill("100")
    expect(count).to_have_text("2 hotels")
    expect_in_url(page, max_price="100")

    page.get_by_label("Sort by").select_option("price_asc")
    expect(page.locator(".search-hit h3").first).to_have_text("Belém Budget Inn")
    assert hit_names(page) == ["Belém Budget Inn", "Alfama Riverside"]

    page.get_by_role("checkbox", name="Breakfast").click()
    expect(count).to_have_text("1 hotel")
    # With dates (the default stay: 2 nights) a marker shows the stay's total.
    expect(page.locator(".trinity-price-marker")).to_have_text(["€190"])
    expect_in_url(
        page,
        q=lisbon(seeded).replace(" ", "+"),
        amenities="breakfast",
        sort="price_asc",
        guests="2",
    )

    page.reload()
    expect(count).to_have_text("1 hotel")
    expect(page.get_by_label("Where to?")).to_have_value(lisbon(seeded))
    expect(page.get_by_label("Max price")).to_have_value("100")
    expect(page.get_by_role("checkbox", name="Breakfast")).to_be_checked()
    expect(page.get_by_label("Sort by")).to_have_value("price_asc")
    assert hit_names(page) == ["Alfama Riverside"]

    # From the keyboard, a checkbox toggles on Space and not on Enter (WAI-ARIA, as Radix's).
    breakfast = page.get_by_role("checkbox", name="Breakfast")
    breakfast.focus()
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)  # a toggle would have come back by now (Space's does below)
    expect(breakfast).to_be_checked()
    expect(count).to_have_text("1 hotel")
    page.keyboard.press("Space")
    expect(breakfast).not_to_be_checked()
    expect(count).to_have_text("2 hotels")
    assert browser_log.errors == [], f"console errors: {browser_log.errors}"


def sent_events(page: Page) -> list[str]:
    """Every event frame the page sends to the server from now on (the app's one websocket)."""
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: frames.append(str(payload))))
    return frames


def test_the_list_and_the_map_highlight_each_other(
    app_server: str, seeded: SeededData, page: Page
) -> None:
    frames = sent_events(page)
    page.goto(app_server + f"/?q={lisbon(seeded)}&sort=price_asc")
    expect(page.locator("#search-count")).to_have_text("3 hotels")
    expect(page.locator(".trinity-price-marker")).to_have_count(3)
    sent_before = len(frames)

    # The list highlights the map: hovering a card marks its price marker (and the card).
    baixa = page.locator(".search-hit").filter(has_text="Baixa Grand Hotel")
    baixa.hover()
    baixa_marker = page.locator(".trinity-price-marker", has_text="€360")
    expect(baixa_marker).to_have_class(re.compile(r"\bis-active\b"))
    expect(baixa).to_have_attribute("data-active", "true")

    # And back: hovering a marker (Belém stands alone in the west) marks its card.
    marker = page.locator(".trinity-price-marker", has_text="€110")
    marker.hover()
    belem = page.locator(".search-hit").filter(has_text="Belém Budget Inn")
    expect(belem).to_have_attribute("data-active", "true")
    expect(baixa).not_to_have_attribute("data-active", "true")
    expect(baixa_marker).not_to_have_class(re.compile(r"\bis-active\b"))

    # The keyboard too: a focused card marks its marker, and leaving it clears the mark.
    page.mouse.move(0, 0)
    expect(belem).not_to_have_attribute("data-active", "true")
    baixa.focus()
    expect(baixa_marker).to_have_class(re.compile(r"\bis-active\b"))
    page.get_by_label("Where to?").focus()
    expect(baixa_marker).not_to_have_class(re.compile(r"\bis-active\b"))
    expect(page.locator(".search-hit[data-active]")).to_have_count(0)
    # All of it in the browser: no event went to the server (but the map's own report of its
    # first, fitted viewport, which may land meanwhile).
    assert [f for f in frames[sent_before:] if "_event" in f and "set_viewport" not in f] == []

    marker.click()
    expect(page).to_have_url(re.compile(r"/hotel/\d+\?check_in="))
    expect(page.get_by_role("heading", name="Belém Budget Inn")).to_be_visible()


def test_map_moves_change_results_and_the_url_keeps_the_viewport(
    app_server: str, seeded: SeededData, page: Page, browser_log
) -> None:
    page.goto(f"{app_server}/?q={seeded.tag}&{LISBON}")
    count = page.locator("#search-count")
    expect(count).to_have_text("3 hotels")

    # Drag the map left until Belém (the westernmost) leaves the view.
    box = page.locator("#search-map").bounding_box()
    belem = page.locator(".trinity-price-marker", has_text="€110").bounding_box()
    assert box and belem
    # Its point (the marker's centre line) just past the left edge: a wide label (the stay's total
    # and the nightly price) must not push the others out too.
    distance = belem["x"] + belem["width"] / 2 - box["x"] + 30
    start_x, y = box["x"] + box["width"] * 0.8, box["y"] + box["height"] / 2
    page.mouse.move(start_x, y)
    page.mouse.down()
    page.mouse.move(start_x - distance / 2, y, steps=5)
    page.mouse.move(start_x - distance, y, steps=5)
    page.mouse.up()
    expect(count).to_have_text("2 hotels")
    assert "Belém Budget Inn" not in hit_names(page)
    expect(page).not_to_have_url(re.compile(r"sw_lng=-9\.25(&|$)"))
    assert float(query(page)["sw_lng"][0]) > -9.25

    page.get_by_role("button", name="Zoom out").click()
    page.get_by_role("button", name="Zoom out").click()
    page.get_by_role("button", name="Zoom out").click()
    expect(page.locator(".search-hit")).not_to_have_count(2)
    zoomed_names = hit_names(page)
    assert len(zoomed_names) > 2, zoomed_names
    expect(count).not_to_be_empty()
    page.wait_for_function("!document.querySelector('[aria-busy=true]')")
    zoomed = query(page)

    page.reload()
    expect(page.locator(".search-hit")).to_have_count(len(zoomed_names))
    assert sorted(hit_names(page)) == sorted(zoomed_names)
    assert {k: zoomed[k] for k in ("ne_lat", "ne_lng", "sw_lat", "sw_lng")} == {
        k: query(page)[k] for k in ("ne_lat", "ne_lng", "sw_lat", "sw_lng")
    }
    assert browser_log.errors == [], f"console errors: {browser_log.errors}"


def test_no_match_shows_the_empty_state_and_clearing_brings_results_back(
    app_server: str, page: Page
) -> None:
    page.goto(app_server + "/")
    expect(page.locator(".search-hit").first).to_be_visible()
    page.get_by_label("Where to?").fill("Atlantis")
    page.get_by_label("Where to?").press("Enter")
    expect(page.locator("#search-empty")).to_contain_text("No hotels match")
    expect(page.locator("#search-count")).to_have_text("No hotels")
    expect(page.locator(".trinity-price-marker")).to_have_count(0)
    expect_in_url(page, q="Atlantis")

    page.get_by_role("button", name="Clear filters").click()
    expect(page.locator(".search-hit").first).to_be_visible()
    expect(page).not_to_have_url(re.compile(r"[?&]q="))


# A viewport over the 45 Paris hotels of seed_data.py (a 9 x 5 grid): more than a page of 30.
PARIS = "ne_lat=48.9&ne_lng=2.45&sw_lat=48.8&sw_lng=2.2"


def bubble_counts(page: Page) -> list[int]:
    return [int(n) for n in page.locator(".trinity-cluster-marker").evaluate_all(
        "els => els.map(e => e.dataset.count)"
    )]  # fmt: skip


def test_a_dense_viewport_shows_clusters_for_the_hits_beyond_the_list(
    app_server: str, seeded: SeededData, page: Page, browser_log
) -> None:
    page.goto(f"{app_server}/?q={seeded.tag}&{PARIS}")  # this run's hotels only
    count = page.locator("#search-count")
    expect(count).to_have_text("Showing 30 of 45 hotels")
    expect(page.locator(".search-hit")).to_have_count(30)
    expect(page.locator(".trinity-price-marker")).to_have_count(30)
    # The other 15 are counted in bubbles: every hit is a marker or in a bubble, once.
    expect(page.locator(".trinity-cluster-marker").first).to_be_visible()
    assert sum(bubble_counts(page)) == 15

    # "Show more": the next page joins the list and the map; the bubbles go as they are listed.
    page.get_by_role("button", name="Show 15 more").click()
    expect(page.locator(".search-hit")).to_have_count(45)
    expect(page.locator(".trinity-price-marker")).to_have_count(45)
    expect(page.locator(".trinity-cluster-marker")).to_have_count(0)
    expect(count).to_have_text("45 hotels")
    expect(page.locator("#search-more")).to_have_count(0)
    assert len(set(hit_names(page))) == 45
    assert browser_log.errors == [], f"console errors: {browser_log.errors}"


def test_clicking_a_cluster_zooms_into_its_cell_and_searches_it(
    app_server: str, seeded: SeededData, page: Page, browser_log
) -> None:
    page.goto(f"{app_server}/?q={seeded.tag}&{PARIS}")  # this run's hotels only
    expect(page.locator("#search-count")).to_have_text("Showing 30 of 45 hotels")
    bubble = page.locator(".trinity-cluster-marker").first
    expect(bubble).to_be_visible()
    hidden = int(bubble.get_attribute("data-count") or 0)
    assert hidden > 0
    bubble.click()
    # The map flies to the cell (a user move): the URL takes the smaller viewport, and its hits
    # all fit in the list, so they are all price markers and no bubble is left.
    expect(page).not_to_have_url(re.compile(r"sw_lng=2\.2(&|$)"))
    page.wait_for_function("!document.querySelector('[aria-busy=true]')")
    corners = {k: float(query(page)[k][0]) for k in ("ne_lat", "ne_lng", "sw_lat", "sw_lng")}
    assert corners["ne_lng"] - corners["sw_lng"] < 0.25 / 2, corners
    expect(page.locator("#search-count")).to_have_text(re.compile(r"^\d+ hotels?$"))
    shown = page.locator(".search-hit").count()
    assert hidden <= shown < 45
    expect(page.locator(".trinity-price-marker")).to_have_count(shown)
    expect(page.locator(".trinity-cluster-marker")).to_have_count(0)
    assert browser_log.errors == [], f"console errors: {browser_log.errors}"
