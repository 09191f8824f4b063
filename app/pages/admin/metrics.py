"""The admin overview: the search sync lag (re-read every second while the page is open) and a few
counts (hold attempts, 409s by reason, bookings, saga outcomes)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import reflex as rx

from app.pages.admin.access import ROUTE, is_admin
from app.state import call, client_connected, context
from backend.search.lag import sync_lag
from backend.services import admin

LAG_REFRESH_S = 1.0
LAG_WATCH_MAX_S = 30 * 60


@dataclass
class Stat:
    label: str = ""
    value: int = 0


def _stats(values: dict[str, int], order: list[str] | None = None) -> list[Stat]:
    keys = [k for k in (order or []) if k in values] + sorted(set(values) - set(order or []))
    return [Stat(label=k.replace("_", " "), value=values[k]) for k in keys]


def _lag_text(pending: int, seconds: float) -> str:
    if not pending:
        return "0.0 s (in sync)"
    changes = "change" if pending == 1 else "changes"
    return f"{seconds:.1f} s ({pending} {changes} pending)"


class AdminMetricsState(rx.State):
    lag_text: str = ""
    lag_checked: str = ""
    holds: list[Stat] = []  # noqa: RUF012 (a Reflex state var)
    conflicts: list[Stat] = []  # noqa: RUF012
    bookings: list[Stat] = []  # noqa: RUF012
    saga: list[Stat] = []  # noqa: RUF012
    _watching_lag: bool = False

    async def _load_lag(self) -> None:
        """Also called after each hotel change, so the figure moves as the sync catches up."""
        lag = await asyncio.to_thread(sync_lag, context().engine)
        self.lag_text = _lag_text(lag.pending, lag.lag_seconds)
        self.lag_checked = time.strftime("%H:%M:%S", time.gmtime()) + " UTC"

    async def _load(self) -> None:
        await self._load_lag()
        counts = await call(admin.status_counts)
        self.bookings = _stats(counts["bookings"], ["held", "confirmed", "expired", "cancelled"])
        self.saga = _stats(counts["orders"], ["pending", "paid", "confirmed", "failed", "refunded"])
        self.holds = _stats(
            await call(admin.counter_values, "trinity_holds", "outcome"),
            ["held", "sold_out", "busy"],
        )
        self.conflicts = _stats(await call(admin.counter_values, "trinity_conflicts", "reason"))

    @rx.event(background=True)
    async def watch_lag(self) -> None:
        """Re-read the sync lag every second while this tab shows the admin page (for an admin
        only: anyone's websocket can start this, and each loop polls the database)."""
        async with self:
            if self._watching_lag or not await is_admin(self):
                return
            self._watching_lag = True
        stop_at = time.monotonic() + LAG_WATCH_MAX_S
        try:
            while time.monotonic() < stop_at:
                await asyncio.sleep(LAG_REFRESH_S)
                async with self:
                    if not client_connected(self) or not self.router.url.path.startswith(ROUTE):
                        return
                    if not await is_admin(self):  # demoted while watching
                        return
                    await self._load_lag()
        finally:
            async with self:
                self._watching_lag = False


def stat_list(title: str, stats: rx.Var, id: str) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.text(title, weight="medium", size="2", color_scheme="gray"),
            rx.cond(
                stats.length() > 0,  # type: ignore[attr-defined]
                rx.data_list.root(
                    rx.foreach(
                        stats,
                        lambda s: rx.data_list.item(
                            rx.data_list.label(s.label, text_transform="capitalize"),
                            rx.data_list.value(rx.text(s.value, weight="bold")),
                        ),
                    ),
                    size="2",
                ),
                rx.text("None yet", size="2", color_scheme="gray"),
            ),
            direction="column",
            spacing="2",
        ),
        id=id,
    )


def overview_section() -> rx.Component:
    return rx.grid(
        rx.card(
            rx.flex(
                rx.text("Search sync lag", weight="medium", size="2", color_scheme="gray"),
                rx.text(AdminMetricsState.lag_text, size="5", weight="bold", id="sync-lag"),
                rx.text("checked ", AdminMetricsState.lag_checked, size="1", color_scheme="gray"),
                direction="column",
                spacing="1",
            ),
            aria_live="polite",
        ),
        stat_list("Hold attempts", AdminMetricsState.holds, "metric-holds"),
        stat_list("409s by reason", AdminMetricsState.conflicts, "metric-conflicts"),
        stat_list("Bookings", AdminMetricsState.bookings, "metric-bookings"),
        stat_list("Saga outcomes (orders)", AdminMetricsState.saga, "metric-saga"),
        columns=rx.breakpoints(initial="1", sm="2", lg="5"),
        spacing="3",
        width="100%",
    )
