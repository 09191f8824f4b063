"""Plain formatting helpers for prices, dates and amenities (no Reflex, no state).

Prices: `money` writes an amount in its own currency; `shown` writes it in the guest's currency,
marked approximate (`≈ $104`) unless that is the hotel's own; `charged` adds the hotel's own amount
beside it, where the guest is charged (hotel page, checkout). Conversions: backend/currency.py.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from backend import currency

CURRENCY_SYMBOLS = {
    "EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹", "CHF": "CHF ", "CNY": "CN¥",
    "KRW": "₩", "BRL": "R$", "CAD": "CA$", "AUD": "A$", "MXN": "MX$", "ILS": "₪", "VND": "₫",
    "THB": "฿", "TRY": "₺", "PHP": "₱", "NGN": "₦", "UAH": "₴", "RUB": "₽", "NZD": "NZ$",
}  # fmt: skip
APPROX = "≈ "
AMENITY_ICONS = {
    "wifi": "wifi",
    "breakfast": "coffee",
    "parking": "square-parking",
    "pool": "waves",
    "gym": "dumbbell",
    "spa": "flower-2",
    "restaurant": "utensils",
    "bar": "wine",
    "air_conditioning": "snowflake",
    "pet_friendly": "paw-print",
    "airport_shuttle": "bus",
    "kitchen": "cooking-pot",
    "sea_view": "sunset",
    "ev_charging": "plug-zap",
}


def money(amount: Decimal | float | int, currency: str) -> str:
    """`€95`, `€95.50`, `¥16,000`, `1,200 BRL`."""
    value = Decimal(str(amount))
    text = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def shown(amount: Decimal, own: str, guest: str) -> str:
    """An amount in the hotel's currency `own` as the guest reads it: exact in the same currency,
    else converted and marked approximate, in whole units (a conversion has no exact cents)."""
    if own == guest:
        return money(amount, own)
    converted = currency.convert(amount, own, guest).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return APPROX + money(converted, guest)


def charged(amount: Decimal, own: str, guest: str) -> str:
    """Where the guest pays: the approximate amount and, beside it, what the hotel charges."""
    if own == guest:
        return money(amount, own)
    return f"{shown(amount, own, guest)} ({money(amount, own)})"


def amenity_label(code: str) -> str:
    return code.replace("_", " ").capitalize()


def amenity_icon(code: str) -> str:
    return AMENITY_ICONS.get(code, "check")


def long_date(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def short_datetime(moment: datetime) -> str:
    return f"{moment:%d %b %Y, %H:%M} UTC"


def parse_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def parse_int(text: str | None) -> int | None:
    try:
        return int(text) if text not in (None, "") else None
    except ValueError:
        return None


def nights_label(nights: int) -> str:
    return f"{nights} night" if nights == 1 else f"{nights} nights"


def guests_label(guests: int) -> str:
    return f"{guests} guest" if guests == 1 else f"{guests} guests"
