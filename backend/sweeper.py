"""Expires unpaid holds, settles orders stuck past their deadline and purges old idempotency keys,
on a fixed interval (`trinity sweeper` in full mode, a thread of the web app in local mode)."""

from __future__ import annotations

import logging
import threading

from backend.context import Context
from backend.saga.recovery import resolve_stuck_orders
from backend.services import idempotency
from backend.services.booking import expire_holds

log = logging.getLogger("trinity.sweeper")


def sweep_once(ctx: Context) -> int:
    """One pass; returns how many holds expired (stuck orders settled are logged)."""
    expired = expire_holds(ctx)
    settled = resolve_stuck_orders(ctx)
    idempotency.purge_expired(ctx)
    if expired:
        log.info("expired %d holds", expired)
    if settled:
        log.info("settled %d stuck orders", settled)
    return expired


def run_sweeper(ctx: Context, stop: threading.Event) -> None:
    """Loop until `stop` is set; a failing sweep is logged and retried on the next tick."""
    while not stop.is_set():
        try:
            sweep_once(ctx)
        except Exception:
            log.exception("sweep failed; retrying in %ss", ctx.settings.sweep_interval_seconds)
        stop.wait(ctx.settings.sweep_interval_seconds)
