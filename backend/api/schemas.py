"""Request and response bodies of the REST contract (unknown fields are rejected)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from backend.models import Booking, User
from backend.services.hotels import HotelView


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterIn(Strict):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)
    name: str = Field(max_length=200)


class LoginIn(Strict):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class UserOut(BaseModel):
    id: int
    email: str
    name: str


class MeOut(UserOut):
    is_admin: bool


class AuthOut(BaseModel):
    token: str
    user: UserOut


def user_out(user: User) -> UserOut:
    return UserOut(id=user.id or 0, email=user.email, name=user.name)


class BookingIn(Strict):
    room_type_id: int
    check_in: date
    check_out: date
    guests: int


class BookingOut(BaseModel):
    id: int
    status: str
    hold_expires_at: datetime
    total_price: Decimal
    currency: str
    room_type_id: int
    hotel_id: int
    check_in: date
    check_out: date
    guests: int
    created_at: datetime


def booking_out(booking: Booking) -> BookingOut:
    return BookingOut.model_validate(booking, from_attributes=True)


class RoomTypeOut(BaseModel):
    id: int
    name: str
    capacity: int
    rooms: int
    price: Decimal
    available: int | None


class HotelOut(BaseModel):
    id: int
    name: str
    city: str
    country: str
    lat: float
    lng: float
    rating: float
    amenities: list[str]
    description: str
    currency: str
    cancellation_policy: str
    room_types: list[RoomTypeOut]


def hotel_out(view: HotelView) -> HotelOut:
    hotel = view.hotel
    return HotelOut(
        **hotel.model_dump(exclude={"updated_at"}, warnings=False),
        room_types=[RoomTypeOut(**rt.__dict__) for rt in view.room_types],
    )


class RoomTypeIn(Strict):
    name: str = Field(min_length=1, max_length=120)
    capacity: int = Field(ge=1, le=20)
    rooms: int = Field(ge=0, le=10_000)
    price: Decimal = Field(ge=0, max_digits=10, decimal_places=2)


class HotelIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    city: str = Field(min_length=1, max_length=120)
    country: str = Field(min_length=2, max_length=2)
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    rating: float = Field(0, ge=0, le=5)
    amenities: list[str] = Field(default_factory=list, max_length=50)
    description: str = Field("", max_length=5000)
    currency: str = Field("EUR", min_length=3, max_length=3)
    cancellation_policy: str = "flexible"
    room_types: list[RoomTypeIn] = Field(default_factory=list, max_length=20)


class HotelPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    city: str | None = Field(None, min_length=1, max_length=120)
    country: str | None = Field(None, min_length=2, max_length=2)
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)
    rating: float | None = Field(None, ge=0, le=5)
    amenities: list[str] | None = Field(None, max_length=50)
    description: str | None = Field(None, max_length=5000)
    currency: str | None = Field(None, min_length=3, max_length=3)
    cancellation_policy: str | None = None
    room_types: list[RoomTypeIn] | None = Field(None, max_length=20)
