"""A folium map of one hotel, rendered offline: Leaflet comes from the app's own assets.

folium's generated page loads Leaflet, jQuery, Bootstrap and Font Awesome from public CDNs by
default. This map needs only Leaflet (a plain marker and a circle, no awesome-markers), so its
links are replaced by the Leaflet 1.9.4 files vendored in assets/vendor/leaflet/ (served at
/vendor/leaflet/). The HTML goes into an iframe's `srcdoc`, whose relative URLs resolve against
the page's own origin. Tiles are drawn only when a tile URL is configured (TRINITY_TILE_URL).

Hotel names are anyone's input (admins type them): the label never goes through folium's Tooltip,
which pastes its text into a JavaScript template literal (`${...}` would run), but into the
document as JSON and onto the page as text. The iframe is sandboxed without `allow-same-origin`:
even a script that got in would run in an opaque origin, away from the app's localStorage token.
"""

from __future__ import annotations

import json

import folium
import reflex as rx
from branca.element import MacroElement
from folium.template import Template

from app.components.leaflet_map import tile_attribution, tile_url

LEAFLET_JS = "/vendor/leaflet/leaflet.js"
LEAFLET_CSS = "/vendor/leaflet/leaflet.css"
# Scripts may run (Leaflet), nothing else: no same origin, forms, popups or top navigation.
MAP_SANDBOX = "allow-scripts"
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
    # No popup: folium's Popup template needs jQuery.
    marker = folium.Marker(location=[lat, lng]).add_to(fmap)
    TextTooltip(f"{name}, {city}").add_to(marker)
    return fmap.get_root().render()


def script_json(value: object) -> str:
    """`value` as a JavaScript literal that cannot end the <script> it stands in."""
    encoded = json.dumps(value)  # ASCII only: U+2028/2029 come out escaped too
    return encoded.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class TextTooltip(MacroElement):  # type: ignore[misc]
    """A permanent tooltip whose text is data: set as textContent, never parsed as HTML or JS."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function () {
                var label = document.createElement("div");
                label.textContent = {{ this.text_json }};
                {{ this._parent.get_name() }}.bindTooltip(label, {"permanent": true});
            })();
        {% endmacro %}
        """
    )

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "TextTooltip"
        self.text_json = script_json(text)


def map_frame(html: rx.Var[str], title: rx.Var[str] | str, **props: object) -> rx.Component:
    """The map in an iframe (srcdoc), sized by its container."""
    return rx.el.iframe(
        src_doc=html,
        title=title,
        width="100%",
        height="100%",
        style={"border": "0", "display": "block", "minHeight": "16rem"},
        sandbox=MAP_SANDBOX,
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
