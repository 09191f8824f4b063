"""Request and response bodies of the REST contract (unknown fields are rejected)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from backend.cancellation import percent, rule_for
from backend.currency import DEFAULT_CURRENCY, convert
from backend.models import Booking, CancellationPolicy, User
from backend.services import auth
from backend.services.booking import HeldBooking
from backend.services.hotels import HotelView, RoomTypeView
from backend.services.refund_quote import Quote
from backend.stay_time import CHECK_IN_TIME, CHECK_OUT_TIME, DEFAULT_TIMEZONE

# Ids are PostgreSQL INTEGER (serial) columns: none is larger, and a larger number is an error
# in the query ("integer out of range") rather than a row not found; past 2^63 SQLite's driver
# overflows too. Out of range is therefore bad input (422), never a lookup.
MAX_ID = 2**31 - 1
# Numbers in bodies are strict: pydantic's lax mode would take JSON `true` as 1 and "2" as 2,
# values the published schema says are not numbers. (Floats still take integers.)
Id = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]


ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date(value: object) -> object:
    """Only the contract's `YYYY-MM-DD` text: lax mode also takes timestamps and datetimes."""
    if not (isinstance(value, str) and ISO_DATE.fullmatch(value)):
        raise ValueError("a date is text of the form YYYY-MM-DD")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]

# The request body size limit (backend/api/limits.py). The largest valid body is a hotel with
# every text field at its limit in characters that a client's JSON encoder may escape as
# surrogate pairs (12 bytes each): about 122 KiB. Nothing valid is refused, nothing huge is read.
MAX_BODY_BYTES = 128 * 1024

# PostgreSQL text cannot hold U+0000 (the driver refuses the whole statement), so no stored text
# may carry it; the rule is a pattern, so the OpenAPI document states it too.
NO_NUL = r"^[^\x00]*$"


def text(default: Any = ..., *, min_length: int | None = None, max_length: int) -> Any:
    """A text field that is stored: bounded (as its column is) and free of NUL characters."""
    return Field(default, min_length=min_length, max_length=max_length, pattern=NO_NUL)


Amenity = Annotated[str, text(min_length=1, max_length=50)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# The limits are the auth service's (the page's forms go through it too); documented here.
class RegisterIn(Strict):
    email: str = text(max_length=auth.MAX_EMAIL_LENGTH)
    password: str = Field(max_length=auth.MAX_PASSWORD_LENGTH)
    name: str = text(max_length=auth.MAX_NAME_LENGTH)


class LoginIn(Strict):
    email: str = text(max_length=auth.MAX_EMAIL_LENGTH)
    password: str = Field(max_length=auth.MAX_PASSWORD_LENGTH)


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
    room_type_id: Id
    check_in: IsoDate
    check_out: IsoDate
    guests: int = Field(strict=True, le=MAX_ID)  # 1..the room's capacity: the service checks


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
    hold_extended: bool = Field(description="The hold's one 5-minute extension was used.")


def booking_out(booking: Booking | HeldBooking) -> BookingOut:
    return BookingOut.model_validate(booking, from_attributes=True)


APPROXIMATE = (
    "In the guest's `currency` (default EUR) at the reference rates: approximate unless it is the "
    "hotel's own currency, which is what it charges."
)


class RoomTypeOut(BaseModel):
    id: int
    name: str
    capacity: int
    rooms: int
    price: Decimal = Field(description="A night, in the hotel's currency.")
    available: int | None
    total_price: Decimal | None = Field(
        None, description="With dates: the stay (price x nights), in the hotel's currency."
    )
    display_price: Decimal = Field(description=APPROXIMATE)
    display_total_price: Decimal | None = Field(None, description=APPROXIMATE)


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
    currency: str = Field(description="ISO 4217: what the hotel charges in.")
    timezone: str = Field(description="IANA zone of the hotel's clock, e.g. `Europe/Lisbon`.")
    check_in_time: str = Field(description="Check-in from, `HH:MM` on the hotel's clock.")
    check_out_time: str = Field(description="Check-out until, `HH:MM` on the hotel's clock.")
    cancellation_policy: str
    cancellation_rule: str = Field(description="The policy as a rule, in words.")
    room_types: list[RoomTypeOut]
    nights: int | None = Field(None, description="With dates: the stay's nights.")
    display_currency: str = Field(description="The guest's currency, of every display_* amount.")
    approximate: bool = Field(description="display_* amounts are conversions (not the charge).")


def hotel_out(
    view: HotelView, shown: str = DEFAULT_CURRENCY, nights: int | None = None
) -> HotelOut:
    """The hotel with its room types' prices, also in the guest's currency `shown` (checked)."""
    hotel = view.hotel
    return HotelOut(
        **hotel.model_dump(exclude={"updated_at"}, warnings=False),
        check_in_time=CHECK_IN_TIME.strftime("%H:%M"),
        check_out_time=CHECK_OUT_TIME.strftime("%H:%M"),
        cancellation_rule=rule_for(hotel.cancellation_policy).summary(),
        room_types=[_room_type_out(rt, hotel.currency, shown, nights) for rt in view.room_types],
        nights=nights,
        display_currency=shown,
        approximate=hotel.currency != shown,
    )


def _room_type_out(rt: RoomTypeView, own: str, shown: str, nights: int | None) -> RoomTypeOut:
    total = None if nights is None else rt.price * nights
    return RoomTypeOut(
        **rt.__dict__,
        total_price=total,
        display_price=convert(rt.price, own, shown),
        display_total_price=None if total is None else convert(total, own, shown),
    )


class CancellationQuoteOut(BaseModel):
    booking_id: int
    status: str = Field(description="`held` or `confirmed`: the booking as it is now.")
    policy: str = Field(description="`flexible`, `moderate` or `strict`.")
    rule: str = Field(description="The policy as a rule, in words.")
    timezone: str = Field(description="The hotel's IANA zone, in which the deadline is stated.")
    free_until: datetime | None = Field(
        description="Last moment of free cancellation (UTC); null when never free."
    )
    deadline_text: str = Field(description="The rule with its deadline on the hotel's clock.")
    paid: Decimal = Field(description="What was paid and can be refunded from (0 for a hold).")
    refund_percent: int
    refund: Decimal = Field(description="What cancelling now refunds, exactly.")
    currency: str
    quoted_at: datetime


def quote_out(quote: Quote) -> CancellationQuoteOut:
    fields = {k: v for k, v in quote.__dict__.items() if k != "refund_share"}
    return CancellationQuoteOut(**fields, refund_percent=percent(quote.refund_share))


class RoomTypeIn(Strict):
    name: str = text(min_length=1, max_length=120)
    capacity: int = Field(strict=True, ge=1, le=20)
    rooms: int = Field(strict=True, ge=0, le=10_000)
    price: Decimal = Field(ge=0, max_digits=10, decimal_places=2)


def _distinct_names(room_types: list[RoomTypeIn] | None) -> list[RoomTypeIn] | None:
    """Room types are matched by name on update, so one body naming one twice is ambiguous."""
    names = [rt.name for rt in room_types or []]
    if len(set(names)) != len(names):
        raise ValueError("each room type name may appear once")
    return room_types


class HotelIn(Strict):
    name: str = text(min_length=1, max_length=200)
    city: str = text(min_length=1, max_length=120)
    country: str = text(min_length=2, max_length=2)
    lat: float = Field(strict=True, ge=-90, le=90)
    lng: float = Field(strict=True, ge=-180, le=180)
    rating: float = Field(0, strict=True, ge=0, le=5)
    amenities: list[Amenity] = Field(default_factory=list, max_length=50)
    description: str = text("", max_length=5000)
    currency: str = text("EUR", min_length=3, max_length=3)
    timezone: str = text(DEFAULT_TIMEZONE, min_length=1, max_length=64)  # IANA: the service checks
    cancellation_policy: CancellationPolicy = CancellationPolicy.FLEXIBLE
    room_types: list[RoomTypeIn] = Field(default_factory=list, max_length=20)

    _room_types = field_validator("room_types")(_distinct_names)


def left_out(**constraints: Any) -> Any:
    """A PATCH field that may be left out (unchanged). None is only the unset default: the type
    stays `str`, `float`..., so a client's null is refused, as every field is required on a hotel."""
    return Field(None, **constraints)


class HotelPatch(Strict):
    """Only the fields given change."""

    name: str = text(None, min_length=1, max_length=200)
    city: str = text(None, min_length=1, max_length=120)
    country: str = text(None, min_length=2, max_length=2)
    lat: float = left_out(strict=True, ge=-90, le=90)
    lng: float = left_out(strict=True, ge=-180, le=180)
    rating: float = left_out(strict=True, ge=0, le=5)
    amenities: list[Amenity] = left_out(max_length=50)
    description: str = text(None, max_length=5000)
    currency: str = text(None, min_length=3, max_length=3)
    timezone: str = text(None, min_length=1, max_length=64)
    cancellation_policy: CancellationPolicy = left_out()
    room_types: list[RoomTypeIn] = left_out(max_length=20)

    _room_types = field_validator("room_types")(_distinct_names)


class HealthOut(BaseModel):
    status: str = Field(description="`ok`, or `degraded` when any component is down.")
    components: dict[str, str] = Field(
        description="database, redis, broker, search: each `ok` or an error string."
    )
