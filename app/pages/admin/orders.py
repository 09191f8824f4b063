"""Recent orders, each with its saga timeline (OrderCreated -> payment -> inventory -> outcome)."""

from __future__ import annotations

from dataclasses import dataclass, field

import reflex as rx

from app.components.saga_timeline import (
    TimelineEntry,
    event_label,
    saga_timeline,
    timeline_entries,
)
from app.format import money, short_datetime
from app.state import call
from backend.services import admin

ORDERS_SHOWN = 15
ORDER_TONES = {"confirmed": "grass", "failed": "red", "refunded": "amber", "paid": "blue"}


@dataclass
class OrderRowView:
    id: int = 0
    booking_id: int = 0
    guest: str = ""
    hotel: str = ""
    status: str = ""
    tone: str = "gray"
    amount: str = ""
    created: str = ""
    chain: str = ""
    events: list[TimelineEntry] = field(default_factory=list)


def _order_row(found: admin.AdminOrder) -> OrderRowView:
    order = found.order
    return OrderRowView(
        id=order.id or 0,
        booking_id=order.booking_id,
        guest=found.guest_email,
        hotel=found.hotel_name,
        status=str(order.status),
        tone=ORDER_TONES.get(str(order.status), "gray"),
        amount=money(order.amount, order.currency),
        created=short_datetime(order.created_at),
        chain=" → ".join(event_label(e.type) for e in found.events),
        events=timeline_entries(found.events),
    )


class AdminOrdersState(rx.State):
    orders: list[OrderRowView] = []  # noqa: RUF012 (a Reflex state var)
    orders_total: int = 0

    async def _load(self) -> None:
        found, self.orders_total = await call(admin.recent_orders, ORDERS_SHOWN)
        self.orders = [_order_row(o) for o in found]


def order_item(order: OrderRowView) -> rx.Component:
    return rx.el.li(
        rx.el.details(
            rx.el.summary(
                rx.hstack(
                    rx.text("Order #", order.id, weight="bold"),
                    rx.badge(order.status, color_scheme=order.tone, text_transform="capitalize"),
                    rx.text(order.amount),
                    rx.text(order.hotel, " · ", order.guest, color_scheme="gray", size="2"),
                    rx.text(order.chain, size="1", color_scheme="gray", class_name="order-chain"),
                    align="center",
                    spacing="3",
                    wrap="wrap",
                    display="inline-flex",
                ),
                cursor="pointer",
            ),
            saga_timeline(order.events, compact=True, aria_label="Saga timeline"),
        ),
        id="admin-order-" + order.id.to_string(),
        padding_y="0.5rem",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def orders_section() -> rx.Component:
    return rx.card(
        rx.flex(
            rx.hstack(
                rx.heading("Recent orders", size="5", as_="h2"),
                rx.text(
                    "latest ",
                    AdminOrdersState.orders.length(),  # type: ignore[attr-defined]
                    " of ",
                    AdminOrdersState.orders_total,
                    size="2",
                    color_scheme="gray",
                ),
                align="baseline",
                spacing="3",
            ),
            rx.cond(
                AdminOrdersState.orders.length() > 0,  # type: ignore[attr-defined]
                rx.el.ul(
                    rx.foreach(AdminOrdersState.orders, order_item),
                    style={"listStyle": "none", "padding": 0, "margin": 0},
                    id="admin-orders",
                ),
                rx.text("No orders yet.", color_scheme="gray"),
            ),
            direction="column",
            spacing="3",
        ),
        width="100%",
    )
