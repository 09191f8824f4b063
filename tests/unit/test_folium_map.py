"""The confirmation map: a hostile hotel name stays text (stored XSS), the iframe is sandboxed."""

from __future__ import annotations

import json
import re

from app.components.folium_map import MAP_SANDBOX, hotel_map_html, map_frame, script_json

HOSTILE = "Evil ${alert(document.domain)}` </script><img src=x onerror=alert(1)> \u2028"


def test_a_hostile_name_is_a_json_string_in_the_map_document() -> None:
    html = hotel_map_html(HOSTILE, "Lisbon", 38.7, -9.1)
    benign = hotel_map_html("Plain Inn", "Lisbon", 38.7, -9.1)
    # Not in a template literal (where `${...}` runs), nor as markup: one JSON string, as text.
    assert "bindTooltip(`" not in html
    assert "<img" not in html and "onerror=alert(1)>" not in html
    assert html.count("</script>") == benign.count("</script>")
    literal = re.search(r"label\.textContent = (\".*?\");", html)
    assert literal is not None and json.loads(literal.group(1)) == f"{HOSTILE}, Lisbon"


def test_script_json_cannot_close_its_script() -> None:
    encoded = script_json("</script><!--")
    assert "<" not in encoded and ">" not in encoded
    assert json.loads(encoded) == "</script><!--"


def test_the_map_iframe_is_sandboxed_without_same_origin() -> None:
    props = map_frame("<html></html>", "Map").render()["props"]
    assert f'sandbox:"{MAP_SANDBOX}"' in props
    assert "allow-same-origin" not in MAP_SANDBOX
