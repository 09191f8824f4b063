"""The search filters: place, stay, price range, sort and amenities."""

from __future__ import annotations

from typing import Any

import reflex as rx

from app.components.forms import labelled
from app.components.stay_fields import stay_fields
from app.format import amenity_label
from app.pages.index.state import (
    AMENITY_FILTERS,
    PRICE_DEBOUNCE_MS,
    SORTS,
    SearchState,
)


def place_form() -> rx.Component:
    return rx.form(
        rx.flex(
            labelled(
                "Where to?",
                "search-place",
                rx.input(
                    id="search-place",
                    name="place",
                    value=SearchState.place,
                    on_change=SearchState.set_place,
                    placeholder="City or hotel name",
                    auto_complete="off",
                    size="3",
                    width="100%",
                ),
                flex="1",
                width="auto",
            ),
            rx.button(rx.icon("search", size=16), "Search", type="submit", size="3"),
            align="end",
            spacing="2",
            width="100%",
        ),
        on_submit=SearchState.submit_place,
        aria_label="Search by place",
        role="search",
    )


def price_field(label: str, id: str, value: rx.Var[str], on_change: Any) -> rx.Component:
    return labelled(
        label,
        id,
        rx.debounce_input(
            rx.input(
                id=id,
                name=id,
                type="number",
                min=0,
                step=5,
                input_mode="numeric",
                on_change=on_change,
                placeholder="Any",
                size="2",
                width="100%",
            ),
            value=value,
            debounce_timeout=PRICE_DEBOUNCE_MS,
        ),
        width="6.5rem",
    )


def sort_field() -> rx.Component:
    return labelled(
        "Sort by",
        "search-sort",
        rx.el.select(
            *[rx.el.option(label, value=value) for value, label in SORTS],
            id="search-sort",
            name="sort",
            value=SearchState.sort,
            on_change=SearchState.set_sort,
            class_name="trinity-select",
        ),
        min_width="11rem",
        width="auto",
    )


def amenity_filters() -> rx.Component:
    return rx.el.fieldset(
        rx.el.legend("Amenities", font_size="0.875rem", font_weight="500", margin_bottom="0.25rem"),
        rx.flex(
            *[
                rx.checkbox(
                    amenity_label(code),
                    checked=SearchState.amenities.contains(code),
                    on_change=lambda checked, code=code: SearchState.toggle_amenity(code, checked),
                    size="2",
                )
                for code in AMENITY_FILTERS
            ],
            wrap="wrap",
            spacing="4",
        ),
        border="none",
        padding="0",
        margin="0",
    )


def filters() -> rx.Component:
    return rx.flex(
        place_form(),
        rx.flex(
            stay_fields(
                "search",
                SearchState.check_in,
                SearchState.check_out,
                SearchState.guests,
                SearchState.today,
                SearchState.min_check_out,
                SearchState.set_check_in,
                SearchState.set_check_out,
                SearchState.set_guests,
            ),
            rx.flex(
                price_field("Min price", "search-min-price", SearchState.min_price, SearchState.set_min_price),
                price_field("Max price", "search-max-price", SearchState.max_price, SearchState.set_max_price),
                sort_field(),
                spacing="3",
                wrap="wrap",
                align="end",
            ),
            direction="column",
            spacing="3",
        ),
        amenity_filters(),
        direction="column",
        spacing="4",
        id="search-filters",
    )  # fmt: skip
