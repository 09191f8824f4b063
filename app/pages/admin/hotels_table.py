"""The admin's hotels table: search by name or city, paging, and deleting a hotel after a confirm
step. The editor (hotel_form.py) brings its own Edit and New buttons, so this module does not
depend on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import reflex as rx

from app.components.forms import labelled
from app.format import money
from app.pages.admin.access import is_admin
from app.pages.admin.metrics import AdminMetricsState
from app.state import call
from backend.errors import TrinityError
from backend.services import admin, hotels

PAGE_SIZE = 10
SEARCH_DEBOUNCE_MS = 300
COLUMNS = ("#", "Name", "City", "Rating", "Rooms", "From", "Policy", "")


@dataclass
class HotelRowView:
    id: int = 0
    name: str = ""
    city: str = ""
    country: str = ""
    rating: str = ""
    rooms: int = 0
    room_types: int = 0
    price_from: str = ""
    policy: str = ""


def _row_view(row: admin.HotelRow) -> HotelRowView:
    hotel = row.hotel
    return HotelRowView(
        id=hotel.id or 0,
        name=hotel.name,
        city=hotel.city,
        country=hotel.country,
        rating=f"{hotel.rating:.1f}",
        rooms=row.rooms,
        room_types=row.room_types,
        price_from=money(row.price_from, hotel.currency) if row.price_from is not None else "—",
        policy=str(hotel.cancellation_policy),
    )


class AdminHotelsState(rx.State):
    query: str = ""
    page: int = 0
    total: int = 0
    hotel_rows: list[HotelRowView] = []  # noqa: RUF012 (a Reflex state var)
    delete_open: bool = False
    delete_id: int = 0
    delete_name: str = ""

    @rx.var
    def page_text(self) -> str:
        if not self.total:
            return "No hotels"
        first = self.page * PAGE_SIZE + 1
        last = min(self.total, first + PAGE_SIZE - 1)
        return f"{first}–{last} of {self.total}"

    @rx.var
    def has_prev(self) -> bool:
        return self.page > 0

    @rx.var
    def has_next(self) -> bool:
        return (self.page + 1) * PAGE_SIZE < self.total

    async def _load(self) -> None:
        """The current page; the editors call it too after a change."""
        result = await call(admin.list_hotels, self.query, PAGE_SIZE, self.page * PAGE_SIZE)
        if not result.rows and self.page > 0:  # the last page emptied (a delete)
            self.page = max(0, (result.total - 1) // PAGE_SIZE)
            result = await call(admin.list_hotels, self.query, PAGE_SIZE, self.page * PAGE_SIZE)
        self.total = result.total
        self.hotel_rows = [_row_view(row) for row in result.rows]

    @rx.event
    async def set_query(self, value: str) -> None:
        self.query = value
        self.page = 0
        if await is_admin(self):
            await self._load()

    @rx.event
    async def next_page(self) -> None:
        if self.has_next and await is_admin(self):
            self.page += 1
            await self._load()

    @rx.event
    async def prev_page(self) -> None:
        if self.page > 0 and await is_admin(self):
            self.page -= 1
            await self._load()

    @rx.event
    def ask_delete(self, hotel_id: int, name: str) -> None:
        self.delete_id = hotel_id
        self.delete_name = name
        self.delete_open = True

    @rx.event
    def set_delete_open(self, open: bool) -> None:
        self.delete_open = open

    @rx.event
    async def confirm_delete(self) -> AsyncIterator[rx.event.EventSpec | None]:
        self.delete_open = False
        if not await is_admin(self) or not self.delete_id:
            return
        hotel_id, name = self.delete_id, self.delete_name
        self.delete_id = 0
        try:
            await call(hotels.delete_hotel, hotel_id)
        except TrinityError as error:
            yield rx.toast.error(error.message)
            return
        await self._load()
        await (await self.get_state(AdminMetricsState))._load_lag()
        yield rx.toast.success(f"Hotel #{hotel_id} {name} deleted.")


def delete_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete hotel?"),
            rx.alert_dialog.description(
                "Delete ",
                rx.text.strong(AdminHotelsState.delete_name),
                " and its room types? It leaves search within a second. Existing bookings keep "
                "their history.",
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Keep it", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(
                        "Delete hotel", color_scheme="red", on_click=AdminHotelsState.confirm_delete
                    )
                ),
                justify="end",
                spacing="3",
                margin_top="1rem",
            ),
        ),
        open=AdminHotelsState.delete_open,
        on_open_change=AdminHotelsState.set_delete_open,
    )


EditButton = Callable[[HotelRowView], rx.Component]


def hotel_row(row: HotelRowView, edit_button: EditButton) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.id),
        rx.table.row_header_cell(rx.link(row.name, href="/hotel/" + row.id.to_string())),
        rx.table.cell(row.city, ", ", row.country),
        rx.table.cell(row.rating),
        rx.table.cell(
            row.room_types,
            rx.cond(row.room_types == 1, " type · ", " types · "),
            row.rooms,
            " rooms",
        ),
        rx.table.cell(row.price_from),
        rx.table.cell(row.policy, text_transform="capitalize"),
        rx.table.cell(
            rx.hstack(
                edit_button(row),
                rx.button(
                    "Delete",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=AdminHotelsState.ask_delete(row.id, row.name),
                    aria_label="Delete " + row.name,
                ),
                spacing="2",
            )
        ),
        id="hotel-row-" + row.id.to_string(),
    )


def search_box() -> rx.Component:
    return rx.box(
        labelled(
            "Find a hotel (name or city)",
            "admin-hotel-search",
            rx.debounce_input(
                rx.input(
                    id="admin-hotel-search",
                    type="search",
                    placeholder="e.g. Lisbon",
                    on_change=AdminHotelsState.set_query,
                    size="2",
                    width="100%",
                ),
                value=AdminHotelsState.query,
                debounce_timeout=SEARCH_DEBOUNCE_MS,
            ),
        ),
        max_width="24rem",
        role="search",
        aria_label="Find a hotel",
    )


def pager() -> rx.Component:
    return rx.hstack(
        rx.button(
            rx.icon("chevron-left", size=16),
            "Previous",
            size="1",
            variant="soft",
            disabled=~AdminHotelsState.has_prev,
            on_click=AdminHotelsState.prev_page,
        ),
        rx.text(AdminHotelsState.page_text, size="2", id="admin-hotels-page"),
        rx.button(
            "Next",
            rx.icon("chevron-right", size=16),
            size="1",
            variant="soft",
            disabled=~AdminHotelsState.has_next,
            on_click=AdminHotelsState.next_page,
        ),
        align="center",
        spacing="3",
    )


def hotels_section(new_button: rx.Component, edit_button: EditButton) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.hstack(
                rx.heading("Hotels", size="5", as_="h2"),
                new_button,
                justify="between",
                align="center",
                width="100%",
            ),
            search_box(),
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(*[rx.table.column_header_cell(h) for h in COLUMNS])
                    ),
                    rx.table.body(
                        rx.foreach(
                            AdminHotelsState.hotel_rows, lambda row: hotel_row(row, edit_button)
                        )
                    ),
                    size="1",
                    width="100%",
                    id="admin-hotels",
                ),
                overflow_x="auto",
                width="100%",
            ),
            pager(),
            delete_dialog(),
            direction="column",
            spacing="3",
        ),
        width="100%",
    )
