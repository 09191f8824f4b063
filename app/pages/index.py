"""Home page: hero with a (not yet functional) search box."""

import reflex as rx

from app.components.layout import layout
from app.state import AuthState

ROUTE = "/"
TITLE = "Trinity — hotels"
DESCRIPTION = "Trinity: search and book hotels."


class IndexState(rx.State):
    """State of the home page search placeholder."""

    destination: str = ""

    @rx.event
    def set_destination(self, value: str) -> None:
        self.destination = value

    @rx.var
    def search_hint(self) -> str:
        where = self.destination.strip()
        if where:
            return f"Searching for stays in {where} is coming soon."
        return "Search is coming soon: type a city to try it out."


def search_box() -> rx.Component:
    return rx.card(
        rx.flex(
            rx.input(
                rx.input.slot(rx.icon("map-pin", size=16)),
                placeholder="Where are you going?",
                value=IndexState.destination,
                on_change=IndexState.set_destination,
                size="3",
                width="100%",
                aria_label="Destination",
            ),
            rx.button(rx.icon("search", size=16), "Search", size="3", disabled=True),
            direction=rx.breakpoints(initial="column", sm="row"),
            spacing="3",
            width="100%",
        ),
        rx.text(
            IndexState.search_hint,
            size="2",
            color_scheme="gray",
            margin_top="0.75rem",
            id="search-hint",
        ),
        size="3",
        width="100%",
        max_width="40rem",
    )


def hero() -> rx.Component:
    return rx.flex(
        rx.heading("Find your next stay", size=rx.breakpoints(initial="8", md="9"), align="center"),
        rx.text(
            "Hotels on a map, honest prices, and bookings that hold.",
            size=rx.breakpoints(initial="3", md="5"),
            color_scheme="gray",
            align="center",
        ),
        search_box(),
        direction="column",
        align="center",
        spacing="5",
        padding_y=rx.breakpoints(initial="1rem", md="3rem"),
    )


def index() -> rx.Component:
    return layout(hero())


ON_LOAD = [AuthState.load_session]
