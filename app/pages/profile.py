"""The signed-in guest's profile: who they are, their trips at a glance, and logging out."""

from __future__ import annotations

import reflex as rx

from app.components.layout import layout
from app.state import AuthState, call
from backend.models import BookingStatus
from backend.services import booking

ROUTE = "/profile"
TITLE = "Your profile — Trinity"


class ProfileState(rx.State):
    bookings_total: int = 0
    bookings_upcoming: int = 0

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        session = await self.get_state(AuthState)
        user_id = await session.resolve()
        if not user_id:
            return session.login_redirect(self)
        bookings = await call(booking.list_bookings, user_id)
        self.bookings_total = len(bookings)
        self.bookings_upcoming = sum(
            b.status in (BookingStatus.HELD, BookingStatus.CONFIRMED) for b in bookings
        )
        return None


def detail(label: str, value: rx.Var, id: str) -> rx.Component:
    return rx.data_list.item(
        rx.data_list.label(label),
        rx.data_list.value(rx.text(value, id=id)),
    )


def profile_card() -> rx.Component:
    return rx.card(
        rx.flex(
            rx.hstack(
                rx.avatar(fallback=AuthState.first_name.to(str)[:1], size="5", radius="full"),
                rx.heading(AuthState.user_name, size="7", as_="h1"),
                align="center",
                spacing="4",
            ),
            rx.data_list.root(
                detail("Name", AuthState.user_name, "profile-name"),
                detail("Email", AuthState.user_email, "profile-email"),
                detail("Bookings", ProfileState.bookings_total, "profile-bookings"),
                detail("Active or upcoming", ProfileState.bookings_upcoming, "profile-upcoming"),
            ),
            rx.hstack(
                rx.button(rx.link("My trips", href="/trips", underline="none"), as_child=True),
                rx.button(
                    "Log out", variant="soft", color_scheme="gray", on_click=AuthState.logout
                ),
                spacing="3",
            ),
            direction="column",
            spacing="5",
        ),
        size="4",
        width="100%",
        max_width="36rem",
    )


def profile_page() -> rx.Component:
    return layout(
        rx.center(
            rx.cond(AuthState.logged_in, profile_card(), rx.spinner(size="3")),
        )
    )


ON_LOAD = [AuthState.load_session, ProfileState.load]
