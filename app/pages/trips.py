"""My trips: the signed-in guest's bookings with their status; cancel; an empty state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import reflex as rx

from app.components.layout import layout, listing_card
from app.components.stay_policy import held_until_words, hotel_times_words, policy_words
from app.format import guests_label, long_date, money, nights_label, shown
from app.guest_currency import CurrencyState
from app.state import AuthState, call
from backend.cancellation import percent
from backend.errors import NotFound, TrinityError
from backend.models import Booking, BookingStatus
from backend.services import booking, hotels, refund_quote
from backend.stay_time import DEFAULT_TIMEZONE, aware

ROUTE = "/trips"
TITLE = "My trips — Trinity"

STATUS_COLORS = {
    BookingStatus.HELD: "amber",
    BookingStatus.CONFIRMED: "grass",
    BookingStatus.EXPIRED: "gray",
    BookingStatus.CANCELLED: "gray",
}
STATUS_LABELS = {
    BookingStatus.HELD: "Held",
    BookingStatus.CONFIRMED: "Confirmed",
    BookingStatus.EXPIRED: "Expired",
    BookingStatus.CANCELLED: "Cancelled",
}


@dataclass
class TripRow:
    id: int = 0
    hotel_id: int = 0
    hotel_name: str = ""
    city: str = ""
    room_name: str = ""
    dates: str = ""
    guests: int = 0
    guests_text: str = ""  # "1 guest", "2 guests"
    total: str = ""  # what the hotel charges, in its currency
    total_shown: str = ""  # the same in the guest's currency (≈), "" when that is the hotel's
    status: str = ""
    status_label: str = ""
    status_color: str = "gray"
    note: str = ""  # e.g. "Held for you until 12 Dec 2026, 16:42 (Europe/Lisbon)"
    cancellable: bool = False
    policy_text: str = ""  # the hotel's rule with its deadline for this stay, on its clock
    refund_text: str = ""  # what cancelling now refunds (the quote), for the cancel dialog
    times_text: str = ""  # check-in and check-out on the hotel's clock


async def trip_rows(bookings: list[Booking], guest_currency: str = "") -> list[TripRow]:
    """Join each booking with its hotel and room type names (one lookup per hotel); with the
    guest's currency, each total also as the guest reads it (`≈ $459`)."""
    names: dict[int, tuple[str, str, dict[int, str], str, str]] = {}
    for hotel_id in {b.hotel_id for b in bookings}:
        try:
            view = await call(hotels.get_hotel, hotel_id)
            h = view.hotel
            rooms = {rt.id: rt.name for rt in view.room_types}
            names[hotel_id] = (h.name, h.city, rooms, h.timezone, h.cancellation_policy)
        except NotFound:
            names[hotel_id] = ("A hotel no longer listed", "", {}, DEFAULT_TIMEZONE, "strict")
    rows = []
    for b in bookings:
        hotel_name, city, room_names, timezone, policy = names[b.hotel_id]
        status = BookingStatus(b.status)
        nights = (b.check_out - b.check_in).days
        note = ""
        if status is BookingStatus.HELD:
            note = held_until_words(aware(b.hold_expires_at), timezone)
        rows.append(
            TripRow(
                id=b.id or 0,
                hotel_id=b.hotel_id,
                hotel_name=hotel_name,
                city=city,
                room_name=room_names.get(b.room_type_id, "Room"),
                dates=f"{long_date(b.check_in)} → {long_date(b.check_out)} · {nights_label(nights)}",
                guests=b.guests,
                guests_text=guests_label(b.guests),
                total=money(b.total_price, b.currency),
                total_shown=(
                    shown(b.total_price, b.currency, guest_currency)
                    if guest_currency and guest_currency != b.currency
                    else ""
                ),
                status=status.value,
                status_label=STATUS_LABELS[status],
                status_color=STATUS_COLORS[status],
                note=note,
                cancellable=status in (BookingStatus.HELD, BookingStatus.CONFIRMED),
                policy_text=policy_words(policy, b.check_in, timezone),
                times_text=hotel_times_words(timezone),
                refund_text=await _refund_words(b),
            )
        )
    return rows


async def _refund_words(b: Booking) -> str:
    if b.status != BookingStatus.CONFIRMED:
        return ""
    try:
        quote = await call(refund_quote.quote_cancellation, b.user_id, b.id or 0)
    except TrinityError:
        return ""
    if quote.refund > 0:
        return f"Cancelling now refunds {money(quote.refund, quote.currency)} ({percent(quote.refund_share)}%)."
    return "Cancelling now refunds nothing under this hotel's policy."


class TripsState(rx.State):
    loaded: bool = False
    trips: list[TripRow] = []  # noqa: RUF012 (a Reflex state var)
    cancelling_id: int = 0
    error: str = ""

    async def _reload(self, user_id: int) -> None:
        guest = (await self.get_state(CurrencyState)).shown
        self.trips = await trip_rows(await call(booking.list_bookings, user_id), guest)

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        self.error = ""
        session = await self.get_state(AuthState)
        user_id = await session.resolve()
        if not user_id:
            self.loaded = False
            return session.login_redirect(self)
        await self._reload(user_id)
        self.loaded = True
        return None

    @rx.event
    async def requote(self, booking_id: int, is_open: bool) -> None:
        """The dialog opened: the quote again, as the moment may have crossed a deadline."""
        if not is_open:
            return
        session = await self.get_state(AuthState)
        user_id = await session.resolve()
        for row in self.trips:
            if row.id == booking_id and user_id:
                found = await call(booking.get_booking, user_id, booking_id)
                row.refund_text = await _refund_words(found)
        self.trips = list(self.trips)

    @rx.event
    async def cancel(self, booking_id: int) -> AsyncIterator[rx.event.EventSpec | None]:
        session = await self.get_state(AuthState)
        user_id = await session.resolve()
        if not user_id:
            yield session.login_redirect(self)
            return
        self.cancelling_id = booking_id
        self.error = ""
        yield
        try:
            cancelled = await call(booking.cancel_booking, user_id, booking_id)
        except TrinityError as error:
            self.error = error.message
            self.cancelling_id = 0
            await self._reload(user_id)
            return
        self.cancelling_id = 0
        await self._reload(user_id)
        if cancelled.status == BookingStatus.CANCELLED:
            yield rx.toast.success(f"Booking #{booking_id} cancelled; the room is free again.")


def status_badge(trip: TripRow) -> rx.Component:
    return rx.badge(
        trip.status_label,
        color_scheme=trip.status_color,
        size="2",
        variant="soft",
        id="status-" + trip.id.to_string(),
    )


def cancel_button(trip: TripRow) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(
                "Cancel booking",
                variant="soft",
                color_scheme="red",
                loading=TripsState.cancelling_id == trip.id,
                aria_label="Cancel booking " + trip.id.to_string(),
            ),
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Cancel this booking?"),
            rx.alert_dialog.description(
                rx.cond(
                    trip.status == "held",
                    "The hold ends now and the room goes back on sale.",
                    rx.fragment(
                        trip.policy_text,
                        " ",
                        rx.text.strong(trip.refund_text, id="refund-quote-" + trip.id.to_string()),
                    ),
                )
            ),
            rx.flex(
                rx.alert_dialog.cancel(rx.button("Keep it", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(
                        "Yes, cancel", color_scheme="red", on_click=TripsState.cancel(trip.id)
                    )
                ),
                spacing="3",
                justify="end",
                margin_top="1rem",
            ),
        ),
        on_open_change=lambda is_open: TripsState.requote(trip.id, is_open),
    )


def trip_card(trip: TripRow) -> rx.Component:
    return listing_card(
        [
            rx.hstack(
                rx.link(
                    rx.heading(trip.hotel_name, size="4", as_="h2"),
                    href="/hotel/" + trip.hotel_id.to_string(),
                    color_scheme="gray",
                    high_contrast=True,
                ),
                status_badge(trip),
                align="center",
                spacing="3",
                wrap="wrap",
            ),
            rx.text(trip.room_name, " · ", trip.guests_text, " · ", trip.city, size="2"),
            rx.text(trip.dates, size="2", color_scheme="gray"),
            rx.cond(trip.note != "", rx.text(trip.note, size="2", color=rx.color("amber", 11))),
        ],
        [
            rx.text(rx.text.strong(trip.total), " total", size="3"),
            rx.cond(
                trip.total_shown != "",
                rx.text(
                    trip.total_shown,
                    size="1",
                    color_scheme="gray",
                    id="trip-total-shown-" + trip.id.to_string(),
                ),
            ),
            rx.hstack(
                rx.cond(
                    trip.status == "held",
                    rx.button(
                        rx.link(
                            "Pay now", href="/checkout/" + trip.id.to_string(), underline="none"
                        ),
                        as_child=True,
                    ),
                ),
                rx.button(
                    rx.link("Details", href="/trips/" + trip.id.to_string(), underline="none"),
                    as_child=True,
                    variant="outline",
                ),
                rx.cond(trip.cancellable, cancel_button(trip)),
                spacing="2",
            ),
        ],
        id="trip-" + trip.id.to_string(),
    )


def empty_state() -> rx.Component:
    return rx.card(
        rx.flex(
            rx.icon("luggage", size=36, color=rx.color("accent", 9)),
            rx.heading("No trips yet", size="5", as_="h2"),
            rx.text("When you reserve a room, it shows up here.", color_scheme="gray"),
            rx.button(rx.link("Find a hotel", href="/", underline="none"), as_child=True),
            direction="column",
            align="center",
            spacing="3",
            padding="2rem",
        ),
        id="trips-empty",
        width="100%",
    )


def trips_page() -> rx.Component:
    return layout(
        rx.flex(
            rx.heading("My trips", size="8", as_="h1"),
            rx.cond(
                TripsState.error != "",
                rx.callout(
                    TripsState.error, icon="triangle-alert", color_scheme="red", role="alert"
                ),
            ),
            rx.cond(
                TripsState.loaded,
                rx.cond(
                    TripsState.trips.length() > 0,
                    rx.flex(
                        rx.foreach(TripsState.trips, trip_card),
                        direction="column",
                        spacing="3",
                        id="trips",
                    ),
                    empty_state(),
                ),
                rx.center(rx.spinner(size="3"), padding="3rem"),
            ),
            direction="column",
            spacing="5",
        )
    )


ON_LOAD = [AuthState.load_session, CurrencyState.load, TripsState.load]
