"""What cancelling a booking refunds right now: the quote a guest sees before cancelling.

`quote` is also what `booking.cancel_booking` records in its ConfirmedBookingCancelled event, so
the saga's refund (backend/saga/orders.py) is the quote at the moment of cancelling, to the cent.
The arithmetic is backend/cancellation.py's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, select

from backend import cancellation
from backend.context import Context
from backend.errors import NotCancellable, NotFound
from backend.models import Booking, BookingStatus, Hotel, Order, OrderStatus
from backend.stay_time import DEFAULT_TIMEZONE

ZERO = Decimal("0")


@dataclass(frozen=True)
class Quote:
    booking_id: int
    status: str
    policy: str
    rule: str  # the rule in words
    timezone: str  # the hotel's
    free_until: datetime | None  # UTC; None without a free period
    deadline_text: str  # the rule with its deadline on the hotel's clock
    paid: Decimal  # what cancelling can refund from: the confirmed order's amount, else 0
    refund_share: Decimal
    refund: Decimal
    currency: str
    quoted_at: datetime


def quote_cancellation(ctx: Context, user_id: int, booking_id: int) -> Quote:
    with ctx.unit_of_work() as uow:
        session = uow.session
        booking = session.get(Booking, booking_id)
        if booking is None or booking.user_id != user_id:
            raise NotFound(f"Booking {booking_id} was not found.")
        return quote(session, booking, ctx.clock())


def quote(session: Session, booking: Booking, now: datetime) -> Quote:
    """The quote for `booking` at `now`; NotCancellable unless it is held or confirmed."""
    if booking.status not in (BookingStatus.HELD, BookingStatus.CONFIRMED):
        raise NotCancellable(f"A booking that is {booking.status} cannot be cancelled.")
    hotel = session.get(Hotel, booking.hotel_id)
    timezone = hotel.timezone if hotel else DEFAULT_TIMEZONE
    # A hotel no longer listed has no policy to honour: nothing is promised, as strict.
    rule = cancellation.rule_for(hotel.cancellation_policy if hotel else "strict")
    paid = _paid(session, booking)
    share = cancellation.refund_share(rule, booking.check_in, timezone, now) if paid else ZERO
    return Quote(
        booking_id=booking.id or 0,
        status=str(booking.status),
        policy=str(rule.policy),
        rule=rule.summary(),
        timezone=timezone,
        free_until=cancellation.free_until(rule, booking.check_in, timezone),
        deadline_text=cancellation.deadline_text(rule, booking.check_in, timezone),
        paid=paid,
        refund_share=share,
        refund=cancellation.refund_amount(paid, share),
        currency=booking.currency,
        quoted_at=now,
    )


def _paid(session: Session, booking: Booking) -> Decimal:
    """A confirmed order's amount; a hold (even with a payment under way) refunds nothing here:
    cancelling it releases the room, and the saga returns any charge as compensation."""
    if booking.status != BookingStatus.CONFIRMED:
        return ZERO
    order = session.exec(select(Order).where(Order.booking_id == booking.id)).first()
    if order is None or order.status != OrderStatus.CONFIRMED:
        return ZERO
    return order.amount
