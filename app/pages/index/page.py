"""The search page's layout: filters and results beside the map."""

from __future__ import annotations

import reflex as rx

from app.components.layout import layout
from app.guest_currency import CurrencyState
from app.pages.index.filters import filters
from app.pages.index.results import results, search_map
from app.pages.index.state import SearchState
from app.state import AuthState

ROUTE = "/"
TITLE = "Trinity — hotels"
DESCRIPTION = "Trinity: search and book hotels on a map."


def index() -> rx.Component:
    return layout(
        rx.grid(
            rx.flex(filters(), results(), direction="column", spacing="5", min_width="0"),
            rx.box(
                search_map(),
                position=rx.breakpoints(initial="relative", md="sticky"),
                top=rx.breakpoints(initial="auto", md="5rem"),
                height=rx.breakpoints(initial="45vh", md="calc(100vh - 7rem)"),
                min_height="18rem",
                border_radius="var(--radius-3)",
                overflow="hidden",
                border=f"1px solid {rx.color('gray', 5)}",
                order=rx.breakpoints(initial="-1", md="0"),
            ),
            grid_template_columns=rx.breakpoints(initial="1fr", md="minmax(0, 5fr) minmax(0, 6fr)"),
            spacing="5",
            align_items="start",
            width="100%",
        ),
        wide=True,
    )


ON_LOAD = [AuthState.load_session, CurrencyState.load, SearchState.load]
