"""A folium map of one hotel, rendered offline: Leaflet comes from the app's own assets.

folium's generated page loads Leaflet, jQuery, Bootstrap and Font Awesome from public CDNs by
default. This map needs only Leaflet (a plain marker and a circle, no awesome-markers), so its
links are replaced by the Leaflet 1.9.4 files vendored in assets/vendor/leaflet/ (served at
/vendor/leaflet/). The HTML goes into an iframe's `srcdoc`, whose relative URLs resolve against
the page's own origin. Tiles are drawn only when a tile URL is configured (TRINITY_TILE_URL).
"""

from __future__ import annotations

from html import escape

import folium
import reflex as rx

from app.components.leaflet_map import tile_attribution, tile_url

LEAFLET_JS = "/vendor/leaflet/leaflet.js"
LEAFLET_CSS = "/vendor/leaflet/leaflet.css"
OFFLINE_STYLE = """<style>
.folium-map.leaflet-container { background: #e8f0ef; font: 13px system-ui, sans-serif; }
</style>"""


def hotel_map_html(name: str, city: str, lat: float, lng: float) -> str:
    """The whole HTML document of a small map centred on the hotel."""
    fmap = folium.Map(
        location=[lat, lng], zoom_start=14, tiles=None, control_scale=True, prefer_canvas=False
    )
    # Instance attributes: folium's add_js_link would edit the class-wide lists.
    fmap.default_js = [("leaflet", LEAFLET_JS)]
    fmap.default_css = [("leaflet_css", LEAFLET_CSS)]
    url = tile_url()
    if url:
        folium.TileLayer(tiles=url, attr=tile_attribution(), max_zoom=19).add_to(fmap)
    else:
        fmap.get_root().header.add_child(folium.Element(OFFLINE_STYLE), name="offline_style")
    folium.Circle(
        location=[lat, lng], radius=400, color="#0d9488", weight=2, fill=True, fill_opacity=0.08
    ).add_to(fmap)
    label = escape(f"{name}, {city}")
    # No popup: folium's Popup template needs jQuery.
    folium.Marker(location=[lat, lng], tooltip=folium.Tooltip(label, permanent=True)).add_to(fmap)
    return fmap.get_root().render()


def map_frame(html: rx.Var[str], title: rx.Var[str] | str, **props: object) -> rx.Component:
    """The map in an iframe (srcdoc), sized by its container."""
    return rx.el.iframe(
        src_doc=html,
        title=title,
        width="100%",
        height="100%",
        style={"border": "0", "display": "block", "minHeight": "16rem"},
        **props,
    )


async def hotel_map_for(hotel_id: int) -> str:
    """The map document of a hotel by id ("" when the hotel is gone)."""
    import asyncio

    from app.state import call
    from backend.errors import NotFound
    from backend.services import hotels

    try:
        hotel = (await call(hotels.get_hotel, hotel_id)).hotel
    except NotFound:
        return ""
    return await asyncio.to_thread(hotel_map_html, hotel.name, hotel.city, hotel.lat, hotel.lng)
