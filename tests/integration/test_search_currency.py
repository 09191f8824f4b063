"""`currency=` on GET /api/search and GET /api/hotels/{id}, in both modes: prices compared and
shown in the guest's currency across hotels of different currencies, and the stay's total."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from factories import stay
from fastapi.testclient import TestClient
from search_fixtures import search_context
from test_search_api import drain, hotel, search

from backend.context import Context


@pytest.fixture
def ctx(mode: str, settings_factory: Any) -> Iterator[Context]:
    yield from search_context(mode, settings_factory)


BOX = {"ne_lat": 35.8, "ne_lng": 139.9, "sw_lat": 35.6, "sw_lng": 139.6}


def three_currencies(ctx: Context) -> tuple[int, int, int]:
    """By their own figures 90 < 128.70 < 16900; in euros 90 < 100 < 110."""
    yen, _ = hotel(ctx, "Ginza Yen", 35.67, 139.76, [("Double", 2, 2, "16900")], currency="JPY")
    euro, _ = hotel(ctx, "Euro Corner", 35.68, 139.77, [("Double", 2, 2, "90.00")])
    dollar, _ = hotel(
        ctx, "Dollar Den", 35.69, 139.78, [("Double", 2, 2, "128.70")], currency="USD"
    )
    drain(ctx)
    return yen, euro, dollar


def shown(body: dict[str, Any]) -> list[tuple[int, str, str, bool]]:
    return [
        (h["id"], h["display_price"], h["display_currency"], h["approximate"]) for h in body["hits"]
    ]


def test_prices_sort_and_show_in_the_guests_currency(client: TestClient, ctx: Context) -> None:
    yen, euro, dollar = three_currencies(ctx)
    body = search(client, **BOX, currency="USD", sort="price_asc")
    assert shown(body) == [
        (euro, "105.30", "USD", True),
        (yen, "117.00", "USD", True),
        (dollar, "128.70", "USD", False),  # its own currency: exact
    ]
    first = body["hits"][0]
    assert (first["price"], first["currency"], first["total_price"]) == ("90.00", "EUR", None)
    descending = search(client, **BOX, currency="jpy", sort="price_desc")
    assert [(h["id"], h["display_price"]) for h in descending["hits"]] == [
        (dollar, "18590"), (yen, "16900"), (euro, "15210"),  # yen: no decimals
    ]  # fmt: skip
    default = search(client, **BOX, sort="price_asc")  # no currency: euros
    assert [h["display_currency"] for h in default["hits"]] == ["EUR"] * 3
    assert [h["display_price"] for h in default["hits"]] == ["90.00", "100.00", "110.00"]


def test_the_price_filter_is_in_the_guests_currency(client: TestClient, ctx: Context) -> None:
    yen, euro, dollar = three_currencies(ctx)

    def ids(**params: Any) -> set[int]:
        return {h["id"] for h in search(client, **BOX, **params)["hits"]}

    assert ids(currency="USD", min_price=110, max_price=120) == {yen}
    assert ids(currency="JPY", max_price=16900) == {euro, yen}  # the bound itself is in
    assert ids(currency="JPY", min_price=16901) == {dollar}
    assert ids(min_price=95) == {yen, dollar}  # no currency: the bounds are euros
    assert ids(currency="GBP", max_price=77) == {euro}  # 90 EUR = 76.95 GBP


def test_with_dates_hits_carry_the_stays_total(client: TestClient, ctx: Context) -> None:
    yen, euro, dollar = three_currencies(ctx)
    check_in, check_out = stay(days_ahead=10, nights=3)
    dates = {"check_in": check_in.isoformat(), "check_out": check_out.isoformat()}
    body = search(client, **BOX, **dates, currency="USD", sort="price_desc")
    assert [
        (h["id"], h["nights"], h["total_price"], h["currency"], h["display_total_price"])
        for h in body["hits"]
    ] == [
        (dollar, 3, "386.10", "USD", "386.10"),
        (yen, 3, "50700.00", "JPY", "351.00"),
        (euro, 3, "270.00", "EUR", "315.90"),
    ]
    assert [h["display_price"] for h in body["hits"]] == ["128.70", "117.00", "105.30"]
    in_budget = search(client, **BOX, **dates, currency="USD", min_price=110)
    assert {h["id"] for h in in_budget["hits"]} == {yen, dollar} and in_budget["total"] == 2
    undated = search(client, **BOX, currency="USD")
    assert {(h["total_price"], h["nights"]) for h in undated["hits"]} == {(None, None)}


def test_hotel_page_prices_in_the_guests_currency(client: TestClient, ctx: Context) -> None:
    yen, _, _ = three_currencies(ctx)
    check_in, check_out = stay(days_ahead=10, nights=2)
    body = client.get(
        f"/api/hotels/{yen}",
        params={
            "currency": "EUR",
            "check_in": check_in.isoformat(),
            "check_out": check_out.isoformat(),
        },
    ).json()
    assert (body["currency"], body["display_currency"], body["approximate"], body["nights"]) == (
        "JPY", "EUR", True, 2,
    )  # fmt: skip
    [room] = body["room_types"]
    assert (room["price"], room["display_price"]) == ("16900.00", "100.00")
    assert (room["total_price"], room["display_total_price"]) == ("33800.00", "200.00")
    plain = client.get(f"/api/hotels/{yen}", params={"currency": "JPY"}).json()
    assert plain["approximate"] is False and plain["nights"] is None
    assert plain["room_types"][0]["display_price"] == "16900"
    assert plain["room_types"][0]["total_price"] is None


@pytest.mark.parametrize("path", ["/api/search", "/api/hotels/{id}"])
@pytest.mark.parametrize("code", ["XYZ", "euro", "", "€"])
def test_an_unknown_currency_is_422(client: TestClient, ctx: Context, path: str, code: str) -> None:
    yen, _, _ = three_currencies(ctx)
    response = client.get(path.format(id=yen), params={"currency": code})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input" and "currency" in error["message"]


def test_an_admin_cannot_give_a_hotel_an_unknown_currency(ctx: Context) -> None:
    from backend.errors import InvalidInput

    with pytest.raises(InvalidInput, match="Unknown currency"):
        hotel(ctx, "Nowhere Inn", 35.7, 139.7, [("Double", 2, 1, "10.00")], currency="XYZ")
