"""Payments service: charges on OrderCreated, refunds on RefundRequested.

The gateway is called outside any database transaction; its idempotency key is derived from the
order, so a retried or duplicated message never moves money twice. A declined card is an outcome
(PaymentFailed), not an error; a gateway outage raises GatewayUnavailable and the message is
retried with backoff.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from backend.context import Context
from backend.models import Payment, PaymentKind
from backend.payments.gateway import CardDeclined, Charge
from backend.ports import NewPayment, Payments
from backend.saga.consumer import already_processed, apply_once, consumes, remember_processed
from backend.saga.events import (
    BadMessage,
    Event,
    OrderCreated,
    PaymentFailed,
    PaymentSucceeded,
    RefundIssued,
    RefundRequested,
    parse,
)
from backend.unit_of_work import UnitOfWork


def charge_key(order_id: int) -> str:
    return f"order-{order_id}-charge"


def refund_key(order_id: int, reason: str) -> str:
    return f"order-{order_id}-refund-{reason}"


@consumes("payments")
def charge_order(ctx: Context, consumer: str, message: dict[str, Any]) -> None:
    message_id, event = parse(message, OrderCreated)
    if already_processed(ctx, consumer, message_id):
        return  # before the gateway call: a duplicate does not even ask it
    outcome: Event
    payment: NewPayment | None = None  # a charge to record, when there was one
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
        payment = charge_payment(event.order_id, charge)
    # The hottest step of the saga: one statement where the database allows.
    ctx.shortcuts.record_charge_outcome(consumer, message_id, payment, outcome)
    remember_processed(ctx, consumer, message_id)


@consumes("payments")
def refund_order(ctx: Context, consumer: str, message: dict[str, Any]) -> None:
    message_id, event = parse(message, RefundRequested)
    charge = _charge_of(ctx, event.order_id)
    key = refund_key(event.order_id, event.reason)
    refund = ctx.gateway.refund(
        idempotency_key=key, charge_ref=charge.gateway_ref, amount=event.amount
    )

    def record(uow: UnitOfWork) -> None:
        added = uow.payments.add(
            NewPayment(event.order_id, PaymentKind.REFUND, refund.amount, event.currency,
                       refund.ref, key)
        )  # fmt: skip
        if not added:
            return  # a second request for the same refund (the sweeper asks again): done already
        issued = RefundIssued(
            order_id=event.order_id,
            amount=refund.amount,
            currency=event.currency,
            reason=event.reason,
            refund_ref=refund.ref,
        )
        uow.outbox.emit(issued)

    apply_once(ctx, consumer, message_id, record)


def charge_payment(order_id: int, charge: Charge) -> NewPayment:
    return NewPayment(
        order_id, PaymentKind.CHARGE, charge.amount, charge.currency, charge.ref,
        charge_key(order_id),
    )  # fmt: skip


def record_charge(payments: Payments, order_id: int, charge: Charge) -> bool:
    """Add the charge to the payments unless it is there already; True when added."""
    return payments.add(charge_payment(order_id, charge))


def _charge_of(ctx: Context, order_id: int) -> Payment:
    with ctx.unit_of_work() as uow:
        session = uow.session
        charge = session.exec(
            select(Payment)
            .where(Payment.order_id == order_id)
            .where(Payment.kind == PaymentKind.CHARGE)
        ).first()
    if charge is None:
        raise BadMessage(f"order {order_id} has no charge to refund")
    return charge
