"""Payments service: charges on OrderCreated, refunds on RefundRequested.

The gateway is called outside any database transaction; its idempotency key is derived from the
order, so a retried or duplicated message never moves money twice. A declined card is an outcome
(PaymentFailed), not an error; a gateway outage raises GatewayUnavailable and the message is
retried with backoff.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from backend.bootstrap import Context
from backend.db import transaction
from backend.models import Payment, PaymentKind
from backend.payments.gateway import CardDeclined, Charge
from backend.saga.consumer import apply_once, skip_if_processed
from backend.saga.events import (
    BadMessage,
    Event,
    OrderCreated,
    PaymentFailed,
    PaymentSucceeded,
    RefundIssued,
    RefundRequested,
    parse,
    to_outbox,
)


def charge_key(order_id: int) -> str:
    return f"order-{order_id}-charge"


def refund_key(order_id: int, reason: str) -> str:
    return f"order-{order_id}-refund-{reason}"


def charge_order(ctx: Context, message: dict[str, Any]) -> None:
    consumer = "payments.charge_order"
    message_id, event = parse(message, OrderCreated)
    if skip_if_processed(ctx, consumer, message_id):
        return
    outcome: Event
    try:
        charge = ctx.gateway.charge(
            idempotency_key=charge_key(event.order_id),
            token=event.payment_token,
            amount=event.amount,
            currency=event.currency,
        )
    except CardDeclined as declined:
        outcome = PaymentFailed(
            order_id=event.order_id,
            booking_id=event.booking_id,
            code=declined.code,
            reason=declined.message,
        )
    else:
        outcome = PaymentSucceeded(
            order_id=event.order_id,
            booking_id=event.booking_id,
            amount=charge.amount,
            currency=charge.currency,
            charge_ref=charge.ref,
        )

    def record(session: Session) -> None:
        if isinstance(outcome, PaymentSucceeded):
            charged = Charge(
                ref=outcome.charge_ref, amount=outcome.amount, currency=outcome.currency
            )
            if not record_charge(session, event.order_id, charged):
                return  # the sweeper recorded this charge and settled the order already
        session.add(to_outbox(outcome))

    apply_once(ctx, consumer, message_id, record)


def refund_order(ctx: Context, message: dict[str, Any]) -> None:
    consumer = "payments.refund_order"
    message_id, event = parse(message, RefundRequested)
    if skip_if_processed(ctx, consumer, message_id):
        return
    charge = _charge_of(ctx, event.order_id)
    key = refund_key(event.order_id, event.reason)
    refund = ctx.gateway.refund(
        idempotency_key=key, charge_ref=charge.gateway_ref, amount=event.amount
    )

    def record(session: Session) -> None:
        if _payment_exists(session, key):
            return  # a second request for the same refund (the sweeper asks again): done already
        session.add(
            Payment(
                order_id=event.order_id,
                kind=PaymentKind.REFUND,
                amount=refund.amount,
                currency=event.currency,
                gateway_ref=refund.ref,
                idempotency_key=key,
            )
        )
        session.add(
            to_outbox(
                RefundIssued(
                    order_id=event.order_id,
                    amount=refund.amount,
                    currency=event.currency,
                    reason=event.reason,
                    refund_ref=refund.ref,
                )
            )
        )

    apply_once(ctx, consumer, message_id, record)


def record_charge(session: Session, order_id: int, charge: Charge) -> bool:
    """Add the charge to the payments table unless it is there already; True when added."""
    key = charge_key(order_id)
    if _payment_exists(session, key):
        return False
    session.add(
        Payment(
            order_id=order_id,
            kind=PaymentKind.CHARGE,
            amount=charge.amount,
            currency=charge.currency,
            gateway_ref=charge.ref,
            idempotency_key=key,
        )
    )
    return True


def _payment_exists(session: Session, idempotency_key: str) -> bool:
    found = session.exec(select(Payment.id).where(Payment.idempotency_key == idempotency_key))
    return found.first() is not None


def _charge_of(ctx: Context, order_id: int) -> Payment:
    with transaction(ctx.engine) as session:
        charge = session.exec(
            select(Payment)
            .where(Payment.order_id == order_id)
            .where(Payment.kind == PaymentKind.CHARGE)
        ).first()
    if charge is None:
        raise BadMessage(f"order {order_id} has no charge to refund")
    return charge
