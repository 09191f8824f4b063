"""Orders service: moves each order along its state machine as the other services report.

PaymentSucceeded -> paid; PaymentFailed -> failed and the hold released; InventoryReserved ->
confirmed; InventoryFailed -> RefundRequested (compensation); RefundIssued -> refunded. An
inventory outcome that overtook PaymentSucceeded records the payment from the charge it carries. A
ConfirmedBookingCancelled asks for a refund of the share the guest was quoted when cancelling
(backend/cancellation.py's rule; the order stays confirmed and records the refunded amount). Messages that overtook the one they depend on raise
OutOfOrder and are retried.

Orders are read and written through the unit of work's order store (backend/ports.py): `claim`
records the message and reads the order under its lock into a detached `Order`,
`order_state.transition` decides every move, and `move` writes the order's columns and its
timeline entry back (each one statement on PostgreSQL).

The two commonest moves (PaymentSucceeded: pending -> paid; InventoryReserved: paid -> confirmed)
are tried first as one shortcut transaction (`SagaShortcuts.move_order`, one statement on
PostgreSQL) that moves the order only if it is in the expected status and the message is new;
in every other case it writes nothing and the general path above decides, as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlmodel import select

from backend import cancellation
from backend.context import Context
from backend.inventory import nights
from backend.models import (
    Booking,
    BookingStatus,
    CancellationPolicy,
    Hotel,
    Order,
    OrderEvent,
    OrderStatus,
)
from backend.payments.gateway import Charge
from backend.ports import MovedOrder, OrderMove
from backend.saga import inventory
from backend.saga.consumer import OutOfOrder, already_processed, apply_once, consumes
from backend.saga.events import (
    BadMessage,
    ConfirmedBookingCancelled,
    InventoryFailed,
    InventoryReserved,
    PaymentFailed,
    PaymentSucceeded,
    RefundIssued,
    RefundRequested,
    parse,
)
from backend.saga.order_state import can_transition, is_terminal, timeline_entry, transition
from backend.saga.payments import record_charge
from backend.saga.status_bus import StatusChange
from backend.stay_time import DEFAULT_TIMEZONE
from backend.unit_of_work import UnitOfWork

log = logging.getLogger("trinity.saga")
S = OrderStatus
CHARGED = "Charged {amount} {currency}."  # the paid entry's detail, from the order's amount
CONFIRMED = "Rooms reserved: the booking is confirmed."
_BOOKINGS: Table = Booking.__table__  # type: ignore[attr-defined]
_CANCEL_HOLD = (
    update(_BOOKINGS)
    .where(_BOOKINGS.c.id == bindparam("booking_id"))
    .where(_BOOKINGS.c.status == str(BookingStatus.HELD))
    .values(status=str(BookingStatus.CANCELLED), updated_at=bindparam("now"))
    .returning(_BOOKINGS.c.room_type_id, _BOOKINGS.c.check_in, _BOOKINGS.c.check_out)
)


@consumes("orders")
def record_payment(ctx: Context, consumer: str, message: dict[str, Any]) -> None:
    message_id, event = parse(message, PaymentSucceeded, PaymentFailed)
    assert isinstance(event, PaymentSucceeded | PaymentFailed)
    if isinstance(event, PaymentSucceeded):
        data = {"charge_ref": event.charge_ref}
        paid = _planned(event.order_id, S.PENDING, S.PAID, "PaymentSucceeded", ctx, CHARGED, data)
        if _moved_at_once(ctx, consumer, message_id, paid):
            return

    def apply(uow: UnitOfWork, order: Order) -> None:
        now = ctx.clock()
        if order.status == OrderStatus.FAILED and isinstance(event, PaymentSucceeded):
            # The sweeper closed the order as unpaid, then the charge went through after all.
            detail = (
                f"Charged {event.amount} {event.currency} after the order was closed: refunding."
            )
            data = {"charge_ref": event.charge_ref}
            uow.orders.append(timeline_entry(order, "PaymentSucceeded", now, detail, data))
            _request_refund(uow, order, event.amount, "compensation")
            return
        if order.status != OrderStatus.PENDING:
            return  # already decided: a stale message changes nothing
        if isinstance(event, PaymentSucceeded):
            _record_paid(uow, order, event.charge_ref, now)
        else:
            data = {"code": event.code}
            _move(uow, order, OrderStatus.FAILED, "PaymentFailed", now, event.reason, data)
            _release_hold(uow, order.booking_id, now)

    _apply_to_order(ctx, consumer, message_id, event.order_id, apply)


@consumes("orders")
def complete_order(ctx: Context, consumer: str, message: dict[str, Any]) -> None:
    message_id, event = parse(message, InventoryReserved, InventoryFailed)
    assert isinstance(event, InventoryReserved | InventoryFailed)
    if isinstance(event, InventoryReserved):
        confirmed = _planned(
            event.order_id, S.PAID, S.CONFIRMED, "InventoryReserved", ctx, CONFIRMED, {}
        )
        if _moved_at_once(ctx, consumer, message_id, confirmed):
            return

    def apply(uow: UnitOfWork, order: Order) -> None:
        now = ctx.clock()
        if order.status == OrderStatus.PENDING:
            # Overtook PaymentSucceeded (both leave the payments step at once). The inventory
            # step only runs after a charge, so record that payment now; the later
            # PaymentSucceeded then finds the order paid and changes nothing.
            if event.charge_ref is None:
                raise OutOfOrder(f"order {order.id} is not paid yet")
            _record_paid(uow, order, event.charge_ref, now)
        if order.status != OrderStatus.PAID:
            return
        if isinstance(event, InventoryReserved):
            _move(uow, order, OrderStatus.CONFIRMED, "InventoryReserved", now, CONFIRMED)
            return
        failed = timeline_entry(order, "InventoryFailed", now, f"{event.reason.capitalize()}.")
        uow.orders.append(failed)
        _request_refund(uow, order, order.amount - order.refunded_amount, "compensation")

    _apply_to_order(ctx, consumer, message_id, event.order_id, apply)


@consumes("orders")
def record_refund(ctx: Context, consumer: str, message: dict[str, Any]) -> None:
    message_id, event = parse(message, RefundIssued)

    def apply(uow: UnitOfWork, order: Order) -> None:
        now = ctx.clock()
        order.refunded_amount = order.refunded_amount + event.amount
        detail = f"Refunded {event.amount} {event.currency} ({event.reason})."
        data = {"refund_ref": event.refund_ref, "amount": str(event.amount), "reason": event.reason}
        if event.reason == "compensation" and order.status == OrderStatus.PAID:
            _move(uow, order, OrderStatus.REFUNDED, "RefundIssued", now, detail, data)
        else:
            order.updated_at = now
            uow.orders.move(order, timeline_entry(order, "RefundIssued", now, detail, data))
            uow.note_status(order, "RefundIssued")

    _apply_to_order(ctx, consumer, message_id, event.order_id, apply)


@consumes("orders")
def refund_cancelled_booking(ctx: Context, consumer: str, message: dict[str, Any]) -> None:
    message_id, event = parse(message, ConfirmedBookingCancelled)

    def apply(uow: UnitOfWork) -> None:
        order = uow.orders.locked_by_booking(event.booking_id)
        if order is None or order.status != OrderStatus.CONFIRMED:
            return  # nothing was paid for this booking
        policy = _policy(uow, event)
        share = event.refund_share
        if share is None:
            share = _share_at(uow, event, policy, event.cancelled_at or ctx.clock())
        amount = cancellation.refund_amount(order.amount, share)
        detail = (
            f"Booking cancelled under the {policy} policy: {cancellation.percent(share)}% "
            f"refundable ({amount} {order.currency})."
        )
        uow.orders.append(timeline_entry(order, "BookingCancelled", ctx.clock(), detail))
        if amount > 0:
            _request_refund(uow, order, amount, "cancellation")

    apply_once(ctx, consumer, message_id, apply)


def _planned(
    order_id: int,
    source: OrderStatus,
    target: OrderStatus,
    event_type: str,
    ctx: Context,
    detail: str,
    data: dict[str, Any],
) -> OrderMove:
    """A move the state machine allows, to be tried before the order is read."""
    assert can_transition(source, target), f"{source} -> {target}"
    return OrderMove(order_id, source, target, event_type, ctx.clock(), detail, data)


def _moved_at_once(ctx: Context, consumer: str, message_id: str, move: OrderMove) -> bool:
    """The common case in one shortcut transaction, then its after-commit work (the pre-check's
    id, the status push, the saga metric) in one Redis round trip, as a unit of work's commit
    sends them. No Redis pre-check first: the statement itself finds a duplicate (it then writes
    nothing) and the general path, which has the pre-check, takes over."""
    moved = ctx.shortcuts.move_order(consumer, message_id, move)
    if moved is None:
        return False
    after = ctx.post_commit()
    after.processed.append((consumer, message_id))
    after.changes.append(_status_change(moved, move.event_type))
    if is_terminal(moved.status):
        took = (moved.updated_at - moved.created_at).total_seconds()
        after.batch.observe("trinity_saga_duration_seconds", took, outcome=str(moved.status))
    after.send()
    return True


def _status_change(order: MovedOrder, event_type: str) -> StatusChange:
    at = order.updated_at.isoformat()
    return StatusChange(order.id, order.user_id, str(order.status), event_type, at)


def _apply_to_order(
    ctx: Context,
    consumer: str,
    message_id: str,
    order_id: int,
    effect: Callable[[UnitOfWork, Order], None],
) -> None:
    """`apply_once` for a message about one order, handed to `effect` under its row lock.

    The processed-message row and the order's lock are one statement on Postgres
    (`Orders.claim`): the steps of the saga's busiest consumer save a round trip each.
    """
    if already_processed(ctx, consumer, message_id):
        return
    with ctx.unit_of_work() as uow:
        fresh, order = uow.orders.claim(consumer, message_id, order_id)
        if not fresh:
            log.info("%s: message %s was already processed", consumer, message_id)
            return
        if order is None:
            raise BadMessage(f"order {order_id} does not exist")
        effect(uow, order)
        uow.mark_processed(consumer, message_id)
        uow.commit()


def resolve_stuck_order(
    uow: UnitOfWork, order: Order, charge: Charge | None, now: datetime
) -> OrderStatus | None:
    """Settle an order stuck in pending/paid (read by `Orders.locked`), given the gateway's charge.

    Returns the status it ends in (paid = a refund was requested), None when left alone.
    """
    by = {"by": "sweeper"}
    if charge is None:
        if order.status != OrderStatus.PENDING:
            return None  # paid without a charge at the gateway: not for a robot to decide
        detail = "No payment went through before the deadline: the order was closed."
        _move(uow, order, OrderStatus.FAILED, "PaymentTimedOut", now, detail, by)
        _release_hold(uow, order.booking_id, now)
        return OrderStatus.FAILED
    record_charge(uow.payments, order.id or 0, charge)
    if order.status == OrderStatus.PENDING:
        _record_paid(uow, order, charge.ref, now, by)
    if not _has_event(uow, order, "InventoryFailed"):
        failure = inventory.confirm(uow, order.booking_id, now)
        if failure is None:
            _move(uow, order, OrderStatus.CONFIRMED, "InventoryReserved", now, CONFIRMED, by)
            return OrderStatus.CONFIRMED
        uow.orders.append(
            timeline_entry(order, "InventoryFailed", now, f"{failure.capitalize()}.", by)
        )
    # The rooms are gone (now or earlier): refund. Asking again is harmless (the refund's
    # idempotency key); touching the order spaces the sweeper's next look by a deadline.
    order.updated_at = now
    uow.orders.save(order)
    _request_refund(uow, order, order.amount - order.refunded_amount, "compensation")
    return OrderStatus.PAID


def _has_event(uow: UnitOfWork, order: Order, event_type: str) -> bool:
    found = uow.session.exec(
        select(OrderEvent.id)
        .where(OrderEvent.order_id == order.id)
        .where(OrderEvent.type == event_type)
    )
    return found.first() is not None


def _record_paid(
    uow: UnitOfWork,
    order: Order,
    charge_ref: str,
    now: datetime,
    extra: dict[str, Any] | None = None,
) -> None:
    detail = CHARGED.format(amount=order.amount, currency=order.currency)
    data = {"charge_ref": charge_ref, **(extra or {})}
    _move(uow, order, OrderStatus.PAID, "PaymentSucceeded", now, detail, data)


def _move(
    uow: UnitOfWork,
    order: Order,
    target: OrderStatus,
    event_type: str,
    now: datetime,
    detail: str = "",
    data: dict[str, Any] | None = None,
) -> OrderEvent:
    entry = transition(order, target, event_type, now, detail, data)
    uow.orders.move(order, entry)
    uow.note_status(order, event_type)
    if is_terminal(target):
        took = (now - order.created_at).total_seconds()
        uow.metrics.observe("trinity_saga_duration_seconds", took, outcome=str(target))
    return entry


def _request_refund(uow: UnitOfWork, order: Order, amount: Decimal, reason: str) -> None:
    request = RefundRequested(
        order_id=order.id or 0,
        amount=amount,
        currency=order.currency,
        reason=reason,  # type: ignore[arg-type]
    )
    uow.outbox.emit(request)


def _release_hold(uow: UnitOfWork, booking_id: int, now: datetime) -> None:
    """Cancel the booking if it is still held, and free its rooms (one UPDATE takes the lock)."""
    cancelled = uow.session.execute(_CANCEL_HOLD, {"booking_id": booking_id, "now": now}).first()
    if cancelled is None:
        return  # expired or cancelled already: its rooms are free
    uow.nights.release(cancelled.room_type_id, nights(cancelled.check_in, cancelled.check_out))


def _share_at(
    uow: UnitOfWork, event: ConfirmedBookingCancelled, policy: CancellationPolicy, at: datetime
) -> Decimal:
    booking = uow.session.get(Booking, event.booking_id)
    if booking is None:
        return Decimal("0")
    hotel = uow.session.get(Hotel, booking.hotel_id)
    timezone = hotel.timezone if hotel else DEFAULT_TIMEZONE
    return cancellation.refund_share(cancellation.RULES[policy], booking.check_in, timezone, at)


def _policy(uow: UnitOfWork, event: ConfirmedBookingCancelled) -> CancellationPolicy:
    if event.cancellation_policy in set(CancellationPolicy):
        return CancellationPolicy(event.cancellation_policy)
    booking = uow.session.get(Booking, event.booking_id)
    hotel = uow.session.get(Hotel, booking.hotel_id) if booking else None
    return CancellationPolicy(hotel.cancellation_policy) if hotel else CancellationPolicy.STRICT
