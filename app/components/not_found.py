"""The card shown for a booking that is not the visitor's (or does not exist): the same either way."""

import reflex as rx


def booking_not_found() -> rx.Component:
    return rx.card(
        rx.flex(
            rx.icon("search-x", size=32),
            rx.heading("Booking not found", size="6", as_="h1"),
            rx.text("There is no booking with this number in your account."),
            rx.link("Go to my trips", href="/trips"),
            direction="column",
            align="center",
            spacing="3",
        ),
        size="4",
        id="booking-not-found",
    )
