"""Hotels as guests see them (with availability for dates) and as admins edit them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, func, select

from backend import currency
from backend.context import Context
from backend.errors import InvalidInput, NotFound, RoomTypeInUse
from backend.inventory import busiest_night_reserved
from backend.models import (
    Booking,
    BookingStatus,
    CancellationPolicy,
    Hotel,
    RoomInventory,
    RoomType,
    utcnow,
)
from backend.services.booking import validate_stay
from backend.stay_time import check_timezone, local_today


@dataclass
class RoomTypeView:
    id: int
    name: str
    capacity: int
    rooms: int
    price: Decimal
    available: int | None  # rooms free for every night of the stay; None without dates


@dataclass
class HotelView:
    hotel: Hotel
    room_types: list[RoomTypeView] = field(default_factory=list)


@dataclass(frozen=True)
class Stay:
    check_in: date
    check_out: date
    guests: int | None = None


def get_hotel(ctx: Context, hotel_id: int, stay: Stay | None = None) -> HotelView:
    if stay is not None:
        validate_stay(stay.check_in, stay.check_out, None)
        if stay.guests is not None and stay.guests < 1:
            raise InvalidInput("guests must be at least 1.")
    with ctx.unit_of_work() as uow:
        session = uow.session
        hotel = session.get(Hotel, hotel_id)
        if hotel is None:
            raise NotFound(f"Hotel {hotel_id} does not exist.")
        if stay is not None:  # "today" is the hotel's
            validate_stay(stay.check_in, stay.check_out, local_today(hotel.timezone, ctx.clock()))
        room_types = session.exec(
            select(RoomType).where(RoomType.hotel_id == hotel_id).order_by(col(RoomType.price))
        ).all()
        reserved = (
            busiest_night_reserved(
                session, [rt.id or 0 for rt in room_types], stay.check_in, stay.check_out
            )
            if stay
            else {}
        )
    views = [
        RoomTypeView(
            id=rt.id or 0,
            name=rt.name,
            capacity=rt.capacity,
            rooms=rt.rooms,
            price=rt.price,
            available=max(0, rt.rooms - reserved.get(rt.id or 0, 0)) if stay else None,
        )
        for rt in room_types
        if stay is None or stay.guests is None or rt.capacity >= stay.guests
    ]
    return HotelView(hotel=hotel, room_types=views)


@dataclass
class RoomTypeSpec:
    name: str
    capacity: int
    rooms: int
    price: Decimal


def _check_room_type(spec: RoomTypeSpec) -> None:
    if spec.capacity < 1 or spec.rooms < 0 or spec.price < 0:
        raise InvalidInput("A room type needs capacity >= 1, rooms >= 0 and price >= 0.")


def _check_hotel_fields(fields: dict[str, Any]) -> None:
    if "lat" in fields and not -90 <= fields["lat"] <= 90:
        raise InvalidInput("lat must be between -90 and 90.")
    if "lng" in fields and not -180 <= fields["lng"] <= 180:
        raise InvalidInput("lng must be between -180 and 180.")
    if "rating" in fields and not 0 <= fields["rating"] <= 5:
        raise InvalidInput("rating must be between 0 and 5.")
    if "cancellation_policy" in fields:
        try:
            CancellationPolicy(fields["cancellation_policy"])
        except ValueError:
            allowed = ", ".join(p.value for p in CancellationPolicy)
            raise InvalidInput(f"cancellation_policy must be one of {allowed}.") from None
    if "currency" in fields:
        # Guests see every price converted from it: it must be one the rate table knows.
        fields["currency"] = currency.checked(str(fields["currency"]))
    if "timezone" in fields:
        check_timezone(fields["timezone"])
    for name in ("name", "city"):
        if name in fields and not str(fields[name]).strip():
            raise InvalidInput(f"{name} cannot be empty.")


def create_hotel(ctx: Context, fields: dict[str, Any], room_types: list[RoomTypeSpec]) -> HotelView:
    _check_hotel_fields(fields)
    for spec in room_types:
        _check_room_type(spec)
    with ctx.unit_of_work() as uow:
        session = uow.session
        hotel = Hotel(**fields)
        session.add(hotel)
        session.flush()
        for spec in room_types:
            session.add(RoomType(hotel_id=hotel.id or 0, **spec.__dict__))
        uow.commit()
    return get_hotel(ctx, hotel.id or 0)


def update_hotel(
    ctx: Context, hotel_id: int, fields: dict[str, Any], room_types: list[RoomTypeSpec] | None
) -> HotelView:
    """Patch hotel fields; a given room_types list replaces prices/rooms by name, adds new ones."""
    _check_hotel_fields(fields)
    for spec in room_types or []:
        _check_room_type(spec)
    with ctx.unit_of_work() as uow:
        session = uow.session
        hotel = session.get(Hotel, hotel_id)
        if hotel is None:
            raise NotFound(f"Hotel {hotel_id} does not exist.")
        for name, value in fields.items():
            setattr(hotel, name, value)
        hotel.updated_at = utcnow()
        session.add(hotel)
        existing = {
            rt.name: rt
            for rt in session.exec(select(RoomType).where(RoomType.hotel_id == hotel_id)).all()
        }
        for spec in room_types or []:
            room_type = existing.get(spec.name)
            if room_type is None:
                room_type = RoomType(hotel_id=hotel_id, **spec.__dict__)
            else:
                room_type.capacity, room_type.rooms, room_type.price = (
                    spec.capacity,
                    spec.rooms,
                    spec.price,
                )
            session.add(room_type)
        uow.commit()
    return get_hotel(ctx, hotel_id)


def delete_hotel(ctx: Context, hotel_id: int) -> None:
    with ctx.unit_of_work() as uow:
        session = uow.session
        hotel = session.get(Hotel, hotel_id)
        if hotel is None:
            raise NotFound(f"Hotel {hotel_id} does not exist.")
        session.delete(hotel)
        uow.commit()


def remove_room_type(ctx: Context, hotel_id: int, room_type_id: int) -> None:
    """Delete one room type of a hotel, with its night rows (the foreign key cascades).

    Refused while a guest holds or has booked it for tonight or a later night. Past, cancelled and
    expired bookings keep their rows as history (bookings carry no foreign key to room types), like
    a deleted hotel's. The change-capture trigger on room_types tells search.
    """
    with ctx.unit_of_work() as uow:
        session = uow.session
        # Lock order: the hotel (as update_hotel does), then the night rows and the room type (as a
        # hold does, its insert checking the foreign key): a hold in flight either commits first
        # and its booking is counted below, or waits for this delete and then fails.
        hotel = session.exec(select(Hotel).where(Hotel.id == hotel_id).with_for_update()).first()
        session.exec(
            select(col(RoomInventory.night))
            .where(RoomInventory.room_type_id == room_type_id)
            .with_for_update()
        ).all()
        room_type = session.exec(
            select(RoomType).where(RoomType.id == room_type_id).with_for_update()
        ).first()
        if hotel is None or room_type is None or room_type.hotel_id != hotel_id:
            raise NotFound(f"Hotel {hotel_id} has no room type {room_type_id}.")
        siblings = session.exec(
            select(func.count()).select_from(RoomType).where(RoomType.hotel_id == hotel_id)
        ).one()
        if siblings <= 1:
            raise InvalidInput(
                f"{room_type.name} is the hotel's last room type: add another one first, "
                "or delete the hotel."
            )
        live = _live_bookings(session, room_type_id, ctx.clock().date())
        if live:
            plural = "booking" if live == 1 else "bookings"
            raise RoomTypeInUse(
                f"{room_type.name} has {live} held or confirmed {plural} from today on: "
                "set its rooms to 0 to stop selling it, and remove it once they are over."
            )
        session.delete(room_type)
        uow.commit()


def _live_bookings(session: Session, room_type_id: int, today: date) -> int:
    return session.exec(
        select(func.count())
        .select_from(Booking)
        .where(Booking.room_type_id == room_type_id)
        .where(col(Booking.status).in_([BookingStatus.HELD, BookingStatus.CONFIRMED]))
        .where(Booking.check_out > today)
    ).one()
