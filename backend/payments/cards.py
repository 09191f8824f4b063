"""Card numbers: normalisation and the Luhn checksum (no card number is ever stored)."""

from __future__ import annotations

from backend.errors import InvalidInput

MIN_DIGITS, MAX_DIGITS = 12, 19


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def normalize_card(card_number: str) -> str:
    """Digits only (spaces and dashes allowed between groups); InvalidInput when not a card."""
    digits = card_number.replace(" ", "").replace("-", "")
    if not digits.isascii() or not digits.isdigit() or not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        raise InvalidInput(f"A card number has {MIN_DIGITS} to {MAX_DIGITS} digits.")
    if not luhn_valid(digits):
        raise InvalidInput("This card number is not valid (checksum failed).")
    return digits
