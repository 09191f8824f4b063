"""The sweeper's saga duty: settle orders stuck in `pending`/`paid` past ORDER_DEADLINE_SECONDS.

A step can stall (a message dead-lettered, a worker or the broker gone for long); the order must
still end. The gateway decides whether money moved (`find_charge` with the order's charge key):

- not charged, order pending -> failed, its hold released. If the charge still lands later,
  Orders sees PaymentSucceeded on a failed order and refunds it (orders.record_payment);
- charged -> the charge is recorded (payments row, PaymentSucceeded on the timeline) and the
  booking confirmed when its hold is still good, or its rooms still free -> confirmed;
- charged but the rooms are gone -> InventoryFailed and RefundRequested -> refunded once the
  payments service refunded (refunds are retried until they succeed).

The gateway is asked outside any transaction; the decision is re-checked under the order's row
lock, so an order the saga moved meanwhile is left alone.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel import col, select

from backend.context import Context
from backend.models import Order, OrderStatus
from backend.payments.gateway import GatewayUnavailable
from backend.saga.orders import resolve_stuck_order
from backend.saga.payments import charge_key

log = logging.getLogger("trinity.sweeper")
STUCK = (OrderStatus.PENDING, OrderStatus.PAID)


def resolve_stuck_orders(ctx: Context, *, batch: int = 100) -> int:
    """Settle up to `batch` orders that made no progress for a deadline; returns how many."""
    now = ctx.clock()
    cutoff = now - timedelta(seconds=ctx.settings.order_deadline_seconds)
    with ctx.unit_of_work() as uow:
        session = uow.session
        stuck = session.exec(
            select(Order.id)
            .where(col(Order.status).in_(STUCK))
            .where(col(Order.updated_at) < cutoff)
            .order_by(col(Order.id))
            .limit(batch)
        ).all()
    settled = 0
    for order_id in stuck:
        try:
            charge = ctx.gateway.find_charge(charge_key(order_id or 0))
        except GatewayUnavailable as error:
            log.warning("order %s: gateway unavailable (%s); next sweep", order_id, error)
            continue
        with ctx.unit_of_work() as uow:
            order = uow.orders.locked(order_id or 0)
            if order is None or order.status not in STUCK or order.updated_at >= cutoff:
                continue  # the saga moved it meanwhile
            before = order.status
            outcome = resolve_stuck_order(uow, order, charge, now)
            uow.commit()
        if outcome is None:
            log.error("order %s is %s but the gateway has no charge: left alone", order_id, before)
            continue
        settled += 1
        log.info("order %s stuck in %s: now %s", order_id, before, outcome)
    return settled
