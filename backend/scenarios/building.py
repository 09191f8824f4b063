"""Building blocks of the QA scenarios: their accounts, hotels, stays and saga waits.

Everything goes through the services a guest or an admin uses (auth, hotels, booking, checkout);
each helper finds what an earlier run built before it builds anything, so a scenario run twice
leaves one state, not two copies.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import col, select

from backend.context import Context
from backend.errors import Unavailable
from backend.models import (
    Booking,
    BookingStatus,
    CancellationPolicy,
    Hotel,
    Order,
    OrderStatus,
    User,
)
from backend.saga.order_state import is_terminal
from backend.services import auth, booking, checkout
from backend.services.hotels import RoomTypeSpec, Stay, create_hotel, get_hotel

# Scenario accounts have public passwords: test mode never runs with a production secret.
QA_PASSWORD = "qa-password"
SUCCESS_CARD = "4242424242424242"
SAGA_WAIT_SECONDS = 30.0


@dataclass(frozen=True)
class Login:
    role: str
    email: str
    password: str


@dataclass
class ScenarioResult:
    """What a scenario built: where to look, who to log in as, and what to do next."""

    name: str
    summary: str
    next_steps: str
    logins: list[Login] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)  # page paths, relative to the app's URL
    ids: dict[str, int] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)

    def to_json(self, app_url: str) -> dict[str, Any]:
        """The result as JSON, its page paths made absolute on `app_url`."""
        return {
            "name": self.name,
            "summary": self.summary,
            "next_steps": self.next_steps,
            "logins": [vars(login) for login in self.logins],
            "urls": {key: app_url.rstrip("/") + path for key, path in self.urls.items()},
            "ids": self.ids,
            "details": self.details,
        }


@dataclass(frozen=True)
class Guest:
    id: int
    login: Login


def qa_guests(ctx: Context, slugs: list[str], role: str = "guest") -> list[Guest]:
    """The scenario's accounts `qa-<slug>@example.com`, made when missing (one password hash)."""
    emails = {f"qa-{slug}@example.com": f"QA {slug.replace('-', ' ')}" for slug in slugs}
    ids = auth.ensure_guests(ctx, emails, QA_PASSWORD)
    return [Guest(ids[email], Login(role, email, QA_PASSWORD)) for email in emails]


def qa_guest(ctx: Context, slug: str, role: str = "guest") -> Guest:
    return qa_guests(ctx, [slug], role)[0]


def existing_qa_guest(ctx: Context, slug: str, role: str = "guest") -> Guest | None:
    """The scenario account if an earlier run made it (nothing is created)."""
    email = f"qa-{slug}@example.com"
    with ctx.unit_of_work() as uow:
        session = uow.session
        user_id = session.exec(select(User.id).where(User.email == email)).first()
    return Guest(user_id, Login(role, email, QA_PASSWORD)) if user_id else None


@dataclass(frozen=True)
class QaHotel:
    hotel_id: int
    room_type_id: int


def qa_hotel(
    ctx: Context,
    name: str,
    *,
    rooms: int,
    policy: CancellationPolicy = CancellationPolicy.FLEXIBLE,
    price: str = "100.00",
) -> QaHotel:
    """The scenario's own hotel (found by name), with one room type of `rooms` rooms."""
    with ctx.unit_of_work() as uow:
        session = uow.session
        hotel_id = session.exec(select(Hotel.id).where(Hotel.name == name)).first()
    if hotel_id is None:
        fields = {
            "name": name,
            "city": "Lisbon",
            "country": "PT",
            "lat": 38.7139,
            "lng": -9.1394,
            "rating": 4.0,
            "amenities": ["wifi"],
            "description": "Built by a QA scenario (TRINITY_TEST_MODE).",
            "currency": "EUR",
            "cancellation_policy": policy.value,
        }
        spec = RoomTypeSpec(name="Double", capacity=2, rooms=rooms, price=Decimal(price))
        view = create_hotel(ctx, fields, [spec])
        return QaHotel(view.hotel.id or 0, view.room_types[0].id)
    room_types = get_hotel(ctx, hotel_id).room_types
    return QaHotel(hotel_id, room_types[0].id)


def stay_dates(
    ctx: Context, check_in: date | None, check_out: date | None, days_ahead: int, nights: int = 2
) -> tuple[date, date]:
    """The dates asked for, else `days_ahead` days after today (by the server clock)."""
    start = check_in or ctx.clock().date() + timedelta(days=days_ahead)
    end = check_out or start + timedelta(days=nights)
    booking.validate_stay(start, end, ctx.clock().date())
    return start, end


def available(ctx: Context, room: QaHotel, check_in: date, check_out: date) -> int:
    """Rooms of the room type free for every night of the stay."""
    views = get_hotel(ctx, room.hotel_id, Stay(check_in, check_out)).room_types
    return next(view.available or 0 for view in views if view.id == room.room_type_id)


def live_bookings(ctx: Context, guest: Guest, room: QaHotel) -> list[Booking]:
    """The guest's held or confirmed bookings of the room type, newest first."""
    return [
        found
        for found in booking.list_bookings(ctx, guest.id)
        if found.room_type_id == room.room_type_id
        and found.status in (BookingStatus.HELD, BookingStatus.CONFIRMED)
        and not (found.status == BookingStatus.HELD and found.hold_expires_at <= ctx.clock())
    ]


def hold(
    ctx: Context, guest: Guest, room: QaHotel, check_in: date, check_out: date
) -> booking.HeldBooking:
    request = booking.HoldRequest(guest.id, room.room_type_id, check_in, check_out, guests=1)
    return booking.hold_room(ctx, request)


def cancel(ctx: Context, guest: Guest, found: Booking) -> None:
    booking.cancel_booking(ctx, guest.id, found.id or 0)


def order_of(ctx: Context, booking_id: int) -> Order | None:
    with ctx.unit_of_work() as uow:
        session = uow.session
        return session.exec(select(Order).where(col(Order.booking_id) == booking_id)).first()


def pay(
    ctx: Context, guest: Guest, held: Booking | booking.HeldBooking, card: str = SUCCESS_CARD
) -> Order:
    """Check the hold out and wait for the saga (the app's or the workers') to settle it."""
    order = checkout.checkout(ctx, checkout.CheckoutRequest(guest.id, held.id or 0, card))
    return wait_for_order(ctx, guest, order.id or 0)


def wait_for_order(ctx: Context, guest: Guest, order_id: int) -> Order:
    deadline = time.monotonic() + SAGA_WAIT_SECONDS
    while True:
        order = checkout.get_order(ctx, guest.id, order_id).order
        if is_terminal(order.status) or order.status == OrderStatus.CONFIRMED:
            return order
        if time.monotonic() > deadline:
            raise Unavailable(
                f"The saga did not settle order {order_id} within {SAGA_WAIT_SECONDS:.0f} s: "
                "are the relay and the saga workers running?"
            )
        time.sleep(0.1)


def hotel_page(room: QaHotel, check_in: date, check_out: date, guests: int = 1) -> str:
    query = f"check_in={check_in.isoformat()}&check_out={check_out.isoformat()}&guests={guests}"
    return f"/hotel/{room.hotel_id}?{query}"
