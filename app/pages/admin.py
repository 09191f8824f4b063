"""Admin: hotels (search, paging, create, edit, delete), the search sync lag, recent orders with
their saga timelines, and a few counts. Only for admins; every handler checks again on the server.

Writes go through backend.services.hotels (the same functions as the REST API); the sync worker
carries each change into the search index, and the lag figure shows how far it trails (it is
re-read every second while the page is open).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import reflex as rx

from app.components.forms import error_callout, field_label
from app.components.layout import layout
from app.format import money, short_datetime
from app.pages.checkout import EVENT_TONES, event_label
from app.state import AuthState, call, client_connected, context
from backend.errors import TrinityError
from backend.models import CancellationPolicy
from backend.search.lag import sync_lag
from backend.services import admin, hotels
from backend.services.hotels import RoomTypeSpec

ROUTE = "/admin"
TITLE = "Admin — Trinity"
PAGE_SIZE = 10
ORDERS_SHOWN = 15
LAG_REFRESH_S = 1.0
LAG_WATCH_MAX_S = 30 * 60
SEARCH_DEBOUNCE_MS = 300
POLICIES = [p.value for p in CancellationPolicy]
ORDER_TONES = {"confirmed": "grass", "failed": "red", "refunded": "amber", "paid": "blue"}


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


@dataclass
class HotelForm:
    name: str = ""
    city: str = ""
    country: str = ""
    lat: str = ""
    lng: str = ""
    currency: str = "EUR"
    rating: str = ""
    description: str = ""
    amenities: str = ""
    policy: str = "flexible"


@dataclass
class RoomRow:
    key: str = ""
    name: str = ""
    capacity: str = "2"
    rooms: str = "1"
    price: str = ""
    existing: bool = False


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


@dataclass
class Stat:
    label: str = ""
    value: int = 0


def _stats(values: dict[str, int], order: list[str] | None = None) -> list[Stat]:
    keys = [k for k in (order or []) if k in values] + sorted(set(values) - set(order or []))
    return [Stat(label=k.replace("_", " "), value=values[k]) for k in keys]


def _lag_text(pending: int, seconds: float) -> str:
    if not pending:
        return "0.0 s (in sync)"
    changes = "change" if pending == 1 else "changes"
    return f"{seconds:.1f} s ({pending} {changes} pending)"


class AdminState(rx.State):
    loaded: bool = False
    forbidden: bool = False
    # Hotels table
    query: str = ""
    page: int = 0
    total: int = 0
    hotel_rows: list[HotelRowView] = []  # noqa: RUF012 (a Reflex state var)
    # Editor (create when editing_id == 0)
    editor_open: bool = False
    editing_id: int = 0
    form_key: int = 0  # a new key remounts the form, so its default values apply
    form: HotelForm = HotelForm()
    room_rows: list[RoomRow] = []  # noqa: RUF012
    form_error: str = ""
    saving: bool = False
    # Delete confirmation
    delete_open: bool = False
    delete_id: int = 0
    delete_name: str = ""
    # Sync lag, orders, metrics
    lag_text: str = ""
    lag_checked: str = ""
    orders: list[OrderRowView] = []  # noqa: RUF012
    orders_total: int = 0
    holds: list[Stat] = []  # noqa: RUF012
    conflicts: list[Stat] = []  # noqa: RUF012
    bookings: list[Stat] = []  # noqa: RUF012
    saga: list[Stat] = []  # noqa: RUF012
    _watching_lag: bool = False

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

    @rx.var
    def editor_title(self) -> str:
        return f"Edit hotel #{self.editing_id}" if self.editing_id else "New hotel"

    async def _is_admin(self) -> bool:
        session = await self.get_state(AuthState)
        await session.resolve()
        return session.is_admin

    @rx.event
    async def load(self) -> AsyncIterator[rx.event.EventSpec | None]:
        self.loaded = False
        session = await self.get_state(AuthState)
        if not await session.resolve():
            yield session.login_redirect(self)
            return
        self.forbidden = not session.is_admin
        if self.forbidden:
            self.loaded = True
            return
        await self._load_hotels()
        await self._load_dashboard()
        self.loaded = True
        yield AdminState.watch_lag

    async def _load_hotels(self) -> None:
        result = await call(admin.list_hotels, self.query, PAGE_SIZE, self.page * PAGE_SIZE)
        if not result.rows and self.page > 0:  # the last page emptied (a delete)
            self.page = max(0, (result.total - 1) // PAGE_SIZE)
            result = await call(admin.list_hotels, self.query, PAGE_SIZE, self.page * PAGE_SIZE)
        self.total = result.total
        self.hotel_rows = [
            HotelRowView(
                id=row.hotel.id or 0,
                name=row.hotel.name,
                city=row.hotel.city,
                country=row.hotel.country,
                rating=f"{row.hotel.rating:.1f}",
                rooms=row.rooms,
                room_types=row.room_types,
                price_from=money(row.price_from, row.hotel.currency)
                if row.price_from is not None
                else "—",
                policy=str(row.hotel.cancellation_policy),
            )
            for row in result.rows
        ]

    async def _load_lag(self) -> None:
        lag = await asyncio.to_thread(sync_lag, context().engine)
        self.lag_text = _lag_text(lag.pending, lag.lag_seconds)
        self.lag_checked = time.strftime("%H:%M:%S", time.gmtime()) + " UTC"

    async def _load_dashboard(self) -> None:
        await self._load_lag()
        found, self.orders_total = await call(admin.recent_orders, ORDERS_SHOWN)
        self.orders = [
            OrderRowView(
                id=o.order.id or 0,
                booking_id=o.order.booking_id,
                guest=o.guest_email,
                hotel=o.hotel_name,
                status=str(o.order.status),
                tone=ORDER_TONES.get(str(o.order.status), "gray"),
                amount=money(o.order.amount, o.order.currency),
                created=short_datetime(o.order.created_at),
                chain=" → ".join(event_label(e.type) for e in o.events),
                events=[
                    OrderEventRow(
                        label=event_label(e.type),
                        at=short_datetime(e.at),
                        detail=e.detail,
                        tone=EVENT_TONES.get(e.type, "gray"),
                    )
                    for e in o.events
                ],
            )
            for o in found
        ]
        counts = await call(admin.status_counts)
        self.bookings = _stats(counts["bookings"], ["held", "confirmed", "expired", "cancelled"])
        self.saga = _stats(counts["orders"], ["pending", "paid", "confirmed", "failed", "refunded"])
        self.holds = _stats(
            await call(admin.counter_values, "trinity_holds", "outcome"),
            ["held", "sold_out", "busy"],
        )
        self.conflicts = _stats(await call(admin.counter_values, "trinity_conflicts", "reason"))

    @rx.event
    async def refresh(self) -> None:
        if await self._is_admin():
            await self._load_hotels()
            await self._load_dashboard()

    @rx.event(background=True)
    async def watch_lag(self) -> None:
        """Re-read the sync lag every second while this tab shows the admin page."""
        async with self:
            if self._watching_lag:
                return
            self._watching_lag = True
        stop_at = time.monotonic() + LAG_WATCH_MAX_S
        try:
            while time.monotonic() < stop_at:
                await asyncio.sleep(LAG_REFRESH_S)
                async with self:
                    if not client_connected(self) or not self.router.url.path.startswith(ROUTE):
                        return
                    await self._load_lag()
        finally:
            async with self:
                self._watching_lag = False

    # -- hotels table ---------------------------------------------------------------------------

    @rx.event
    async def set_query(self, value: str) -> None:
        self.query = value
        self.page = 0
        if await self._is_admin():
            await self._load_hotels()

    @rx.event
    async def next_page(self) -> None:
        if self.has_next and await self._is_admin():
            self.page += 1
            await self._load_hotels()

    @rx.event
    async def prev_page(self) -> None:
        if self.page > 0 and await self._is_admin():
            self.page -= 1
            await self._load_hotels()

    # -- editor ---------------------------------------------------------------------------------

    def _open_editor(self, editing_id: int, form: HotelForm, rooms: list[RoomRow]) -> None:
        self.editing_id = editing_id
        self.form = form
        self.room_rows = rooms or [RoomRow(key="room-0")]
        self.form_error = ""
        self.form_key += 1
        self.editor_open = True

    @rx.event
    async def new_hotel(self) -> None:
        if await self._is_admin():
            self._open_editor(0, HotelForm(), [])

    @rx.event
    async def edit_hotel(self, hotel_id: int) -> rx.event.EventSpec | None:
        if not await self._is_admin():
            return None
        try:
            view = await call(hotels.get_hotel, hotel_id)
        except TrinityError as error:
            return rx.toast.error(error.message)
        h = view.hotel
        form = HotelForm(
            name=h.name,
            city=h.city,
            country=h.country,
            lat=str(h.lat),
            lng=str(h.lng),
            currency=h.currency,
            rating=str(h.rating),
            description=h.description,
            amenities=", ".join(h.amenities or []),
            policy=str(h.cancellation_policy),
        )
        rooms = [
            RoomRow(
                key=f"room-{i}",
                name=rt.name,
                capacity=str(rt.capacity),
                rooms=str(rt.rooms),
                price=str(rt.price),
                existing=True,
            )
            for i, rt in enumerate(view.room_types)
        ]
        self._open_editor(hotel_id, form, rooms)
        return None

    @rx.event
    def add_room_row(self) -> None:
        self.room_rows = [*self.room_rows, RoomRow(key=f"room-{len(self.room_rows)}")]

    @rx.event
    def set_editor_open(self, open: bool) -> None:
        self.editor_open = open
        if not open:
            self.form_error = ""

    def _parse(self, data: dict[str, Any]) -> tuple[dict[str, Any], list[RoomTypeSpec]]:
        """Form data -> service arguments; raises ValueError with a message for the admin."""

        def text(name: str) -> str:
            return str(data.get(name, "")).strip()

        def number(name: str, label: str) -> float:
            try:
                return float(text(name))
            except ValueError:
                raise ValueError(f"{label} must be a number.") from None

        fields: dict[str, Any] = {
            "name": text("name"),
            "city": text("city"),
            "country": text("country").upper(),
            "description": text("description"),
            "amenities": sorted(
                {
                    a.strip().lower().replace(" ", "_")
                    for a in text("amenities").split(",")
                    if a.strip()
                }
            ),
            "rating": number("rating", "Rating"),
            "lat": number("lat", "Latitude"),
            "lng": number("lng", "Longitude"),
            "currency": text("currency").upper() or "EUR",
            "cancellation_policy": text("policy") or "flexible",
        }
        if len(fields["country"]) != 2:
            raise ValueError("Country must be a two-letter code (e.g. PT).")
        if len(fields["currency"]) != 3:
            raise ValueError("Currency must be a three-letter code (e.g. EUR).")
        specs: list[RoomTypeSpec] = []
        for row in self.room_rows:
            name = row.name if row.existing else text(f"{row.key}-name")
            if not name:
                continue
            try:
                specs.append(
                    RoomTypeSpec(
                        name=name,
                        capacity=int(text(f"{row.key}-capacity")),
                        rooms=int(text(f"{row.key}-rooms")),
                        price=Decimal(text(f"{row.key}-price")),
                    )
                )
            except (ValueError, InvalidOperation):
                raise ValueError(
                    f"Room type {name}: capacity and rooms are whole numbers, price a number."
                ) from None
        if not specs:
            raise ValueError("Add at least one room type (name, capacity, rooms, price).")
        return fields, specs

    @rx.event
    async def save(self, data: dict[str, Any]) -> AsyncIterator[rx.event.EventSpec | None]:
        if not await self._is_admin():
            self.form_error = "Only admins can change hotels."
            return
        try:
            fields, specs = self._parse(data)
        except ValueError as error:
            self.form_error = str(error)
            return
        self.saving = True
        self.form_error = ""
        yield
        try:
            if self.editing_id:
                view = await call(hotels.update_hotel, self.editing_id, fields, specs)
            else:
                view = await call(hotels.create_hotel, fields, specs)
        except TrinityError as error:
            self.form_error = error.message
            self.saving = False
            return
        self.saving = False
        self.editor_open = False
        verb = "updated" if self.editing_id else "created"
        await self._load_hotels()
        await self._load_lag()
        yield rx.toast.success(
            f"Hotel #{view.hotel.id} {view.hotel.name} {verb}.",
            description="Search shows the change within a second.",
        )

    # -- delete ---------------------------------------------------------------------------------

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
        if not await self._is_admin() or not self.delete_id:
            return
        hotel_id, name = self.delete_id, self.delete_name
        self.delete_id = 0
        try:
            await call(hotels.delete_hotel, hotel_id)
        except TrinityError as error:
            yield rx.toast.error(error.message)
            return
        await self._load_hotels()
        await self._load_lag()
        yield rx.toast.success(f"Hotel #{hotel_id} {name} deleted.")


# ---------------------------------------------------------------------------
# Components
# ---------------------------------------------------------------------------


def text_field(label: str, name: str, value: rx.Var, **props: Any) -> rx.Component:
    id = f"hotel-{name}"
    return rx.flex(
        field_label(label, id),
        rx.input(id=id, name=name, default_value=value, size="2", width="100%", **props),
        direction="column",
        spacing="1",
        width="100%",
    )


def room_row(row: RoomRow) -> rx.Component:
    title = rx.cond(row.existing, row.name, "new room type")

    def cell(part: str, label: str, value: rx.Var, **props: Any) -> rx.Component:
        return rx.input(
            name=row.key + "-" + part,
            default_value=value,
            aria_label=label,
            size="2",
            width="100%",
            **props,
        )

    return rx.table.row(
        rx.table.cell(
            rx.cond(
                row.existing,
                rx.text(row.name, weight="medium"),
                cell("name", "Room type name", row.name, placeholder="e.g. Double"),
            )
        ),
        rx.table.cell(
            cell("capacity", "Capacity (" + title + ")", row.capacity, type="number", min=1)
        ),
        rx.table.cell(cell("rooms", "Rooms (" + title + ")", row.rooms, type="number", min=0)),
        rx.table.cell(
            cell(
                "price",
                "Nightly price (" + title + ")",
                row.price,
                type="number",
                min=0,
                step="0.01",
            )
        ),
    )


def editor_dialog() -> rx.Component:
    f = AdminState.form
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(AdminState.editor_title),
            rx.dialog.description(
                "Changes are searchable within a second.", size="2", color_scheme="gray"
            ),
            rx.form(
                rx.flex(
                    rx.grid(
                        text_field("Name", "name", f.name, required=True),
                        text_field("City", "city", f.city, required=True),
                        text_field("Country (2 letters)", "country", f.country, required=True),
                        text_field("Currency", "currency", f.currency),
                        text_field("Latitude", "lat", f.lat, required=True),
                        text_field("Longitude", "lng", f.lng, required=True),
                        text_field(
                            "Rating (0–5)",
                            "rating",
                            f.rating,
                            type="number",
                            step="0.1",
                            min=0,
                            max=5,
                        ),
                        rx.flex(
                            field_label("Cancellation policy", "hotel-policy"),
                            rx.el.select(
                                *[rx.el.option(p.capitalize(), value=p) for p in POLICIES],
                                id="hotel-policy",
                                name="policy",
                                default_value=f.policy,
                                class_name="trinity-select",
                            ),
                            direction="column",
                            spacing="1",
                        ),
                        columns=rx.breakpoints(initial="1", sm="2"),
                        spacing="3",
                        width="100%",
                    ),
                    text_field("Amenities (comma separated)", "amenities", f.amenities),
                    rx.flex(
                        field_label("Description", "hotel-description"),
                        rx.text_area(
                            id="hotel-description",
                            name="description",
                            default_value=f.description,
                            rows="3",
                            width="100%",
                        ),
                        direction="column",
                        spacing="1",
                    ),
                    rx.heading("Room types", size="3", as_="h3"),
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                rx.table.column_header_cell("Name"),
                                rx.table.column_header_cell("Capacity"),
                                rx.table.column_header_cell("Rooms"),
                                rx.table.column_header_cell("Nightly price"),
                            )
                        ),
                        rx.table.body(rx.foreach(AdminState.room_rows, room_row)),
                        size="1",
                        width="100%",
                    ),
                    rx.hstack(
                        rx.button(
                            rx.icon("plus", size=14),
                            "Add room type",
                            type="button",
                            variant="soft",
                            size="1",
                            on_click=AdminState.add_room_row,
                        ),
                        rx.text(
                            "Set rooms to 0 to stop selling a room type.",
                            size="1",
                            color_scheme="gray",
                        ),
                        align="center",
                        spacing="3",
                    ),
                    rx.cond(
                        AdminState.form_error != "",
                        error_callout(AdminState.form_error, id="hotel-form-error"),
                    ),
                    rx.hstack(
                        rx.dialog.close(
                            rx.button("Cancel", type="button", variant="soft", color_scheme="gray")
                        ),
                        rx.button("Save hotel", type="submit", loading=AdminState.saving),
                        justify="end",
                        spacing="3",
                    ),
                    direction="column",
                    spacing="3",
                ),
                key=AdminState.form_key,
                on_submit=AdminState.save,
                reset_on_submit=False,
                aria_label="Hotel",
            ),
            max_width="44rem",
        ),
        open=AdminState.editor_open,
        on_open_change=AdminState.set_editor_open,
    )


def delete_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete hotel?"),
            rx.alert_dialog.description(
                "Delete ",
                rx.text.strong(AdminState.delete_name),
                " and its room types? It leaves search within a second. Existing bookings keep "
                "their history.",
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Keep it", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(
                        "Delete hotel", color_scheme="red", on_click=AdminState.confirm_delete
                    )
                ),
                justify="end",
                spacing="3",
                margin_top="1rem",
            ),
        ),
        open=AdminState.delete_open,
        on_open_change=AdminState.set_delete_open,
    )


def hotel_row(row: HotelRowView) -> rx.Component:
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
                rx.button(
                    "Edit",
                    size="1",
                    variant="soft",
                    on_click=AdminState.edit_hotel(row.id),
                    aria_label="Edit " + row.name,
                ),
                rx.button(
                    "Delete",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=AdminState.ask_delete(row.id, row.name),
                    aria_label="Delete " + row.name,
                ),
                spacing="2",
            )
        ),
        id="hotel-row-" + row.id.to_string(),
    )


def hotels_section() -> rx.Component:
    return rx.card(
        rx.flex(
            rx.hstack(
                rx.heading("Hotels", size="5", as_="h2"),
                rx.button(rx.icon("plus", size=16), "New hotel", on_click=AdminState.new_hotel),
                justify="between",
                align="center",
                width="100%",
            ),
            rx.flex(
                field_label("Find a hotel (name or city)", "admin-hotel-search"),
                rx.debounce_input(
                    rx.input(
                        id="admin-hotel-search",
                        type="search",
                        placeholder="e.g. Lisbon",
                        on_change=AdminState.set_query,
                        size="2",
                        width="100%",
                    ),
                    value=AdminState.query,
                    debounce_timeout=SEARCH_DEBOUNCE_MS,
                ),
                direction="column",
                spacing="1",
                max_width="24rem",
                role="search",
                aria_label="Find a hotel",
            ),
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *[
                                rx.table.column_header_cell(h)
                                for h in (
                                    "#",
                                    "Name",
                                    "City",
                                    "Rating",
                                    "Rooms",
                                    "From",
                                    "Policy",
                                    "",
                                )
                            ]
                        )
                    ),
                    rx.table.body(rx.foreach(AdminState.hotel_rows, hotel_row)),
                    size="1",
                    width="100%",
                    id="admin-hotels",
                ),
                overflow_x="auto",
                width="100%",
            ),
            rx.hstack(
                rx.button(
                    rx.icon("chevron-left", size=16),
                    "Previous",
                    size="1",
                    variant="soft",
                    disabled=~AdminState.has_prev,
                    on_click=AdminState.prev_page,
                ),
                rx.text(AdminState.page_text, size="2", id="admin-hotels-page"),
                rx.button(
                    "Next",
                    rx.icon("chevron-right", size=16),
                    size="1",
                    variant="soft",
                    disabled=~AdminState.has_next,
                    on_click=AdminState.next_page,
                ),
                align="center",
                spacing="3",
            ),
            direction="column",
            spacing="3",
        ),
        width="100%",
    )


def stat_list(title: str, stats: rx.Var, id: str) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.text(title, weight="medium", size="2", color_scheme="gray"),
            rx.cond(
                stats.length() > 0,  # type: ignore[attr-defined]
                rx.data_list.root(
                    rx.foreach(
                        stats,
                        lambda s: rx.data_list.item(
                            rx.data_list.label(s.label, text_transform="capitalize"),
                            rx.data_list.value(rx.text(s.value, weight="bold")),
                        ),
                    ),
                    size="2",
                ),
                rx.text("None yet", size="2", color_scheme="gray"),
            ),
            direction="column",
            spacing="2",
        ),
        id=id,
    )


def overview_section() -> rx.Component:
    return rx.grid(
        rx.card(
            rx.flex(
                rx.text("Search sync lag", weight="medium", size="2", color_scheme="gray"),
                rx.text(AdminState.lag_text, size="5", weight="bold", id="sync-lag"),
                rx.text("checked ", AdminState.lag_checked, size="1", color_scheme="gray"),
                direction="column",
                spacing="1",
            ),
            aria_live="polite",
        ),
        stat_list("Hold attempts", AdminState.holds, "metric-holds"),
        stat_list("409s by reason", AdminState.conflicts, "metric-conflicts"),
        stat_list("Bookings", AdminState.bookings, "metric-bookings"),
        stat_list("Saga outcomes (orders)", AdminState.saga, "metric-saga"),
        columns=rx.breakpoints(initial="1", sm="2", lg="5"),
        spacing="3",
        width="100%",
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
                rx.foreach(
                    order.events,
                    lambda e: rx.el.li(
                        rx.hstack(
                            rx.box(
                                width="0.6rem",
                                height="0.6rem",
                                border_radius="999px",
                                background_color=rx.color(e.tone, 9),
                                flex_shrink="0",
                            ),
                            rx.text(e.label, weight="medium", size="2"),
                            rx.text(e.at, size="1", color_scheme="gray"),
                            rx.text(e.detail, size="1", color_scheme="gray"),
                            align="center",
                            spacing="2",
                            wrap="wrap",
                        )
                    ),
                ),
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
                    AdminState.orders.length(),
                    " of ",
                    AdminState.orders_total,  # type: ignore[attr-defined]
                    size="2",
                    color_scheme="gray",
                ),
                align="baseline",
                spacing="3",
            ),
            rx.cond(
                AdminState.orders.length() > 0,  # type: ignore[attr-defined]
                rx.el.ul(
                    rx.foreach(AdminState.orders, order_item),
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


def admin_view() -> rx.Component:
    return rx.flex(
        rx.hstack(
            rx.heading("Admin", size="8", as_="h1"),
            rx.button(
                rx.icon("refresh-cw", size=16),
                "Refresh",
                variant="soft",
                on_click=AdminState.refresh,
            ),
            justify="between",
            align="center",
            width="100%",
        ),
        overview_section(),
        hotels_section(),
        orders_section(),
        editor_dialog(),
        delete_dialog(),
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
            AdminState.loaded,
            rx.cond(AdminState.forbidden, forbidden_view(), admin_view()),
            rx.center(rx.spinner(size="3"), padding="4rem"),
        ),
        wide=True,
    )


ON_LOAD = [AuthState.load_session, AdminState.load]
