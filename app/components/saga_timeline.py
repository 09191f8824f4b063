"""An order's saga timeline (OrderCreated -> payment -> inventory -> outcome): one tone dot and
label per event, as the guest sees it at checkout and, compact, in the admin's order list."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import reflex as rx

from app.format import short_datetime
from backend.models import OrderEvent

EVENT_LABELS = {
    "OrderCreated": "Order created",
    "PaymentSucceeded": "Payment accepted",
    "PaymentFailed": "Payment declined",
    "InventoryReserved": "Room confirmed",
    "InventoryFailed": "Room could not be reserved",
    "RefundIssued": "Refund issued",
    "RefundFailed": "Refund failed",
}
EVENT_TONES = {
    "PaymentSucceeded": "grass",
    "InventoryReserved": "grass",
    "PaymentFailed": "red",
    "InventoryFailed": "red",
    "RefundIssued": "amber",
    "RefundFailed": "red",
}

LIST_STYLE = {"listStyle": "none", "padding": 0, "margin": 0, "display": "grid", "gap": "0.75rem"}
COMPACT_LIST_STYLE = {
    "listStyle": "none",
    "padding": "0.5rem 0 0 1rem",
    "display": "grid",
    "gap": "0.35rem",
}


def event_label(event_type: str) -> str:
    return EVENT_LABELS.get(event_type) or re.sub(r"(?<!^)(?=[A-Z])", " ", event_type).capitalize()


@dataclass
class TimelineEntry:
    type: str = ""
    label: str = ""
    at: str = ""
    detail: str = ""
    tone: str = "gray"


def timeline_entries(events: Iterable[OrderEvent]) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            type=e.type,
            label=event_label(e.type),
            at=short_datetime(e.at),
            detail=e.detail,
            tone=EVENT_TONES.get(e.type, "gray"),
        )
        for e in events
    ]


def _dot(tone: rx.Var[str], size: str, **props: Any) -> rx.Component:
    return rx.box(
        width=size,
        height=size,
        border_radius="999px",
        background_color=rx.color(tone, 9),  # type: ignore[arg-type]
        flex_shrink="0",
        **props,
    )


def _event(entry: TimelineEntry) -> rx.Component:
    """Checkout: a larger dot beside the label, its time and (if any) its detail, stacked."""
    return rx.hstack(
        _dot(entry.tone, "0.75rem", margin_top="0.35rem"),
        rx.flex(
            rx.text(entry.label, weight="medium", class_name="timeline-label"),
            rx.text(entry.at, size="1", color_scheme="gray"),
            rx.cond(entry.detail != "", rx.text(entry.detail, size="2", color_scheme="gray")),
            direction="column",
        ),
        align="start",
        spacing="3",
    )


def _compact_event(entry: TimelineEntry) -> rx.Component:
    """Admin: a small dot and everything on one (wrapping) line."""
    return rx.hstack(
        _dot(entry.tone, "0.6rem"),
        rx.text(entry.label, weight="medium", size="2"),
        rx.text(entry.at, size="1", color_scheme="gray"),
        rx.text(entry.detail, size="1", color_scheme="gray"),
        align="center",
        spacing="2",
        wrap="wrap",
    )


def saga_timeline(
    entries: rx.Var[list[TimelineEntry]], compact: bool = False, **props: Any
) -> rx.Component:
    """An ordered list of the entries; `props` go to the list (id, aria_label)."""
    row = _compact_event if compact else _event
    return rx.el.ol(
        rx.foreach(
            entries, lambda entry: rx.el.li(row(entry), custom_attrs={"data-event": entry.type})
        ),
        style=COMPACT_LIST_STYLE if compact else LIST_STYLE,
        **props,
    )
