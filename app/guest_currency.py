"""The guest's currency: chosen in the header, carried in the URL (`?currency=`) and the tab's
session, first guessed from the browser's locale (else EUR). Pages read `shown` when they format
prices (app/format.py); a change re-opens the current page in the new currency."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

import reflex as rx

from app.state import safe_next
from backend import currency

PARAM = "currency"
CHOICES = list(currency.CURRENCIES)
HERE = "window.location.pathname + window.location.search"


def with_currency(path: str, code: str) -> str:
    """`path` (a same-site path with its query) with `currency=code` in its query."""
    parts = urlsplit(safe_next(path))
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != PARAM]
    return f"{parts.path}?{urlencode([*query, (PARAM, code)])}"


class CurrencyState(rx.State):
    saved: str = rx.SessionStorage("", name="trinity_currency")

    @rx.var
    def shown(self) -> str:
        return self.saved if currency.known(self.saved) else currency.DEFAULT_CURRENCY

    @rx.event
    def load(self) -> rx.event.EventSpec | None:
        """A page's on_load, before the page's own: the URL's currency wins, then the session's;
        with neither, the browser's locale is asked (its answer re-opens the page)."""
        asked = self.router.url.query_parameters.get(PARAM, "").strip().upper()
        if currency.known(asked):
            self.saved = asked
        elif not currency.known(self.saved):
            return rx.call_script("navigator.language || ''", callback=CurrencyState.from_locale)
        return None

    @rx.event
    def from_locale(self, tag: str) -> rx.event.EventSpec | None:
        if currency.known(self.saved):
            return None
        self.saved = currency.for_locale(str(tag))
        if self.saved == currency.DEFAULT_CURRENCY:
            return None  # the page was just shown in it
        return rx.call_script(HERE, callback=CurrencyState.reopen)

    @rx.event
    def choose(self, code: str) -> rx.event.EventSpec | None:
        if not currency.known(code) or code == self.saved:
            return None
        self.saved = code
        # The address bar, not the router's URL: pages rewrite it (viewport, dates) as they go.
        return rx.call_script(HERE, callback=CurrencyState.reopen)

    @rx.event
    def reopen(self, path: str) -> rx.event.EventSpec:
        return rx.redirect(with_currency(str(path), self.shown), replace=True)


def currency_select() -> rx.Component:
    return rx.el.select(
        *[rx.el.option(code, value=code) for code in CHOICES],
        value=CurrencyState.shown,
        on_change=CurrencyState.choose,
        aria_label="Currency",
        title="Prices are shown in this currency (approximate; hotels charge in their own)",
        id="currency-select",
        class_name="trinity-select currency-select",
    )
