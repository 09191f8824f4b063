"""Reflex configuration for the Trinity web client (module: app/app.py)."""

import os

import reflex as rx

config = rx.Config(
    app_name="app",
    # In `reflex run --env prod` this single port serves the page, /api and the websocket.
    frontend_port=int(os.environ.get("PORT", "3000")),
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[
        # The app-wide theme (App(theme=...) is deprecated since Reflex 0.9).
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(
                accent_color="teal", gray_color="slate", radius="medium", appearance="light"
            ),
        ),
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
