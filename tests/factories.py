"""Small builders for test data, shared by the integration tests."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from backend.context import Context
from backend.services import auth
from backend.services.hotels import RoomTypeSpec, create_hotel


def make_hotel(
    ctx: Context,
    *,
    rooms: int = 1,
    capacity: int = 2,
    price: str = "120.00",
    name: str = "Hotel Test",
) -> tuple[int, int]:
    """A hotel with one room type; returns (hotel_id, room_type_id)."""
    view = create_hotel(
        ctx,
        {
            "name": name,
            "city": "Lisbon",
            "country": "PT",
            "lat": 38.72,
            "lng": -9.14,
            "rating": 4.2,
            "amenities": ["wifi", "pool"],
            "description": "By the river.",
            "currency": "EUR",
        },
        [RoomTypeSpec(name="Double", capacity=capacity, rooms=rooms, price=Decimal(price))],
    )
    return view.hotel.id or 0, view.room_types[0].id


def make_user(
    ctx: Context, email: str = "guest@example.com", *, admin: bool = False
) -> tuple[str, int]:
    user = auth.ensure_user(ctx, email, "correct horse battery", "Guest", is_admin=admin)
    return auth.issue_token(ctx, user), user.id or 0


def stay(days_ahead: int = 10, nights: int = 2) -> tuple[date, date]:
    check_in = date.today() + timedelta(days=days_ahead)
    return check_in, check_in + timedelta(days=nights)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def booking_body(room_type_id: int, check_in: date, check_out: date, guests: int = 2) -> dict:
    """A POST /api/bookings body."""
    return {
        "room_type_id": room_type_id,
        "check_in": check_in.isoformat(),
        "check_out": check_out.isoformat(),
        "guests": guests,
    }
