"""A Leaflet map as a small Reflex component over react-leaflet (assets/leaflet_map.jsx).

Rendered only in the browser (NoSSRComponent). Price markers are DOM elements
(`.trinity-price-marker[data-hotel-id]`), so tests and screen readers can find them; so are the
cluster bubbles (`.trinity-cluster-marker[data-count]`), which zoom the map to their cell on a
click (a user move, so the page searches the new view). The highlight
is the browser's own: hovering or focusing a marker, or a card of `linked_list_id` (the cards carry
`data-hotel-id`), marks both (the card gets `data-active="true"`) without a server round trip. Map
tiles are
optional (env TRINITY_TILE_URL, `{z}/{x}/{y}` template); without them, or offline, the map draws a
country outline on a water-coloured background, so it still reads as a map.
"""

from __future__ import annotations

import os
from typing import Any, TypedDict

import reflex as rx

DEFAULT_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
DEFAULT_TILE_ATTRIBUTION = "© OpenStreetMap contributors"


def tile_url() -> str:
    """TRINITY_TILE_URL: a tile template; empty turns tiles off (the outline stays)."""
    return os.environ.get("TRINITY_TILE_URL", DEFAULT_TILE_URL).strip()


def tile_attribution() -> str:
    return os.environ.get("TRINITY_TILE_ATTRIBUTION", DEFAULT_TILE_ATTRIBUTION)


class MapMarker(TypedDict):
    id: int
    lat: float
    lng: float
    label: str  # what the marker shows, e.g. "€95"
    title: str  # its accessible name, e.g. "Alfama Riverside, €95 a night"


class ClusterBubble(TypedDict):
    id: int
    lat: float
    lng: float
    count: int
    label: str  # e.g. "42" or "1,000+"
    title: str  # its accessible name, e.g. "42 more hotels here: zoom in"
    bounds: list[list[float]]  # [[south, west], [north, east]]: what a click zooms to


class Viewport(TypedDict):
    ne_lat: float
    ne_lng: float
    sw_lat: float
    sw_lng: float
    zoom: int
    user: bool  # False for moves the app made itself (fitting a new place)


class TrinityMap(rx.NoSSRComponent):
    """react-leaflet MapContainer with price markers, fit-on-demand and viewport reporting."""

    library = rx.asset("leaflet_map.jsx").importable_path
    tag = "TrinityMap"
    lib_dependencies: list[str] = [  # noqa: RUF012 (Reflex reads this class attribute)
        "react-leaflet@5.0.0",
        "leaflet@1.9.4",
        "world-atlas@2.0.2",
        "topojson-client@3.1.0",
    ]

    center: rx.Var[list[float]]
    zoom: rx.Var[int]
    # Initial view as [[south, west], [north, east]] (wins over center/zoom).
    bounds: rx.Var[list[list[float]]]
    # The map fits `fit_bounds` whenever `fit_key` changes (to a non-zero value).
    fit_bounds: rx.Var[list[list[float]]]
    fit_key: rx.Var[int]
    markers: rx.Var[list[dict[str, Any]]]  # MapMarker dicts
    # Count bubbles for the hits without a marker (ClusterBubble dicts); a click zooms to `bounds`.
    clusters: rx.Var[list[dict[str, Any]]]
    # A marker the page highlights (0: none) while nothing is hovered or focused.
    active_id: rx.Var[int]
    # The id of the element holding the result cards linked to the markers by `data-hotel-id`.
    linked_list_id: rx.Var[str]
    tile_url: rx.Var[str]
    tile_attribution: rx.Var[str]
    label: rx.Var[str]
    badge: rx.Var[str]

    on_viewport: rx.EventHandler[rx.event.passthrough_event_spec(dict)]  # a Viewport dict
    on_marker_click: rx.EventHandler[rx.event.passthrough_event_spec(int)]


def trinity_map(**props: Any) -> rx.Component:
    props.setdefault("tile_url", tile_url())
    props.setdefault("tile_attribution", tile_attribution())
    return TrinityMap.create(**props)
