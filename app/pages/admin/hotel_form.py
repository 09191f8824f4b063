"""The hotel editor: a dialog that creates a hotel or edits one, its room types included
(room_types.py). Saves go through backend.services.hotels, the same calls as the REST API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import reflex as rx

from app.components.forms import error_callout, labelled, labelled_input
from app.pages.admin.access import is_admin
from app.pages.admin.hotels_table import AdminHotelsState, HotelRowView
from app.pages.admin.metrics import AdminMetricsState
from app.pages.admin.room_types import AdminRoomTypesState, room_types_editor
from app.state import call
from backend.errors import TrinityError
from backend.models import CancellationPolicy
from backend.services import hotels
from backend.services.hotels import HotelView

POLICIES = [p.value for p in CancellationPolicy]


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
    timezone: str = "UTC"  # IANA; the service refuses an unknown one


def _form_of(view: HotelView) -> HotelForm:
    h = view.hotel
    return HotelForm(
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
        timezone=h.timezone,
    )


def parse_hotel_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Form data -> the hotel's service fields; raises ValueError with a message for the admin."""

    def text(name: str) -> str:
        return str(data.get(name, "")).strip()

    def number(name: str, label: str) -> float:
        try:
            return float(text(name))
        except ValueError:
            raise ValueError(f"{label} must be a number.") from None

    amenities = {a.strip().lower().replace(" ", "_") for a in text("amenities").split(",")}
    fields: dict[str, Any] = {
        "name": text("name"),
        "city": text("city"),
        "country": text("country").upper(),
        "description": text("description"),
        "amenities": sorted(a for a in amenities if a),
        "rating": number("rating", "Rating"),
        "lat": number("lat", "Latitude"),
        "lng": number("lng", "Longitude"),
        "currency": text("currency").upper() or "EUR",
        "cancellation_policy": text("policy") or "flexible",
        "timezone": text("timezone") or "UTC",
    }
    if len(fields["country"]) != 2:
        raise ValueError("Country must be a two-letter code (e.g. PT).")
    if len(fields["currency"]) != 3:
        raise ValueError("Currency must be a three-letter code (e.g. EUR).")
    return fields


class AdminEditorState(rx.State):
    dialog_open: bool = False
    editing_id: int = 0  # 0: a new hotel
    form_key: int = 0  # a new key remounts the form, so its default values apply
    form: HotelForm = HotelForm()
    error: str = ""
    saving: bool = False

    @rx.var
    def heading(self) -> str:
        return f"Edit hotel #{self.editing_id}" if self.editing_id else "New hotel"

    async def _open(self, editing_id: int, form: HotelForm, view: HotelView | None) -> None:
        rooms = await self.get_state(AdminRoomTypesState)
        rooms._reset(editing_id, view.room_types if view else [])
        self.editing_id = editing_id
        self.form = form
        self.error = ""
        self.form_key += 1
        self.dialog_open = True

    @rx.event
    async def new_hotel(self) -> None:
        if await is_admin(self):
            await self._open(0, HotelForm(), None)

    @rx.event
    async def edit_hotel(self, hotel_id: int) -> rx.event.EventSpec | None:
        if not await is_admin(self):
            return None
        try:
            view = await call(hotels.get_hotel, hotel_id)
        except TrinityError as error:
            return rx.toast.error(error.message)
        await self._open(hotel_id, _form_of(view), view)
        return None

    @rx.event
    def set_dialog_open(self, open: bool) -> None:
        self.dialog_open = open
        if not open:
            self.error = ""

    @rx.event
    async def save(self, data: dict[str, Any]) -> AsyncIterator[rx.event.EventSpec | None]:
        if not await is_admin(self):
            self.error = "Only admins can change hotels."
            return
        rooms = await self.get_state(AdminRoomTypesState)
        try:
            fields, specs = parse_hotel_fields(data), rooms._specs(data)
        except ValueError as error:
            self.error = str(error)
            return
        self.saving = True
        self.error = ""
        yield
        try:
            if self.editing_id:
                view = await call(hotels.update_hotel, self.editing_id, fields, specs)
            else:
                view = await call(hotels.create_hotel, fields, specs)
        except TrinityError as error:
            self.error = error.message
            return
        finally:
            self.saving = False
        self.dialog_open = False
        verb = "updated" if self.editing_id else "created"
        await (await self.get_state(AdminHotelsState))._load()
        await (await self.get_state(AdminMetricsState))._load_lag()
        yield rx.toast.success(
            f"Hotel #{view.hotel.id} {view.hotel.name} {verb}.",
            description="Search shows the change within a second.",
        )


def new_hotel_button() -> rx.Component:
    return rx.button(rx.icon("plus", size=16), "New hotel", on_click=AdminEditorState.new_hotel)


def edit_hotel_button(row: HotelRowView) -> rx.Component:
    return rx.button(
        "Edit",
        size="1",
        variant="soft",
        on_click=AdminEditorState.edit_hotel(row.id),
        aria_label="Edit " + row.name,
    )


def hotel_input(label: str, name: str, value: rx.Var | str, **props: Any) -> rx.Component:
    """One of the hotel's text fields: labelled, named for the form data, prefilled."""
    return labelled_input(label, f"hotel-{name}", name=name, default_value=value, size="2", **props)


def hotel_fields() -> rx.Component:
    f = AdminEditorState.form
    return rx.flex(
        rx.grid(
            hotel_input("Name", "name", f.name, required=True),
            hotel_input("City", "city", f.city, required=True),
            hotel_input("Country (2 letters)", "country", f.country, required=True),
            hotel_input("Currency", "currency", f.currency),
            hotel_input("Time zone (IANA, e.g. Europe/Lisbon)", "timezone", f.timezone),
            hotel_input("Latitude", "lat", f.lat, required=True),
            hotel_input("Longitude", "lng", f.lng, required=True),
            hotel_input(
                "Rating (0–5)", "rating", f.rating, type="number", step="0.1", min=0, max=5
            ),
            labelled(
                "Cancellation policy",
                "hotel-policy",
                rx.el.select(
                    *[rx.el.option(p.capitalize(), value=p) for p in POLICIES],
                    id="hotel-policy",
                    name="policy",
                    default_value=f.policy,
                    class_name="trinity-select",
                ),
            ),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="3",
            width="100%",
        ),
        hotel_input("Amenities (comma separated)", "amenities", f.amenities),
        labelled(
            "Description",
            "hotel-description",
            rx.text_area(
                id="hotel-description",
                name="description",
                default_value=f.description,
                rows="3",
                width="100%",
            ),
        ),
        direction="column",
        spacing="3",
    )


def editor_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(AdminEditorState.heading),
            rx.dialog.description(
                "Changes are searchable within a second.", size="2", color_scheme="gray"
            ),
            rx.form(
                rx.flex(
                    hotel_fields(),
                    room_types_editor(),
                    rx.cond(
                        AdminEditorState.error != "",
                        error_callout(AdminEditorState.error, id="hotel-form-error"),
                    ),
                    rx.hstack(
                        rx.dialog.close(
                            rx.button("Cancel", type="button", variant="soft", color_scheme="gray")
                        ),
                        rx.button("Save hotel", type="submit", loading=AdminEditorState.saving),
                        justify="end",
                        spacing="3",
                    ),
                    direction="column",
                    spacing="3",
                ),
                key=AdminEditorState.form_key,
                on_submit=AdminEditorState.save,
                reset_on_submit=False,
                aria_label="Hotel",
            ),
            max_width="44rem",
        ),
        open=AdminEditorState.dialog_open,
        on_open_change=AdminEditorState.set_dialog_open,
    )
