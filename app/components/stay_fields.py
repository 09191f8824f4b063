"""Date and guest pickers with visible labels, used by the search and hotel pages."""

from __future__ import annotations

from typing import Any

import reflex as rx

from app.components.forms import labelled
from app.stay import MAX_GUESTS

GUEST_CHOICES = [str(n) for n in range(1, MAX_GUESTS + 1)]


def date_field(label: str, id: str, value: rx.Var[str], on_change: Any, min: Any) -> rx.Component:
    return labelled(
        label, id,
        rx.input(
            id=id, name=id, type="date", value=value, min=min, on_change=on_change, size="2",
            width="100%",
        ),
        min_width="9.5rem", flex="1", width="auto",
    )  # fmt: skip


def guests_field(id: str, value: rx.Var[int], on_change: Any) -> rx.Component:
    return labelled(
        "Guests",
        id,
        rx.el.select(
            *[rx.el.option(n, value=n) for n in GUEST_CHOICES],
            id=id,
            name=id,
            value=value.to_string(),
            on_change=on_change,
            class_name="trinity-select",
        ),
        min_width="5.5rem",
        width="auto",
    )


def stay_fields(
    prefix: str,
    check_in: rx.Var[str],
    check_out: rx.Var[str],
    guests: rx.Var[int],
    min_check_in: rx.Var[str],
    min_check_out: rx.Var[str],
    on_check_in: Any,
    on_check_out: Any,
    on_guests: Any,
) -> rx.Component:
    return rx.flex(
        date_field("Check-in", f"{prefix}-check-in", check_in, on_check_in, min_check_in),
        date_field("Check-out", f"{prefix}-check-out", check_out, on_check_out, min_check_out),
        guests_field(f"{prefix}-guests", guests, on_guests),
        spacing="3",
        wrap="wrap",
        align="end",
        width="100%",
    )
