"""What a guest reads before paying or cancelling: the policy with its deadline, hotel times, and
the hold they already have ("You are holding this room: 7:12 left. Continue to checkout").

The words come from backend/cancellation.py and backend/stay_time.py; pages only place them.
"""

from __future__ import annotations

from datetime import date, datetime

import reflex as rx

from app.components.countdown import countdown
from backend import cancellation
from backend.stay_time import CHECK_IN_TIME, CHECK_OUT_TIME, hotel_clock_text


def policy_words(policy: str, check_in: date | None, timezone: str) -> str:
    """The rule, with its deadline on the hotel's clock once the check-in date is known."""
    rule = cancellation.rule_for(policy)
    return cancellation.deadline_text(rule, check_in, timezone) if check_in else rule.summary()


def hotel_times_words(timezone: str) -> str:
    return (
        f"Check-in from {CHECK_IN_TIME:%H:%M}, check-out until {CHECK_OUT_TIME:%H:%M} "
        f"(hotel time, {timezone})."
    )


def held_until_words(deadline: datetime, timezone: str) -> str:
    return f"Held for you until {hotel_clock_text(deadline, timezone)}"


def policy_callout(text: rx.Var[str] | str, times: rx.Var[str] | str, id: str) -> rx.Component:
    return rx.callout.root(
        rx.callout.icon(rx.icon("calendar-clock")),
        rx.callout.text(rx.text.strong("Cancellation: "), text, id=id),
        rx.callout.text(times, size="1", color_scheme="gray"),
        color_scheme="gray",
        variant="surface",
        width="100%",
    )


def own_hold_banner(
    room_name: rx.Var[str], deadline: rx.Var[str], checkout_href: rx.Var[str]
) -> rx.Component:
    return rx.callout.root(
        rx.callout.icon(rx.icon("timer")),
        rx.callout.text(
            "You are holding this room (",
            room_name,
            "): ",
            rx.text.strong(countdown(deadline=deadline, expired_text="0:00", id="own-hold-left")),
            " left. ",
            rx.link("Continue to checkout", href=checkout_href, id="own-hold-continue"),
        ),
        color_scheme="amber",
        width="100%",
        id="own-hold",
    )
