"""The result list (cards, empty and error states) and the map linked to it."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex_components_core.react_router.dom import ReactRouterLink

from app.components.leaflet_map import trinity_map
from app.pages.index.state import (
    VIEWPORT_DEBOUNCE_MS,
    HitCard,
    SearchState,
)


def _text(content: Any, classes: str, gray: bool = False) -> rx.Component:
    attrs = {"data-accent-color": "gray"} if gray else {}
    return rx.el.p(content, class_name="rt-Text " + classes, custom_attrs=attrs)


# Lucide's star (rx.icon("star")), drawn as the icon component draws it.
STAR_PATH = (
    "M11.525 2.295a.53.53 0 0 1 .95 0l2.31 4.679a2.123 2.123 0 0 0 1.595 1.16l5.166.756a.53.53 0 "
    "0 1 .294.904l-3.736 3.638a2.123 2.123 0 0 0-.611 1.878l.882 5.14a.53.53 0 0 1-.771.56l-4.618"
    "-2.428a2.122 2.122 0 0 0-1.973 0L6.396 21.01a.53.53 0 0 1-.77-.56l.881-5.139a2.122 2.122 0 0 "
    "0-.611-1.879L2.16 9.795a.53.53 0 0 1 .294-.906l5.165-.755a2.122 2.122 0 0 0 1.597-1.16z"
)


def star() -> rx.Component:
    # Plain elements, not the icon component (four components per card, thirty cards a render);
    # stroke and fill as attributes, which Reflex would otherwise make CSS-in-JS.
    return rx.el.svg(
        rx.el.svg.path(d=STAR_PATH),
        width="14",
        height="14",
        view_box="0 0 24 24",
        class_name="lucide lucide-star hit-star",
        aria_hidden="true",
        custom_attrs={
            "fill": "none",
            "stroke": "currentColor",
            "strokeWidth": "2",
            "strokeLinecap": "round",
            "strokeLinejoin": "round",
        },
    )


def hit_card(hit: HitCard) -> rx.Component:
    # Up to thirty of these (PAGE_SIZE) render at once, on the way to the first results: plain
    # elements with the classes Radix Themes renders for rx.link/card/flex/heading/text with the
    # same props (the same look; assets/trinity.css adds the rest), as each Radix component, and
    # the CSS-in-JS of a per-element style, costs the render far more than an element. The map sets
    # data-active (hover or focus of the card or its marker) in the browser: data-hotel-id
    # links them.
    return ReactRouterLink.create(
        rx.el.div(
            rx.el.div(
                rx.el.div(
                    rx.el.h3(hit.name, class_name="rt-Heading rt-r-size-4"),
                    _text(hit.place, "rt-r-size-2", gray=True),
                    rx.el.div(
                        star(),
                        _text(hit.rating, "rt-r-size-2"),
                        _text("·", "rt-r-size-2", gray=True),
                        _text(hit.amenities.join(" · "), "rt-r-size-1", gray=True),
                        class_name="rt-Flex rt-r-fd-row rt-r-ai-center rt-r-fw-wrap rt-r-gap-1",
                    ),
                    class_name="rt-Flex rt-r-fd-column rt-r-gap-1 hit-main",
                ),
                rx.el.div(
                    _text(hit.price, "rt-r-size-5 rt-r-weight-bold hit-price"),
                    _text(hit.price_note, "rt-r-size-1 hit-price-note", gray=True),
                    rx.cond(hit.nightly, _text(hit.nightly, "rt-r-size-1 hit-nightly", gray=True)),
                    class_name="rt-Flex rt-r-fd-column rt-r-ai-end hit-side",
                ),
                class_name="rt-Flex rt-r-jc-space-between rt-r-gap-3",
            ),
            class_name="rt-reset rt-BaseCard rt-Card rt-r-size-1 rt-variant-surface hit-card",
        ),
        to=hit.href,
        id="hit-" + hit.id.to_string(),
        class_name="rt-Text rt-reset rt-Link rt-underline-none search-hit",
        custom_attrs={"data-hotel-id": hit.id, "data-accent-color": ""},
        aria_label=hit.name + ", " + hit.price + " " + hit.price_note,
    )


def empty_state() -> rx.Component:
    return rx.card(
        rx.flex(
            rx.icon("map-pinned", size=32, color=rx.color("accent", 9)),
            rx.heading("No hotels match", size="4", as_="h3"),
            rx.text(
                "Try zooming the map out, other dates, or fewer filters.",
                color_scheme="gray",
                size="2",
            ),
            rx.cond(
                SearchState.has_filters,
                rx.button("Clear filters", on_click=SearchState.clear_filters, variant="soft"),
            ),
            direction="column",
            align="center",
            spacing="2",
            padding="1.5rem",
        ),
        id="search-empty",
    )


def error_state() -> rx.Component:
    return rx.callout.root(
        rx.callout.icon(rx.icon("triangle-alert")),
        rx.callout.text(SearchState.error, id="search-error"),
        rx.button("Try again", on_click=SearchState.retry, size="2", width="fit-content"),
        color_scheme="red",
        role="alert",
    )


def show_more() -> rx.Component:
    # The next page joins the list and the map's price markers; the clusters shrink by as many.
    return rx.button(
        SearchState.more_text,
        on_click=SearchState.show_more,
        loading=SearchState.loading_more,
        variant="soft",
        size="3",
        width="100%",
        id="search-more",
    )


def results() -> rx.Component:
    return rx.flex(
        rx.hstack(
            rx.heading(SearchState.count_text, size="4", as_="h2", id="search-count"),
            rx.cond(SearchState.loading, rx.spinner(size="2")),
            align="center",
            spacing="3",
            aria_live="polite",
        ),
        rx.cond(SearchState.error != "", error_state()),
        rx.cond(
            SearchState.ready,
            rx.cond(
                SearchState.hits.length() > 0,
                rx.fragment(
                    rx.flex(
                        rx.foreach(SearchState.hits, hit_card),
                        direction="column",
                        spacing="3",
                        id="search-results",
                        opacity=rx.cond(SearchState.loading, "0.6", "1"),
                    ),
                    rx.cond(SearchState.has_more, show_more()),
                ),
                rx.cond(SearchState.error == "", empty_state()),
            ),
            rx.flex(
                *[rx.skeleton(height="5.5rem", width="100%") for _ in range(3)],
                direction="column",
                spacing="3",
            ),
        ),
        direction="column",
        spacing="3",
        aria_busy=SearchState.loading,
    )


def search_map() -> rx.Component:
    return rx.cond(
        SearchState.ready,
        trinity_map(
            bounds=SearchState.initial_bounds,
            center=[38.72, -9.14],
            zoom=5,
            fit_bounds=SearchState.fit_bounds,
            fit_key=SearchState.fit_key,
            markers=SearchState.markers,
            clusters=SearchState.cluster_markers,
            linked_list_id="search-results",
            badge=SearchState.map_badge,
            label="Map of the results: move it to search that area",
            on_viewport=SearchState.set_viewport.debounce(VIEWPORT_DEBOUNCE_MS),
            on_marker_click=SearchState.open_hotel,
            id="search-map",
            height="100%",
            width="100%",
        ),
        rx.skeleton(height="100%", width="100%"),
    )
