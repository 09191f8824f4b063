"""Flow 3, first step: pay for a held booking.

Read top to bottom: check the card (Luhn) and get a payment token from the gateway -> one
shortcut transaction (`SagaShortcuts.place_order`, one statement on PostgreSQL) that locks the
booking and, only if it is a live hold of this guest without an order, creates the order
`pending` with its first timeline entry and writes OrderCreated to the outbox; what it read of
the booking decides the error otherwise (nothing was written then). This runs once per saga, and
a unit of work's statements and round trips cost more CPU than the one statement.

Everything after that (charge, reservation, refund) happens in the saga (backend/saga/), driven by
the relay; the guest follows it on GET /api/orders/{id} or the status bus.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import col, select

from backend.context import Context
from backend.errors import NotFound, NotPayable
from backend.models import BookingStatus, Order, OrderEvent
from backend.ports import OrderPlacement
from backend.saga.events import OrderCreated
from backend.saga.status_bus import StatusChange

# The first timeline entry's detail; the placement fills in the order's amount and currency.
ORDER_FOR_BOOKING = "Order for booking {booking_id}: {{amount}} {{currency}}."


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
    # The order's id, amount and currency are the placement's to fill in (from the hold).
    created = OrderCreated(
        order_id=0,
        booking_id=request.booking_id,
        user_id=request.user_id,
        amount=Decimal("0"),
        currency="",
        payment_token=token,
    )
    placement = OrderPlacement(
        request.user_id, request.booking_id, now, "OrderCreated",
        ORDER_FOR_BOOKING.format(booking_id=request.booking_id), created,
    )  # fmt: skip
    placed = ctx.shortcuts.place_order(placement)
    booking = placed.hold
    if booking is None or booking.user_id != request.user_id:
        raise NotFound(f"Booking {request.booking_id} was not found.")
    if booking.status != BookingStatus.HELD or booking.hold_expires_at <= now:
        state = "expired" if booking.status == BookingStatus.HELD else booking.status
        raise NotPayable(f"Booking {request.booking_id} is {state}: only a live hold can be paid.")
    order = placed.order
    if order is None:
        raise NotPayable(f"Booking {request.booking_id} already has an order.")
    after = ctx.post_commit()  # the live pages' push, as a unit of work's commit sends it
    after.changes.append(
        StatusChange(order.id or 0, order.user_id, str(order.status), "OrderCreated",
                     order.updated_at.isoformat())
    )  # fmt: skip
    after.send()
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
