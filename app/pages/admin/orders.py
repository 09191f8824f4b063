"""Recent orders, each with its saga timeline (OrderCreated -> payment -> inventory -> outcome)."""

from __future__ import annotations

from dataclasses import dataclass, field

import reflex as rx

from app.format import money, short_datetime
from app.pages.checkout import EVENT_TONES, event_label
from app.state import call
from backend.services import admin

ORDERS_SHOWN = 15
ORDER_TONES = {"confirmed": "grass", "failed": "red", "refunded": "amber", "paid": "blue"}


@dataclass
class OrderEventRow:
    label: str = ""
    at: str = ""
    detail: str = ""
    tone: str = "gray"


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
    events: list[OrderEventRow] = field(default_factory=list)


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
        events=[
            OrderEventRow(
                label=event_label(e.type),
                at=short_datetime(e.at),
                detail=e.detail,
                tone=EVENT_TONES.get(e.type, "gray"),
            )
            for e in found.events
        ],
    )


class AdminOrdersState(rx.State):
    orders: list[OrderRowView] = []  # noqa: RUF012 (a Reflex state var)
    orders_total: int = 0

    async def _load(self) -> None:
        found, self.orders_total = await call(admin.recent_orders, ORDERS_SHOWN)
        self.orders = [_order_row(o) for o in found]


def timeline_event(event: OrderEventRow) -> rx.Component:
    return rx.el.li(
        rx.hstack(
            rx.box(
                width="0.6rem",
                height="0.6rem",
                border_radius="999px",
                background_color=rx.color(event.tone, 9),
                flex_shrink="0",
            ),
            rx.text(event.label, weight="medium", size="2"),
            rx.text(event.at, size="1", color_scheme="gray"),
            rx.text(event.detail, size="1", color_scheme="gray"),
            align="center",
            spacing="2",
            wrap="wrap",
        )
    )


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
            rx.el.ol(
                rx.foreach(order.events, timeline_event),
                style={
                    "listStyle": "none",
                    "padding": "0.5rem 0 0 1rem",
                    "display": "grid",
                    "gap": "0.35rem",
                },
                aria_label="Saga timeline",
            ),
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
