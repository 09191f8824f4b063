"""One of my bookings: its details, or "not found" (also for another guest's booking)."""

from __future__ import annotations

import reflex as rx

from app.components.folium_map import hotel_map_for, map_frame
from app.components.layout import layout
from app.components.not_found import booking_not_found
from app.format import parse_int
from app.guest_currency import CurrencyState
from app.pages.trips import TripRow, status_badge, trip_rows
from app.state import AuthState, call
from backend.errors import NotFound
from backend.services import booking

ROUTE = "/trips/[booking_id]"
TITLE = "Booking — Trinity"


class TripState(rx.State):
    loaded: bool = False
    not_found: bool = False
    trip: TripRow = TripRow()
    map_html: str = ""

    @rx.var
    def confirmation_text(self) -> str:
        t = self.trip
        return (
            f"Trinity booking confirmation\n\nBooking #{t.id}\n"
            f"Hotel: {t.hotel_name}, {t.city}\nRoom: {t.room_name}\nDates: {t.dates}\n"
            f"Guests: {t.guests}\nTotal: {t.total}\nStatus: {t.status}\n"
            f"Cancellation: {t.policy_text}\n{t.times_text}\n"
        )

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        self.loaded = False
        session = await self.get_state(AuthState)
        user_id = await session.resolve()
        if not user_id:
            return session.login_redirect(self)
        booking_id = parse_int(self.router.url.path.rstrip("/").rsplit("/", 1)[-1]) or 0
        try:
            found = await call(booking.get_booking, user_id, booking_id)
        except NotFound:
            self.not_found = True
        else:
            self.not_found = False
            guest = (await self.get_state(CurrencyState)).shown
            self.trip = (await trip_rows([found], guest))[0]
            self.map_html = await hotel_map_for(found.hotel_id)
        self.loaded = True
        return None


def detail(label: str, value: rx.Var | str) -> rx.Component:
    return rx.data_list.item(rx.data_list.label(label), rx.data_list.value(value))


def trip_view() -> rx.Component:
    trip = TripState.trip
    return rx.card(
        rx.flex(
            rx.hstack(
                rx.heading("Booking #", trip.id, size="7", as_="h1"),
                status_badge(trip),
                align="center",
                spacing="3",
            ),
            rx.data_list.root(
                detail(
                    "Hotel", rx.link(trip.hotel_name, href="/hotel/" + trip.hotel_id.to_string())
                ),
                detail("Room", trip.room_name),
                detail("Dates", trip.dates),
                detail("Guests", trip.guests.to_string()),
                detail(
                    "Total",
                    rx.cond(
                        trip.total_shown != "",
                        trip.total + " (" + trip.total_shown + ")",
                        trip.total,
                    ),
                ),
                detail("Cancellation", trip.policy_text),
            ),
            rx.cond(trip.note != "", rx.text(trip.note, color=rx.color("amber", 11))),
            rx.cond(
                TripState.map_html != "",
                rx.box(
                    map_frame(TripState.map_html, "Map of " + trip.hotel_name, id="trip-map"),
                    height="16rem",
                    border_radius="var(--radius-3)",
                    overflow="hidden",
                ),
            ),
            rx.cond(
                trip.status == "confirmed",
                rx.button(
                    rx.icon("download", size=16),
                    "Download confirmation",
                    variant="soft",
                    width="fit-content",
                    on_click=rx.download(
                        data=TripState.confirmation_text,
                        filename="trinity-confirmation-" + trip.id.to_string() + ".txt",
                    ),
                ),
            ),
            rx.hstack(
                rx.link(
                    rx.cond(trip.status == "held", "Pay for this hold", "Payment and order status"),
                    href="/checkout/" + trip.id.to_string(),
                ),
                rx.link("← All my trips", href="/trips"),
                spacing="5",
                wrap="wrap",
            ),
            direction="column",
            spacing="4",
        ),
        size="4",
        width="100%",
        max_width="40rem",
        id="trip-detail",
    )


def trip_page() -> rx.Component:
    return layout(
        rx.center(
            rx.cond(
                TripState.loaded,
                rx.cond(TripState.not_found, booking_not_found(), trip_view()),
                rx.spinner(size="3"),
            )
        )
    )


ON_LOAD = [AuthState.load_session, CurrencyState.load, TripState.load]
