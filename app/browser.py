"""Browser-side effects the pages share (events the state returns)."""

from __future__ import annotations

import json

import reflex as rx


def replace_url(url: str) -> rx.event.EventSpec:
    """Change the address bar without a navigation (React Router's history state is kept), so
    the page's state lives in the URL: a reload or a shared link restores it."""
    return rx.call_script(
        f"window.history.replaceState(window.history.state, '', {json.dumps(url)})"
    )
