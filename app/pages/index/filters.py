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
                placeholder="Any " + SearchState.guest_currency,
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


# Radix Themes' check mark (ThickCheckIcon), as its checkbox draws it.
CHECK_PATH = (
    "M8.53547 0.62293C8.88226 0.849446 8.97976 1.3142 8.75325 1.66099L4.5083 8.1599C4.38833 "
    "8.34356 4.19397 8.4655 3.9764 8.49358C3.75883 8.52167 3.53987 8.45309 3.3772 8.30591L0.616113 "
    "5.80777C0.308959 5.52987 0.285246 5.05559 0.563148 4.74844C0.84105 4.44128 1.31533 4.41757 "
    "1.62249 4.69547L3.73256 6.60459L7.49741 0.840706C7.72393 0.493916 8.18868 0.396414 8.53547 "
    "0.62293Z"
)


def amenity_checkbox(code: str) -> rx.Component:
    # The DOM rx.checkbox(label, size="2") renders (a role="checkbox" button in a label, Radix
    # classes), from plain elements: the page hydrates these eight before its first search can
    # leave, and each Radix checkbox is a dozen components with effects and a ResizeObserver.
    checked = SearchState.amenities.contains(code)
    return rx.el.label(
        rx.el.div(
            rx.el.button(
                rx.cond(
                    checked,
                    rx.el.svg(
                        # As attributes: Reflex would make fill and fill_rule CSS-in-JS.
                        rx.el.svg.path(
                            d=CHECK_PATH,
                            custom_attrs={"fillRule": "evenodd", "clipRule": "evenodd"},
                        ),
                        width="9",
                        height="9",
                        view_box="0 0 9 9",
                        class_name="rt-BaseCheckboxIndicator rt-CheckboxIndicator",
                        custom_attrs={"fill": "currentcolor", "data-state": "checked"},
                    ),
                ),
                type="button",
                role="checkbox",
                aria_checked=checked,
                value="on",
                on_click=SearchState.toggle_amenity(code, ~checked),
                class_name="rt-reset rt-BaseCheckboxRoot rt-CheckboxRoot rt-r-size-2 "
                "rt-variant-surface",
                custom_attrs={
                    "data-state": rx.cond(checked, "checked", "unchecked"),
                    # A checkbox toggles on Space only (WAI-ARIA), as Radix's does.
                    "onKeyDown": rx.Var("(e) => { if (e.key === 'Enter') e.preventDefault(); }"),
                },
            ),
            amenity_label(code),
            class_name="rt-Flex rt-r-gap-2",
        ),
        class_name="rt-Text rt-r-size-2",
    )


def amenity_filters() -> rx.Component:
    return rx.el.fieldset(
        rx.el.legend("Amenities", font_size="0.875rem", font_weight="500", margin_bottom="0.25rem"),
        rx.flex(
            *[amenity_checkbox(code) for code in AMENITY_FILTERS],
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
