"""The cancellation quote, and the refund the saga issues on cancel equals it (both modes)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from factories import bearer, make_hotel, make_user
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sagas import fast_user
from sqlmodel import col, select

from backend import cancellation
from backend.context import Context
from backend.db import transaction
from backend.models import Booking, BookingStatus, Order, OrderStatus, OutboxMessage
from backend.saga import orders
from backend.saga.events import envelope
from backend.services.booking import HoldRequest, cancel_booking, hold_room
from backend.services.hotels import update_hotel
from backend.services.refund_quote import quote_cancellation
from backend.stay_time import check_in_at

PAID = Decimal("240.00")  # two nights at make_hotel's 120.00


def _confirmed(ctx: Context, user_id: int, room_type_id: int, check_in: date) -> int:
    """A confirmed booking with its confirmed order, as the saga leaves it (without running it)."""
    booking = hold_room(
        ctx, HoldRequest(user_id, room_type_id, check_in, check_in + timedelta(2), 1)
    )
    with transaction(ctx.engine) as session:
        row = session.get(Booking, booking.id)
        assert row is not None
        row.status = BookingStatus.CONFIRMED
        session.add(row)
        session.add(
            Order(
                user_id=user_id,
                booking_id=booking.id or 0,
                status=OrderStatus.CONFIRMED,
                amount=booking.total_price,
                currency=booking.currency,
            )
        )
    return booking.id or 0


def _hotel(ctx: Context, zone: str, policy: str) -> int:
    hotel_id, room_type_id = make_hotel(ctx, rooms=50)
    update_hotel(ctx, hotel_id, {"timezone": zone, "cancellation_policy": policy}, None)
    return room_type_id


def _saga_refund(ctx: Context, booking_id: int) -> Decimal:
    """Run the saga's cancel step on the booking's ConfirmedBookingCancelled; what it asks back."""
    with transaction(ctx.engine) as session:
        cancelled = session.exec(
            select(OutboxMessage).where(OutboxMessage.event_type == "ConfirmedBookingCancelled")
        ).all()
        message = next(m for m in cancelled if m.payload["booking_id"] == booking_id)
        order = session.exec(select(Order).where(Order.booking_id == booking_id)).one()
    orders.refund_cancelled_booking(ctx, envelope(message))
    with transaction(ctx.engine) as session:
        requested = session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.event_type == "RefundRequested")
            .order_by(col(OutboxMessage.id))
        ).all()
    amounts = [Decimal(m.payload["amount"]) for m in requested if m.payload["order_id"] == order.id]
    assert len(amounts) <= 1
    return amounts[0] if amounts else Decimal("0.00")


def test_the_quote_states_the_rule_deadline_and_exact_refund(
    client: TestClient, ctx: Context
) -> None:
    room_type_id = _hotel(ctx, "Europe/Lisbon", "flexible")
    token, user_id = make_user(ctx)
    check_in = date(2027, 6, 20)
    ctx.clock = lambda: datetime(2027, 6, 1, 9, 0, tzinfo=UTC)
    booking_id = _confirmed(ctx, user_id, room_type_id, check_in)
    early = client.get(f"/api/bookings/{booking_id}/cancellation-quote", headers=bearer(token))
    assert early.status_code == 200, early.text
    body = early.json()
    assert body["policy"] == "flexible" and body["timezone"] == "Europe/Lisbon"
    assert body["free_until"] == "2027-06-18T14:00:00Z"  # 15:00 WEST on 18 June
    assert body["deadline_text"] == (
        "Free cancellation until 18 Jun 2027, 15:00 (Europe/Lisbon), then 50% refund."
    )
    assert (body["paid"], body["refund"], body["refund_percent"]) == ("240.00", "240.00", 100)
    ctx.clock = lambda: datetime(2027, 6, 18, 14, 0, tzinfo=UTC)  # the deadline itself
    late = client.get(f"/api/bookings/{booking_id}/cancellation-quote", headers=bearer(token))
    assert (late.json()["refund"], late.json()["refund_percent"]) == ("120.00", 50)


def test_a_hold_quotes_nothing_and_the_wrong_guest_gets_404(
    client: TestClient, ctx: Context
) -> None:
    room_type_id = _hotel(ctx, "UTC", "moderate")
    token, user_id = make_user(ctx)
    held = hold_room(
        ctx,
        HoldRequest(
            user_id, room_type_id, date.today() + timedelta(30), date.today() + timedelta(31), 1
        ),
    )
    quote = client.get(f"/api/bookings/{held.id}/cancellation-quote", headers=bearer(token))
    assert quote.status_code == 200
    assert (quote.json()["paid"], quote.json()["refund"]) == ("0", "0.00")
    bob, _ = make_user(ctx, "bob@example.com")
    other = client.get(f"/api/bookings/{held.id}/cancellation-quote", headers=bearer(bob))
    assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"
    missing = client.get("/api/bookings/999999/cancellation-quote", headers=bearer(token))
    assert missing.status_code == 404
    assert client.get(f"/api/bookings/{held.id}/cancellation-quote").status_code == 401
    client.delete(f"/api/bookings/{held.id}", headers=bearer(token))
    gone = client.get(f"/api/bookings/{held.id}/cancellation-quote", headers=bearer(token))
    assert gone.status_code == 409 and gone.json()["error"]["code"] == "not_cancellable"


# Check-ins around Europe/Berlin's and America/New_York's 2027 DST changes (28 Mar / 31 Oct and
# 14 Mar / 7 Nov): a 48-hour or 7-day window before them straddles the change.
CHANGES = {
    "Europe/Berlin": (date(2027, 3, 28), date(2027, 10, 31)),
    "America/New_York": (date(2027, 3, 14), date(2027, 11, 7)),
}


@st.composite
def cancellations(draw: st.DrawFn) -> tuple[str, str, date, int]:
    zone = draw(st.sampled_from(sorted(CHANGES)))
    change = draw(st.sampled_from(CHANGES[zone]))
    check_in = change + timedelta(days=draw(st.integers(min_value=0, max_value=8)))
    policy = draw(st.sampled_from(["flexible", "moderate", "strict"]))
    seconds = draw(st.integers(min_value=-7200, max_value=7200))  # around the deadline
    return zone, policy, check_in, seconds


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=cancellations())
def test_the_saga_refunds_exactly_the_quote_around_deadlines_and_dst(
    ctx: Context, case: tuple[str, str, date, int]
) -> None:
    zone, policy, check_in, seconds = case
    room_type_id = _hotel(ctx, zone, policy)
    _, user_id = fast_user(ctx, "guest@example.com")
    rule = cancellation.rule_for(policy)
    anchor = cancellation.free_until(rule, check_in, zone) or check_in_at(check_in, zone)
    now = anchor + timedelta(seconds=seconds)
    ctx.clock = lambda: now
    booking_id = _confirmed(ctx, user_id, room_type_id, check_in)
    quote = quote_cancellation(ctx, user_id, booking_id)
    cancel_booking(ctx, user_id, booking_id)
    ctx.clock = lambda: now + timedelta(minutes=3)  # the saga runs later: the quote still holds
    assert _saga_refund(ctx, booking_id) == quote.refund
    expected_share = 1 if rule.has_free_period and seconds < 0 else rule.late_share
    assert quote.refund == cancellation.refund_amount(PAID, Decimal(expected_share))
