"""Reflex configuration for the Trinity web client (module: app/app.py)."""

import os

import reflex as rx

from backend.settings import get_settings

PORT = int(os.environ.get("PORT", "3000"))
_settings = get_settings()

# The Radix colour scales the app shows, in Radix's own order: the theme's gray and accent, and
# the `color_scheme` / `rx.color` tones of its pages (badges, callouts, timelines). A tone missing
# here renders uncoloured (tests/e2e/test_smoke.py checks app/ against this list).
RADIX_COLORS = ("gray", "slate", "amber", "blue", "grass", "red", "teal")


class RadixThemesPartsPlugin(rx.plugins.RadixThemesPlugin):
    """Radix Themes with its stylesheet in the parts the package ships (colour tokens one file
    per scale) and only the app's colours: 80 KB less (minified) CSS for the browser to parse
    and index before the page's scripts may run. The same rules, in styles.css's order."""

    def get_stylesheet_paths(self, **context: object) -> tuple[str, ...]:
        if not self.enabled:
            return ()
        return (
            *(f"@radix-ui/themes/tokens/colors/{color}.css" for color in RADIX_COLORS),
            "@radix-ui/themes/tokens/base.css",
            "@radix-ui/themes/components.css",
            "@radix-ui/themes/utilities.css",
        )


config = rx.Config(
    app_name="app",
    # In `reflex run --env prod` this single port serves the page, /api and the websocket.
    frontend_port=PORT,
    # CORS with credentials for the app's own origin and the configured ones only (Reflex's
    # default "*" answers any Origin); the websocket's same-host check is app/api_mount.py's.
    cors_allowed_origins=(f"http://localhost:{PORT}", *_settings.cors_origins),
    # X-Forwarded-For is believed only through this many proxies (the API uses the same setting).
    trusted_proxy_hops=_settings.trusted_proxy_hops,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[
        # The app-wide theme (App(theme=...) is deprecated since Reflex 0.9).
        RadixThemesPartsPlugin(
            theme=rx.theme(
                accent_color="teal", gray_color="slate", radius="medium", appearance="light"
            ),
        ),
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
