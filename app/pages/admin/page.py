"""The admin page itself: who gets in, what loads when, and how the sections are laid out."""

from __future__ import annotations

from collections.abc import AsyncIterator

import reflex as rx

from app.components.layout import layout
from app.pages.admin.access import is_admin
from app.pages.admin.hotel_form import edit_hotel_button, editor_dialog, new_hotel_button
from app.pages.admin.hotels_table import AdminHotelsState, hotels_section
from app.pages.admin.metrics import AdminMetricsState, overview_section
from app.pages.admin.orders import AdminOrdersState, orders_section
from app.state import AuthState

TITLE = "Admin — Trinity"


class AdminPageState(rx.State):
    loaded: bool = False
    forbidden: bool = False

    async def _load_sections(self) -> None:
        await (await self.get_state(AdminHotelsState))._load()
        await (await self.get_state(AdminMetricsState))._load()
        await (await self.get_state(AdminOrdersState))._load()

    @rx.event
    async def load(self) -> AsyncIterator[rx.event.EventSpec | None]:
        self.loaded = False
        session = await self.get_state(AuthState)
        if not await session.resolve():
            yield session.login_redirect(self)
            return
        self.forbidden = not await session.current_admin()
        if self.forbidden:
            self.loaded = True
            return
        await self._load_sections()
        self.loaded = True
        yield AdminMetricsState.watch_lag

    @rx.event
    async def refresh(self) -> None:
        if await is_admin(self):
            await self._load_sections()


def admin_view() -> rx.Component:
    return rx.flex(
        rx.hstack(
            rx.heading("Admin", size="8", as_="h1"),
            rx.button(
                rx.icon("refresh-cw", size=16),
                "Refresh",
                variant="soft",
                on_click=AdminPageState.refresh,
            ),
            justify="between",
            align="center",
            width="100%",
        ),
        overview_section(),
        hotels_section(new_hotel_button(), edit_hotel_button),
        orders_section(),
        editor_dialog(),
        direction="column",
        spacing="5",
    )


def forbidden_view() -> rx.Component:
    return rx.center(
        rx.card(
            rx.flex(
                rx.icon("shield-alert", size=32),
                rx.heading("Admins only", size="6", as_="h1"),
                rx.text("This page is for Trinity administrators. Your account is not one."),
                rx.link("Back to search", href="/"),
                direction="column",
                align="center",
                spacing="3",
            ),
            size="4",
            id="admin-forbidden",
        )
    )


def admin_page() -> rx.Component:
    return layout(
        rx.cond(
            AdminPageState.loaded,
            rx.cond(AdminPageState.forbidden, forbidden_view(), admin_view()),
            rx.center(rx.spinner(size="3"), padding="4rem"),
        ),
        wide=True,
    )


ON_LOAD = [AuthState.load_session, AdminPageState.load]
