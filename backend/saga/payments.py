"""Payments service: charges on OrderCreated, refunds on RefundRequested.

The gateway is called outside any database transaction; its idempotency key is derived from the
order, so a retried or duplicated message never moves money twice. A declined card is an outcome
(PaymentFailed), not an error; a gateway outage raises GatewayUnavailable and the message is
retried with backoff.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from backend.context import Context
from backend.db import transaction
from backend.models import Payment, PaymentKind, utcnow
from backend.payments.gateway import CardDeclined, Charge
from backend.saga.charge_record import record_outcome_at_once
from backend.saga.consumer import after_commit, already_processed, apply_once
from backend.saga.events import (
    BadMessage,
    Event,
    OrderCreated,
    PaymentFailed,
    PaymentSucceeded,
    RefundIssued,
    RefundRequested,
    emit,
    parse,
)


def charge_key(order_id: int) -> str:
    return f"order-{order_id}-charge"


def refund_key(order_id: int, reason: str) -> str:
    return f"order-{order_id}-refund-{reason}"


def charge_order(ctx: Context, message: dict[str, Any]) -> None:
    consumer = "payments.charge_order"
    message_id, event = parse(message, OrderCreated)
    if already_processed(ctx, consumer, message_id):
        return  # before the gateway call: a duplicate does not even ask it
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

    if ctx.engine.dialect.name == "postgresql":
        # The hottest step of the saga: one round trip instead of a transaction of five.
        key = charge_key(event.order_id)
        record_outcome_at_once(ctx.engine, consumer, message_id, event.order_id, key, outcome)
        after_commit(ctx, processed=(consumer, message_id))
        return

    def record(session: Session) -> None:
        if isinstance(outcome, PaymentSucceeded):
            charged = Charge(
                ref=outcome.charge_ref, amount=outcome.amount, currency=outcome.currency
            )
            if not record_charge(session, event.order_id, charged):
                return  # the sweeper recorded this charge and settled the order already
        emit(session, outcome)

    apply_once(ctx, consumer, message_id, record)


def refund_order(ctx: Context, message: dict[str, Any]) -> None:
    consumer = "payments.refund_order"
    message_id, event = parse(message, RefundRequested)
    charge = _charge_of(ctx, event.order_id)
    key = refund_key(event.order_id, event.reason)
    refund = ctx.gateway.refund(
        idempotency_key=key, charge_ref=charge.gateway_ref, amount=event.amount
    )

    def record(session: Session) -> None:
        added = _add_payment(
            session, event.order_id, PaymentKind.REFUND, refund.amount, event.currency,
            refund.ref, key,
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
        emit(session, issued)

    apply_once(ctx, consumer, message_id, record)


def record_charge(session: Session, order_id: int, charge: Charge) -> bool:
    """Add the charge to the payments table unless it is there already; True when added."""
    return _add_payment(
        session, order_id, PaymentKind.CHARGE, charge.amount, charge.currency, charge.ref,
        charge_key(order_id),
    )  # fmt: skip


def _insert_payment(dialect: Any) -> Insert:
    table = Payment.__table__  # type: ignore[attr-defined]
    return (
        dialect.insert(table)
        .on_conflict_do_nothing(index_elements=[table.c.idempotency_key])
        .returning(table.c.id)
    )


# One statement instead of a look-up and an insert; built once, reused by every payment.
_PAYMENT_INSERTS = {"postgresql": _insert_payment(postgresql), "sqlite": _insert_payment(sqlite)}


def _add_payment(
    session: Session,
    order_id: int,
    kind: PaymentKind,
    amount: Decimal,
    currency: str,
    gateway_ref: str,
    idempotency_key: str,
) -> bool:
    """Insert the payment unless its idempotency key is recorded already; True when inserted."""
    statement = _PAYMENT_INSERTS[session.get_bind().dialect.name]
    row = {
        "order_id": order_id, "kind": str(kind), "amount": amount, "currency": currency,
        "gateway_ref": gateway_ref, "idempotency_key": idempotency_key, "created_at": utcnow(),
    }  # fmt: skip
    return session.execute(statement, row).first() is not None


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
