"""Reflex configuration for the Trinity web client (module: app/app.py)."""

import os

import reflex as rx

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
    frontend_port=int(os.environ.get("PORT", "3000")),
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
