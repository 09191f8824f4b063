"""Checkout: the hold's countdown, a card form, then the order's saga timeline, live.

After "Pay", a background task listens to the status bus (through app.live's per-process feed)
and re-reads the order on every change of it, so the timeline moves pending -> paid -> confirmed
(or failed / refunded) over the websocket, with no reload and no polling from the browser.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from datetime import UTC
from typing import Any

import reflex as rx

from app.components.countdown import countdown
from app.components.folium_map import hotel_map_for, map_frame
from app.components.forms import error_callout, field_label
from app.components.layout import layout
from app.components.not_found import booking_not_found
from app.components.saga_timeline import TimelineEntry, saga_timeline, timeline_entries
from app.components.stay_policy import policy_callout
from app.format import parse_int, shown
from app.guest_currency import CurrencyState
from app.live import feed, next_change
from app.pages.trips import TripRow, status_badge, trip_rows
from app.state import AuthState, browser_deadline, call, context
from backend.errors import NotFound, TrinityError
from backend.models import BookingStatus, OrderStatus
from backend.services import booking, checkout
from backend.services.checkout import CheckoutRequest, OrderView

ROUTE = "/checkout/[booking_id]"
TITLE = "Checkout — Trinity"

TERMINAL = {OrderStatus.CONFIRMED, OrderStatus.FAILED, OrderStatus.REFUNDED}
WATCH_FOR_S = 15 * 60  # a page stops listening after this long (the order page still reads it)
IDLE_RECHECK_S = 5.0  # with no change for this long, read the order once (missed messages)
TEST_CARDS = [
    ("4242 4242 4242 4242", "succeeds"),
    ("4000 0000 0000 0002", "is declined"),
    ("4000 0000 0000 9995", "is declined: insufficient funds"),
]
STATUS_TEXT = {
    "pending": "Processing your payment…",
    "paid": "Payment accepted — confirming your room…",
    "confirmed": "Your stay is confirmed. Enjoy your trip!",
    "failed": "Your payment was declined, so the hold was released. Reserve again to retry.",
    "refunded": "We could not reserve the room after all, so your payment was refunded.",
}


class CheckoutState(rx.State):
    loaded: bool = False
    not_found: bool = False
    trip: TripRow = TripRow()
    booking_status: str = ""
    hold_deadline: str = ""  # ISO 8601 UTC, for the countdown
    hold_expired: bool = False
    hold_extended: bool = False  # the one 5-minute extension is used
    extend_error: str = ""
    paying: bool = False
    card_error: str = ""
    order_id: int = 0
    order_status: str = ""
    timeline: list[TimelineEntry] = []  # noqa: RUF012 (a Reflex state var)
    map_html: str = ""  # the hotel's folium map, once the booking is confirmed
    # The total in the guest's currency, beside the charged one ("" when that is the hotel's).
    total_shown: str = ""
    _watching_order: int = 0

    @rx.var
    def can_pay(self) -> bool:
        return self.booking_status == "held" and not self.hold_expired and self.order_id == 0

    @rx.var
    def status_text(self) -> str:
        return STATUS_TEXT.get(self.order_status, "")

    @rx.var
    def status_tone(self) -> str:
        return {"confirmed": "grass", "failed": "red", "refunded": "amber"}.get(
            self.order_status, "blue"
        )

    @rx.var
    def confirmation_text(self) -> str:
        t = self.trip
        return (
            f"Trinity booking confirmation\n\nBooking #{t.id}\nOrder #{self.order_id}\n"
            f"Hotel: {t.hotel_name}, {t.city}\nRoom: {t.room_name}\nDates: {t.dates}\n"
            f"Guests: {t.guests}\nTotal paid: {t.total}\nStatus: {self.order_status}\n"
            f"Cancellation: {t.policy_text}\n{t.times_text}\n"
        )

    def _booking_id(self) -> int:
        return parse_int(self.router.url.path.rstrip("/").rsplit("/", 1)[-1]) or 0

    def _show_order(self, view: OrderView) -> None:
        self.order_id = view.order.id or 0
        self.order_status = str(view.order.status)
        self.timeline = timeline_entries(view.events)

    async def _read_booking(self, user_id: int, booking_id: int) -> None:
        found = await call(booking.get_booking, user_id, booking_id)
        self.trip = (await trip_rows([found]))[0]
        guest = (await self.get_state(CurrencyState)).shown
        same = guest == found.currency
        self.total_shown = "" if same else shown(found.total_price, found.currency, guest)
        self.booking_status = str(found.status)
        deadline = found.hold_expires_at
        if deadline.tzinfo is None:
            deadline = deadline.replace(tzinfo=UTC)
        now = context().clock()  # the server clock (test mode may have moved it)
        self.hold_deadline = browser_deadline(deadline)
        self.hold_extended = found.hold_extended
        self.hold_expired = found.status == BookingStatus.HELD and deadline <= now
        if found.status == BookingStatus.CONFIRMED and not self.map_html:
            self.map_html = await hotel_map_for(found.hotel_id)

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        self.loaded = False
        self.card_error = ""
        self.paying = False
        self.order_id = 0
        self.order_status = ""
        self.timeline = []
        self.map_html = ""
        session = await self.get_state(AuthState)
        user_id = await session.resolve()
        if not user_id:
            return session.login_redirect(self)
        booking_id = self._booking_id()
        try:
            await self._read_booking(user_id, booking_id)
        except NotFound:
            self.not_found = True
            self.loaded = True
            return None
        self.not_found = False
        orders = await call(checkout.list_orders, user_id)
        mine = next((o for o in orders if o.booking_id == booking_id), None)
        if mine is not None:
            self._show_order(await call(checkout.get_order, user_id, mine.id or 0))
        self.loaded = True
        if self.order_id and OrderStatus(self.order_status) not in TERMINAL:
            return CheckoutState.watch_order
        return None

    @rx.event
    async def pay(self, form: dict[str, Any]) -> AsyncIterator[rx.event.EventSpec | None]:
        card = re.sub(r"[\s-]", "", str(form.get("card_number", "")))
        if not card.isdigit() or not 12 <= len(card) <= 19:
            self.card_error = "Please enter the card number: 12 to 19 digits."
            return
        session = await self.get_state(AuthState)
        user_id = await session.resolve()
        if not user_id:
            yield session.login_redirect(self)
            return
        self.paying = True
        self.card_error = ""
        yield
        try:
            order = await call(checkout.checkout, CheckoutRequest(user_id, self.trip.id, card))
        except TrinityError as error:
            self.card_error = error.message
            self.paying = False
            return
        self.order_id = order.id or 0
        self.order_status = str(order.status)
        self._show_order(await call(checkout.get_order, user_id, self.order_id))
        self.paying = False
        yield CheckoutState.watch_order

    @rx.event
    async def extend(self) -> None:
        """Five more minutes on the hold, once."""
        session = await self.get_state(AuthState)
        user_id = await session.resolve()
        if not user_id or not self.trip.id:
            return
        try:
            await call(booking.extend_hold, user_id, self.trip.id)
            self.extend_error = ""
        except TrinityError as error:
            self.extend_error = error.message
        await self._read_booking(user_id, self.trip.id)

    @rx.event
    async def hold_ran_out(self) -> None:
        """The countdown reached zero: read the booking again (the sweeper may have expired it)."""
        session = await self.get_state(AuthState)
        user_id = await session.resolve()
        if user_id and self.trip.id:
            try:
                await self._read_booking(user_id, self.trip.id)
            except NotFound:
                self.not_found = True
            self.hold_expired = True

    @rx.event(background=True)
    async def watch_order(self) -> None:
        async with self:
            session = await self.get_state(AuthState)
            user_id = session.user_id
            order_id = self.order_id
            if not user_id or not order_id or self._watching_order == order_id:
                return
            self._watching_order = order_id
        try:
            await self._follow(user_id, order_id)
        finally:
            async with self:
                if self._watching_order == order_id:
                    self._watching_order = 0

    async def _follow(self, user_id: int, order_id: int) -> None:
        deadline = time.monotonic() + WATCH_FOR_S
        async with feed.listen(user_id, order_id) as changes:
            # Read after subscribing: a change in between is then either read or delivered.
            view = await call(checkout.get_order, user_id, order_id)
            while True:
                async with self:
                    if self.order_id != order_id:  # the page moved on to something else
                        return
                    self._show_order(view)
                    if OrderStatus(view.order.status) in TERMINAL:
                        await self._read_booking(user_id, self.trip.id)
                        return
                if time.monotonic() > deadline:
                    return
                await next_change(changes, IDLE_RECHECK_S)
                view = await call(checkout.get_order, user_id, order_id)


# ---------------------------------------------------------------------------
# Components
# ---------------------------------------------------------------------------


def summary_card() -> rx.Component:
    trip = CheckoutState.trip
    return rx.card(
        rx.flex(
            rx.hstack(
                rx.heading(trip.hotel_name, size="5", as_="h2"),
                status_badge(trip),
                align="center",
                spacing="3",
                wrap="wrap",
            ),
            rx.text(trip.room_name, " · ", trip.guests_text, " · ", trip.city, size="2"),
            rx.text(trip.dates, size="2", color_scheme="gray"),
            policy_callout(trip.policy_text, trip.times_text, id="checkout-policy"),
            rx.separator(size="4"),
            rx.hstack(
                rx.text("Total", weight="medium"),
                rx.text(trip.total, size="5", weight="bold", id="checkout-total"),
                justify="between",
                width="100%",
            ),
            rx.cond(
                CheckoutState.total_shown != "",
                rx.text(
                    CheckoutState.total_shown,
                    " in your currency; you are charged in the hotel's.",
                    size="2",
                    color_scheme="gray",
                    id="checkout-total-shown",
                ),
            ),
            direction="column",
            spacing="2",
        ),
        width="100%",
    )


def hold_timer() -> rx.Component:
    return rx.cond(
        (CheckoutState.booking_status == "held") & (CheckoutState.order_status != "confirmed"),
        rx.callout.root(
            rx.callout.icon(rx.icon("timer")),
            rx.callout.text(
                "Your room is held for ",
                rx.text.strong(
                    countdown(
                        deadline=CheckoutState.hold_deadline,
                        expired_text="0:00",
                        on_expire=CheckoutState.hold_ran_out,
                        id="hold-countdown",
                    )
                ),
                ". Pay before the hold runs out.",
            ),
            rx.callout.text(CheckoutState.trip.note, size="1", id="hold-until"),
            rx.cond(
                ~CheckoutState.hold_extended & ~CheckoutState.hold_expired,
                rx.button(
                    "5 more minutes",
                    on_click=CheckoutState.extend,
                    size="1",
                    variant="soft",
                    width="fit-content",
                    id="extend-hold",
                ),
            ),
            rx.cond(
                CheckoutState.extend_error != "",
                rx.callout.text(CheckoutState.extend_error, size="1", color_scheme="red"),
            ),
            color_scheme=rx.cond(CheckoutState.hold_expired, "red", "amber"),
            width="100%",
        ),
    )


def card_form() -> rx.Component:
    return rx.form(
        rx.flex(
            field_label("Card number", "card-number"),
            rx.input(
                id="card-number",
                name="card_number",
                auto_complete="cc-number",
                input_mode="numeric",
                placeholder="4242 4242 4242 4242",
                size="3",
                width="100%",
                required=True,
                aria_describedby="card-hint",
            ),
            rx.text(
                "Test cards: ",
                *[
                    rx.fragment(rx.code(number), f" {outcome}", "; " if i < 2 else ".")
                    for i, (number, outcome) in enumerate(TEST_CARDS)
                ],
                size="1",
                color_scheme="gray",
                id="card-hint",
            ),
            rx.cond(
                CheckoutState.card_error != "",
                error_callout(CheckoutState.card_error, id="card-error"),
            ),
            rx.button(
                rx.icon("lock", size=16),
                "Pay ",
                CheckoutState.trip.total,
                type="submit",
                size="3",
                loading=CheckoutState.paying,
                width="100%",
            ),
            direction="column",
            spacing="2",
        ),
        on_submit=CheckoutState.pay,
        reset_on_submit=False,
        aria_label="Payment",
    )


def order_panel() -> rx.Component:
    return rx.cond(
        CheckoutState.order_id > 0,
        rx.card(
            rx.flex(
                rx.hstack(
                    rx.heading("Order #", CheckoutState.order_id, size="4", as_="h2"),
                    rx.badge(
                        CheckoutState.order_status,
                        color_scheme=CheckoutState.status_tone,
                        size="2",
                        id="order-status",
                        text_transform="capitalize",
                    ),
                    align="center",
                    spacing="3",
                ),
                rx.callout(
                    CheckoutState.status_text,
                    icon=rx.cond(CheckoutState.order_status == "confirmed", "circle-check", "info"),
                    color_scheme=CheckoutState.status_tone,
                    id="order-message",
                    role="status",
                ),
                saga_timeline(
                    CheckoutState.timeline, id="order-timeline", aria_label="Order timeline"
                ),
                rx.cond(
                    CheckoutState.order_status == "confirmed",
                    rx.button(
                        rx.icon("download", size=16),
                        "Download confirmation",
                        variant="soft",
                        on_click=rx.download(
                            data=CheckoutState.confirmation_text,
                            filename="trinity-confirmation.txt",
                        ),
                    ),
                ),
                direction="column",
                spacing="4",
            ),
            width="100%",
            aria_live="polite",
        ),
    )


def payment_panel() -> rx.Component:
    return rx.cond(
        CheckoutState.can_pay,
        rx.card(
            rx.flex(
                rx.heading("Pay by card", size="4", as_="h2"),
                card_form(),
                direction="column",
                spacing="3",
            ),
            width="100%",
        ),
        rx.cond(
            CheckoutState.order_id == 0,
            rx.callout(
                rx.cond(
                    CheckoutState.hold_expired,
                    "This hold has expired: the room went back on sale.",
                    "This booking cannot be paid any more.",
                ),
                icon="circle-alert",
                color_scheme="gray",
                id="not-payable",
            ),
        ),
    )


def confirmation_map() -> rx.Component:
    return rx.cond(
        (CheckoutState.order_status == "confirmed") & (CheckoutState.map_html != ""),
        rx.card(
            rx.flex(
                rx.heading("Where you are staying", size="4", as_="h2"),
                rx.box(
                    map_frame(
                        CheckoutState.map_html,
                        "Map of " + CheckoutState.trip.hotel_name,
                        id="confirmation-map",
                    ),
                    height="18rem",
                    border_radius="var(--radius-3)",
                    overflow="hidden",
                ),
                direction="column",
                spacing="3",
            ),
            width="100%",
        ),
    )


def checkout_view() -> rx.Component:
    return rx.flex(
        rx.heading("Checkout", size="8", as_="h1"),
        rx.grid(
            rx.flex(
                summary_card(), hold_timer(), confirmation_map(), direction="column", spacing="4"
            ),
            rx.flex(order_panel(), payment_panel(), direction="column", spacing="4"),
            grid_template_columns=rx.breakpoints(initial="1fr", md="1fr 1fr"),
            spacing="5",
            width="100%",
        ),
        direction="column",
        spacing="5",
    )


def checkout_page() -> rx.Component:
    return layout(
        rx.cond(
            CheckoutState.loaded,
            rx.cond(CheckoutState.not_found, rx.center(booking_not_found()), checkout_view()),
            rx.center(rx.spinner(size="3"), padding="4rem"),
        )
    )


ON_LOAD = [AuthState.load_session, CurrencyState.load, CheckoutState.load]
