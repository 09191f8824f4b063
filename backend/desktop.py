"""Local mode in a native window (pywebview on Qt), or the default browser when Qt is missing.

A window around a URL: it knows nothing of Reflex, only that the page is Trinity.

Install the window with `uv sync --extra desktop`; `trinity desktop` starts the local app and
opens it here.
"""

from __future__ import annotations

import os
import threading
import time
import webbrowser
from collections.abc import Callable

TITLE = "Trinity"


def native_window_available() -> bool:
    try:
        import webview  # noqa: F401
        from PySide6 import QtWebEngineWidgets  # noqa: F401
    except ImportError:
        return False
    return True


def open_window(url: str, report_title: Callable[[str], None] | None = None) -> None:
    """Show `url` in a native window until the user closes it.

    `report_title` receives the page's title once the app has rendered (tests and scripts use it
    to know the window really shows Trinity).
    """
    import webview

    if os.geteuid() == 0:
        # Chromium's sandbox refuses to run as root; Qt WebEngine must be told to skip it.
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    window = webview.create_window(TITLE, url, width=1280, height=860, min_size=(400, 500))
    if window is None:
        raise RuntimeError("pywebview could not create a window")

    def watch_title() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            title = window.evaluate_js("document.title") or ""
            if "Trinity" in title and report_title:
                report_title(title)
                return
            time.sleep(0.2)

    window.events.loaded += lambda: threading.Thread(target=watch_title, daemon=True).start()
    webview.start(gui="qt")


def open_in_browser(url: str) -> None:
    webbrowser.open(url)
