"""Plain formatting helpers for prices, dates and amenities (no Reflex, no state)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹", "CHF": "CHF "}
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
