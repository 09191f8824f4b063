"""Flow 3, first step: pay for a held booking.

Read top to bottom: check the card (Luhn) and get a payment token from the gateway -> one
transaction that locks the booking, checks it is a live hold of this guest, creates the order
`pending` unless the booking has one, with its first timeline entry, and writes OrderCreated to
the outbox, in one unit of work (Core statements through the order store: this runs once per
saga, and the ORM's flush cost more CPU than the statements).

Everything after that (charge, reservation, refund) happens in the saga (backend/saga/), driven by
the relay; the guest follows it on GET /api/orders/{id} or the status bus.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Table, bindparam
from sqlmodel import col, select

from backend.context import Context
from backend.errors import NotFound, NotPayable
from backend.models import Booking, BookingStatus, Order, OrderEvent, OrderStatus
from backend.saga.events import OrderCreated
from backend.saga.order_state import timeline_entry

_BOOKINGS: Table = Booking.__table__  # type: ignore[attr-defined]
# Core, built once: the checkout reads five columns of the hold, it needs no ORM object.
_PAYABLE = ("user_id", "status", "hold_expires_at", "total_price", "currency")
_LOCK_BOOKING = (
    select(*(_BOOKINGS.c[name] for name in _PAYABLE))
    .where(_BOOKINGS.c.id == bindparam("booking_id"))
    .with_for_update()
)


@dataclass(frozen=True)
class CheckoutRequest:
    user_id: int
    booking_id: int
    card_number: str


@dataclass(frozen=True)
class OrderView:
    order: Order
    events: list[OrderEvent]


def checkout(ctx: Context, request: CheckoutRequest) -> Order:
    token = ctx.gateway.tokenize(request.card_number)  # InvalidInput unless a valid card number
    now = ctx.clock()
    with ctx.unit_of_work() as uow:
        booking = uow.session.execute(_LOCK_BOOKING, {"booking_id": request.booking_id}).first()
        if booking is None or booking.user_id != request.user_id:
            raise NotFound(f"Booking {request.booking_id} was not found.")
        if booking.status != BookingStatus.HELD or booking.hold_expires_at <= now:
            state = "expired" if booking.status == BookingStatus.HELD else booking.status
            raise NotPayable(
                f"Booking {request.booking_id} is {state}: only a live hold can be paid."
            )
        order = Order(
            user_id=request.user_id,
            booking_id=request.booking_id,
            status=OrderStatus.PENDING,
            amount=booking.total_price,
            currency=booking.currency,
            refunded_amount=Decimal("0"),
            created_at=now,
            updated_at=now,
        )
        if not uow.orders.create(order):
            raise NotPayable(f"Booking {request.booking_id} already has an order.")
        detail = f"Order for booking {order.booking_id}: {order.amount} {order.currency}."
        uow.orders.append(timeline_entry(order, "OrderCreated", now, detail))
        created = OrderCreated(
            order_id=order.id or 0,
            booking_id=order.booking_id,
            user_id=order.user_id,
            amount=order.amount,
            currency=order.currency,
            payment_token=token,
        )
        uow.outbox.emit(created)
        uow.note_status(order, "OrderCreated")
        uow.commit()
    return order


def get_order(ctx: Context, user_id: int, order_id: int) -> OrderView:
    with ctx.unit_of_work() as uow:
        session = uow.session
        order = session.get(Order, order_id)
        if order is None or order.user_id != user_id:
            # Another guest's order is reported exactly like a missing one.
            raise NotFound(f"Order {order_id} was not found.")
        events = session.exec(
            select(OrderEvent)
            .where(OrderEvent.order_id == order_id)
            .order_by(col(OrderEvent.at), col(OrderEvent.id))
        ).all()
    return OrderView(order=order, events=list(events))


def list_orders(ctx: Context, user_id: int, limit: int = 50) -> list[Order]:
    with ctx.unit_of_work() as uow:
        session = uow.session
        return list(
            session.exec(
                select(Order)
                .where(Order.user_id == user_id)
                .order_by(col(Order.created_at).desc(), col(Order.id).desc())
                .limit(limit)
            ).all()
        )
