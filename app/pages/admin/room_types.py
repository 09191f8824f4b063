"""The room types part of the hotel editor: one row per type (capacity, rooms, nightly price are
saved with the hotel), new rows, and removing a saved type at once after a confirm step.

A removal is refused while guests hold or have booked the type (the service says why; the message
shows under the table); the editor's other unsaved fields stay as typed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import reflex as rx

from app.components.forms import error_callout
from app.pages.admin.access import is_admin
from app.pages.admin.hotels_table import AdminHotelsState
from app.pages.admin.metrics import AdminMetricsState
from app.state import call
from backend.errors import TrinityError
from backend.services import hotels
from backend.services.hotels import RoomTypeSpec, RoomTypeView


@dataclass
class RoomRow:
    key: str = ""  # names the row's inputs and keys its table row, so rows survive a removal
    id: int = 0  # 0: not saved yet
    name: str = ""
    capacity: str = "2"
    rooms: str = "1"
    price: str = ""


class AdminRoomTypesState(rx.State):
    hotel_id: int = 0
    rows: list[RoomRow] = []  # noqa: RUF012 (a Reflex state var)
    confirm_key: str = ""  # the row whose removal waits for a confirm
    error: str = ""
    _last_key: int = 0

    def _new_row(self, **fields: Any) -> RoomRow:
        self._last_key += 1
        return RoomRow(key=f"room-{self._last_key}", **fields)

    def _reset(self, hotel_id: int, saved: list[RoomTypeView]) -> None:
        """The editor opened: the hotel's saved room types, or one empty row."""
        self.hotel_id = hotel_id
        self.confirm_key = ""
        self.error = ""
        self.rows = [
            self._new_row(
                id=rt.id,
                name=rt.name,
                capacity=str(rt.capacity),
                rooms=str(rt.rooms),
                price=str(rt.price),
            )
            for rt in saved
        ] or [self._new_row()]

    def _specs(self, data: dict[str, Any]) -> list[RoomTypeSpec]:
        """The submitted rows as service arguments; raises ValueError with a message."""

        def text(name: str) -> str:
            return str(data.get(name, "")).strip()

        specs = []
        for row in self.rows:
            name = row.name if row.id else text(f"{row.key}-name")
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
        return specs

    @rx.event
    def add_row(self) -> None:
        self.rows = [*self.rows, self._new_row()]

    @rx.event
    def ask_remove(self, key: str) -> None:
        self.confirm_key = key
        self.error = ""

    @rx.event
    def keep(self) -> None:
        self.confirm_key = ""

    @rx.event
    async def remove(self, room_type_id: int, name: str) -> AsyncIterator[rx.event.EventSpec]:
        self.confirm_key = ""
        if not await is_admin(self):
            self.error = "Only admins can change hotels."
            return
        try:
            await call(hotels.remove_room_type, self.hotel_id, room_type_id)
        except TrinityError as error:
            self.error = error.message
            return
        self.rows = [row for row in self.rows if row.id != room_type_id]
        await (await self.get_state(AdminHotelsState))._load()
        await (await self.get_state(AdminMetricsState))._load_lag()
        yield rx.toast.success(
            f"Room type {name} removed.", description="Search shows the change within a second."
        )


def remove_controls(row: RoomRow) -> rx.Component:
    """Remove, then "Yes, remove" or "Keep": two deliberate presses, each reachable by Tab."""
    state = AdminRoomTypesState
    return rx.cond(
        state.confirm_key == row.key,
        rx.hstack(
            rx.button(
                "Yes, remove",
                type="button",
                size="1",
                color_scheme="red",
                auto_focus=True,
                on_click=state.remove(row.id, row.name),
                aria_label="Yes, remove " + row.name,
            ),
            rx.button(
                "Keep",
                type="button",
                size="1",
                variant="soft",
                color_scheme="gray",
                on_click=state.keep,
                aria_label="Keep " + row.name,
            ),
            spacing="2",
        ),
        rx.button(
            rx.icon("trash-2", size=14),
            "Remove",
            type="button",
            size="1",
            variant="soft",
            color_scheme="red",
            on_click=state.ask_remove(row.key),
            aria_label="Remove room type " + row.name,
        ),
    )


def room_row(row: RoomRow) -> rx.Component:
    saved = row.id > 0
    title = rx.cond(saved, row.name, "new room type")

    def cell(part: str, label: rx.Var | str, value: rx.Var | str, **props: Any) -> rx.Component:
        return rx.table.cell(
            rx.input(
                name=row.key + "-" + part,
                default_value=value,
                aria_label=label,
                size="2",
                width="100%",
                **props,
            )
        )

    return rx.table.row(
        rx.cond(
            saved,
            rx.table.cell(rx.text(row.name, weight="medium")),
            cell("name", "Room type name", row.name, placeholder="e.g. Double"),
        ),
        cell("capacity", "Capacity (" + title + ")", row.capacity, type="number", min=1),
        cell("rooms", "Rooms (" + title + ")", row.rooms, type="number", min=0),
        cell(
            "price",
            "Nightly price (" + title + ")",
            row.price,
            type="number",
            min=0,
            step="0.01",
        ),
        rx.table.cell(rx.cond(saved, remove_controls(row))),
        key=row.key,
    )


def room_types_editor() -> rx.Component:
    return rx.flex(
        rx.heading("Room types", size="3", as_="h3"),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[
                        rx.table.column_header_cell(h)
                        for h in ("Name", "Capacity", "Rooms", "Nightly price", "")
                    ]
                )
            ),
            rx.table.body(rx.foreach(AdminRoomTypesState.rows, room_row)),
            size="1",
            width="100%",
        ),
        rx.cond(
            AdminRoomTypesState.error != "",
            error_callout(AdminRoomTypesState.error, id="room-type-error"),
        ),
        rx.hstack(
            rx.button(
                rx.icon("plus", size=14),
                "Add room type",
                type="button",
                variant="soft",
                size="1",
                on_click=AdminRoomTypesState.add_row,
            ),
            rx.text(
                "Set rooms to 0 to stop selling a room type; Remove deletes it at once.",
                size="1",
                color_scheme="gray",
            ),
            align="center",
            spacing="3",
        ),
        direction="column",
        spacing="3",
    )
