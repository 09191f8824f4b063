"""The six QA scenarios. Each makes sure its state exists (building only what is missing) and
says where to look, whom to log in as and what to click next."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from backend.cancellation import percent
from backend.context import Context
from backend.errors import InvalidInput, SoldOut, Unavailable
from backend.models import Booking, BookingStatus, CancellationPolicy, Order, OrderStatus
from backend.payments.simulated import DECLINING_CARDS
from backend.saga.events import Event, PaymentSucceeded
from backend.saga.orders import record_payment
from backend.saga.payments import charge_key, record_charge
from backend.scenarios.building import (
    SUCCESS_CARD,
    Guest,
    QaHotel,
    ScenarioResult,
    available,
    cancel,
    existing_qa_guest,
    hold,
    hotel_page,
    live_bookings,
    order_of,
    pay,
    qa_guest,
    qa_guests,
    qa_hotel,
    stay_dates,
)
from backend.services import checkout
from backend.services.booking import HeldBooking
from backend.services.refund_quote import quote_cancellation

MAX_HOLDERS = 20
CARD_BY_TOKEN = {token: card for card, token in DECLINING_CARDS.items()}
DECLINED_CARD = CARD_BY_TOKEN["tok_chargeDeclined"]
NO_FUNDS_CARD = CARD_BY_TOKEN["tok_chargeDeclinedInsufficientFunds"]


@dataclass(frozen=True)
class ScenarioParams:
    """Optional knobs; a scenario ignores those it does not read (see README, QA)."""

    check_in: date | None = None
    check_out: date | None = None
    holders: int | None = None  # busy-hotel: how many guests hold a room


def last_room(ctx: Context, params: ScenarioParams) -> ScenarioResult:
    """Three rooms, two taken by confirmed stays of other guests: one left for the dates."""
    room = qa_hotel(ctx, "QA Last Room Hotel", rooms=3)
    check_in, check_out = stay_dates(ctx, params.check_in, params.check_out, days_ahead=14)
    guest = qa_guest(ctx, "last-room")
    for mine in live_bookings(ctx, guest, room):  # QA's own earlier try at the last room
        if mine.check_in < check_out and check_in < mine.check_out:
            cancel(ctx, guest, mine)
    for filler in qa_guests(ctx, ["last-room-filler-1", "last-room-filler-2"], "filler"):
        if available(ctx, room, check_in, check_out) <= 1:
            break
        pay(ctx, filler, hold(ctx, filler, room, check_in, check_out))
    left = available(ctx, room, check_in, check_out)
    if left != 1:
        raise SoldOut(f"Other guests took the rooms for {check_in}..{check_out}: pick other dates.")
    return ScenarioResult(
        name="last-room",
        summary=f"QA Last Room Hotel has 1 Double left for {check_in} to {check_out}.",
        next_steps=(
            "Log in as the guest, open the hotel page and hold the last room: it is held and "
            "the room shows 0 left; a second guest (another browser) gets 'sold out'."
        ),
        logins=[guest.login],
        urls={"hotel": hotel_page(room, check_in, check_out)},
        ids={"hotel_id": room.hotel_id, "room_type_id": room.room_type_id},
    )


def expiring_hold(ctx: Context, params: ScenarioParams) -> ScenarioResult:
    """A fresh hold taken (HOLD_TTL_SECONDS - 30) s ago by the clock: 30 s from expiry."""
    room = qa_hotel(ctx, "QA Expiring Hold Hotel", rooms=5)
    check_in, check_out = stay_dates(ctx, params.check_in, params.check_out, days_ahead=21)
    guest = qa_guest(ctx, "expiring-hold")
    for earlier in live_bookings(ctx, guest, room):
        if earlier.status == BookingStatus.HELD:
            cancel(ctx, guest, earlier)
    taken_ago = timedelta(seconds=max(0, ctx.settings.hold_ttl_seconds - 30))
    earlier_clock = ctx.clock
    held = hold(
        dataclasses.replace(ctx, clock=lambda: earlier_clock() - taken_ago),
        guest, room, check_in, check_out,
    )  # fmt: skip
    return ScenarioResult(
        name="expiring-hold",
        summary=f"Booking {held.id} is held until {held.hold_expires_at.isoformat()}.",
        next_steps=(
            "Log in as the guest and open the checkout page: the hold has 30 s left. Advance "
            'the clock (POST /api/test/clock {"advance_seconds": 31}, or `trinity clock '
            "--advance 31`): the sweeper expires it within SWEEP_INTERVAL_SECONDS and paying "
            "answers 'expired'."
        ),
        logins=[guest.login],
        urls={"checkout": f"/checkout/{held.id}", "trip": f"/trips/{held.id}"},
        ids={"booking_id": held.id or 0, "hotel_id": room.hotel_id},
        details={"hold_expires_at": held.hold_expires_at.isoformat()},
    )


def refund(ctx: Context, params: ScenarioParams) -> ScenarioResult:
    """A confirmed, paid stay at a moderate-policy hotel, inside its 7-day deadline: cancelling
    refunds part of it (the rule's share after the deadline, backend/cancellation.py)."""
    policy = CancellationPolicy.MODERATE
    room = qa_hotel(ctx, "QA Refund Hotel", rooms=5, policy=policy, price="150.00")
    check_in, check_out = stay_dates(ctx, params.check_in, params.check_out, days_ahead=3, nights=3)
    guest = qa_guest(ctx, "refund")
    confirmed = [b for b in live_bookings(ctx, guest, room) if b.status == BookingStatus.CONFIRMED]
    stay: Booking | HeldBooking | None = confirmed[0] if confirmed else None
    order = order_of(ctx, stay.id or 0) if stay else None
    if stay is None or order is None:
        stay = hold(ctx, guest, room, check_in, check_out)
        order = pay(ctx, guest, stay)
    if order.status != OrderStatus.CONFIRMED:
        raise Unavailable(f"The refund scenario's payment ended {order.status}; run it again.")
    quote = quote_cancellation(ctx, guest.id, stay.id or 0)
    back = quote.refund
    return ScenarioResult(
        name="refund",
        summary=(
            f"Booking {stay.id} is confirmed and paid ({order.amount} {order.currency}); "
            f"cancelling it now refunds {back:.2f}: {quote.deadline_text}"
        ),
        next_steps=(
            "Log in as the guest, open the trip and cancel it: the order's timeline shows "
            f"BookingCancelled ({percent(quote.refund_share)}% refundable) then RefundIssued "
            f"of {back:.2f}, and the booking is cancelled."
        ),
        logins=[guest.login],
        urls={"trip": f"/trips/{stay.id}", "checkout": f"/checkout/{stay.id}", "trips": "/trips"},
        ids={"booking_id": stay.id or 0, "order_id": order.id or 0, "hotel_id": room.hotel_id},
        details={"amount": str(order.amount), "refund": f"{back:.2f}"},
    )


def declined_card(ctx: Context, params: ScenarioParams) -> ScenarioResult:
    """A live, unpaid hold and the card numbers the simulated gateway declines."""
    room = qa_hotel(ctx, "QA Declined Card Hotel", rooms=5)
    check_in, check_out = stay_dates(ctx, params.check_in, params.check_out, days_ahead=25)
    guest = qa_guest(ctx, "declined-card")
    unpaid = [
        b
        for b in live_bookings(ctx, guest, room)
        if b.status == BookingStatus.HELD and order_of(ctx, b.id or 0) is None
    ]
    held = unpaid[0] if unpaid else hold(ctx, guest, room, check_in, check_out)
    return ScenarioResult(
        name="declined-card",
        summary=f"Booking {held.id} is held and unpaid; card {DECLINED_CARD} is declined.",
        next_steps=(
            f"Log in as the guest, open the checkout page and pay with {DECLINED_CARD}: the "
            "timeline shows PaymentFailed ('Your card was declined.') and the hold is released. "
            f"{NO_FUNDS_CARD} fails for insufficient funds. Run the scenario again for a new hold."
        ),
        logins=[guest.login],
        urls={"checkout": f"/checkout/{held.id}"},
        ids={"booking_id": held.id or 0, "hotel_id": room.hotel_id},
        details={
            "declined_card": DECLINED_CARD,
            "insufficient_funds_card": NO_FUNDS_CARD,
            "success_card": SUCCESS_CARD,
        },
    )


class _HeldBack:
    """An outbox that keeps the events instead of writing them: the message is lost on its way."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, *events: Event) -> None:
        self.events.extend(events)


def stuck_order(ctx: Context, params: ScenarioParams) -> ScenarioResult:
    """An order charged and marked paid whose confirmation never came: the saga is parked
    before inventory confirms the hold and orders completes (the sweeper settles it after
    ORDER_DEADLINE_SECONDS by the clock)."""
    room = qa_hotel(ctx, "QA Stuck Order Hotel", rooms=5)
    check_in, check_out = stay_dates(ctx, params.check_in, params.check_out, days_ahead=35)
    guest = qa_guest(ctx, "stuck-order")
    parked = [
        (b, o)
        for b in live_bookings(ctx, guest, room)
        if (o := order_of(ctx, b.id or 0)) is not None and o.status == OrderStatus.PAID
    ]
    stay, order = parked[0] if parked else _park_paid_order(ctx, guest, room, check_in, check_out)
    deadline = order.updated_at + timedelta(seconds=ctx.settings.order_deadline_seconds)
    return ScenarioResult(
        name="stuck-order",
        summary=f"Order {order.id} is paid but never confirmed; the sweeper's deadline is "
        f"{deadline.isoformat()}.",
        next_steps=(
            "Log in as the guest and open the checkout page: the timeline stops at "
            "PaymentSucceeded. Advance the clock past ORDER_DEADLINE_SECONDS "
            f"({ctx.settings.order_deadline_seconds} s): the sweeper finds the charge and "
            "confirms the order (InventoryReserved, by the sweeper)."
        ),
        logins=[guest.login],
        urls={"checkout": f"/checkout/{stay.id}", "trip": f"/trips/{stay.id}"},
        ids={"booking_id": stay.id or 0, "order_id": order.id or 0, "hotel_id": room.hotel_id},
        details={"deadline": deadline.isoformat()},
    )


def _park_paid_order(
    ctx: Context, guest: Guest, room: QaHotel, check_in: date, check_out: date
) -> tuple[HeldBooking, Order]:
    stay = hold(ctx, guest, room, check_in, check_out)
    held_back = _HeldBack()
    parked = dataclasses.replace(
        ctx, stores=lambda session: dataclasses.replace(ctx.stores(session), outbox=held_back)
    )
    request = checkout.CheckoutRequest(guest.id, stay.id or 0, SUCCESS_CARD)
    order = checkout.checkout(parked, request)
    charge = ctx.gateway.charge(
        idempotency_key=charge_key(order.id or 0),
        token=ctx.gateway.tokenize(SUCCESS_CARD),
        amount=order.amount,
        currency=order.currency,
    )
    with ctx.unit_of_work() as uow:  # as the payments step records it
        record_charge(uow.payments, order.id or 0, charge)
        uow.commit()
    paid = PaymentSucceeded(
        order_id=order.id or 0, booking_id=stay.id or 0, amount=charge.amount,
        currency=charge.currency, charge_ref=charge.ref,
    )  # fmt: skip
    # The orders step itself moves the order to paid; inventory never hears of the payment.
    message = {
        "message_id": str(uuid.uuid4()),  # the column holds a UUID
        "type": "PaymentSucceeded",
        "payload": paid.model_dump(mode="json"),
        "occurred_at": ctx.clock().isoformat(),
    }
    record_payment(ctx, message)
    return stay, checkout.get_order(ctx, guest.id, order.id or 0).order


def busy_hotel(ctx: Context, params: ScenarioParams) -> ScenarioResult:
    """Twenty rooms, `holders` (default 12) of them held by as many guests for the dates."""
    holders = params.holders if params.holders is not None else 12
    if not 1 <= holders <= MAX_HOLDERS:
        raise InvalidInput(f"holders must be between 1 and {MAX_HOLDERS}.")
    room = qa_hotel(ctx, "QA Busy Hotel", rooms=MAX_HOLDERS)
    check_in, check_out = stay_dates(ctx, params.check_in, params.check_out, days_ahead=10)
    crowd = qa_guests(ctx, [f"busy-{n}" for n in range(1, holders + 1)], "holder")
    for holder in crowd:
        mine = [b for b in live_bookings(ctx, holder, room) if b.status == BookingStatus.HELD]
        if not any(b.check_in == check_in and b.check_out == check_out for b in mine):
            hold(ctx, holder, room, check_in, check_out)
    for n in range(holders + 1, MAX_HOLDERS + 1):  # a bigger crowd asked for earlier: back down
        if extra := existing_qa_guest(ctx, f"busy-{n}"):
            for found in live_bookings(ctx, extra, room):
                cancel(ctx, extra, found)
    guest = qa_guest(ctx, "busy-hotel")
    left = available(ctx, room, check_in, check_out)
    return ScenarioResult(
        name="busy-hotel",
        summary=f"QA Busy Hotel: {holders} guests hold a Double for {check_in} to "
        f"{check_out}; {left} of {MAX_HOLDERS} left.",
        next_steps=(
            "Log in as the guest and open the hotel page: the room shows how few are left. "
            "Hold one, or advance the clock past HOLD_TTL_SECONDS and watch the rooms come back "
            "as the sweeper expires the holds."
        ),
        logins=[guest.login],
        urls={"hotel": hotel_page(room, check_in, check_out)},
        ids={"hotel_id": room.hotel_id, "room_type_id": room.room_type_id},
        details={"holders": str(holders), "left": str(left)},
    )


Scenario = Callable[[Context, ScenarioParams], ScenarioResult]
SCENARIOS: dict[str, Scenario] = {
    "last-room": last_room,
    "expiring-hold": expiring_hold,
    "refund": refund,
    "declined-card": declined_card,
    "stuck-order": stuck_order,
    "busy-hotel": busy_hotel,
}
