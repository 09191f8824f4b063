from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from backend.api.deps import AdminUser, ContextDep, PathId
from backend.api.errors import error_responses
from backend.api.schemas import MAX_ID, HotelIn, HotelOut, HotelPatch, RoomTypeIn, hotel_out
from backend.currency import DEFAULT_CURRENCY, checked
from backend.errors import InvalidInput
from backend.services import hotels
from backend.services.hotels import RoomTypeSpec, Stay

router = APIRouter(tags=["hotels"])
# Admin edits: every one needs an admin's token.
admin_router = APIRouter(prefix="/admin", tags=["admin"], responses=error_responses(401, 403))
NO_SUCH_HOTEL = error_responses((404, "`not_found`: no such hotel."))
GET_HOTEL = error_responses(
    (404, "`not_found`: no such hotel."),
    (422, "`invalid_input`: a bad value, half-given dates, an unknown `currency`."),
)


def _specs(room_types: list[RoomTypeIn]) -> list[RoomTypeSpec]:
    return [RoomTypeSpec(**rt.model_dump()) for rt in room_types]


@router.get("/hotels/{hotel_id}", responses=GET_HOTEL)
def get_hotel(
    hotel_id: PathId,
    ctx: ContextDep,
    check_in: date | None = None,
    check_out: date | None = None,
    guests: Annotated[int | None, Query(le=MAX_ID)] = None,
    currency: Annotated[
        str | None, Query(description="ISO 4217: the guest's, for display_* (default EUR).")
    ] = None,
) -> HotelOut:
    """A hotel and its room types; with dates, each one's rooms free and the stay's total."""
    if (check_in is None) != (check_out is None):
        raise InvalidInput("Give both check_in and check_out, or neither.")
    shown = checked(DEFAULT_CURRENCY if currency is None else currency)
    stay = Stay(check_in, check_out, guests) if check_in and check_out else None
    nights = (stay.check_out - stay.check_in).days if stay else None
    return hotel_out(hotels.get_hotel(ctx, hotel_id, stay), shown, nights)


@admin_router.post("/hotels", status_code=201)
def create_hotel(body: HotelIn, ctx: ContextDep, _: AdminUser) -> HotelOut:
    fields = body.model_dump(exclude={"room_types"})
    return hotel_out(hotels.create_hotel(ctx, fields, _specs(body.room_types)))


@admin_router.patch("/hotels/{hotel_id}", responses=NO_SUCH_HOTEL)
def update_hotel(hotel_id: PathId, body: HotelPatch, ctx: ContextDep, _: AdminUser) -> HotelOut:
    fields = body.model_dump(exclude_unset=True, exclude={"room_types"})
    specs = _specs(body.room_types) if body.room_types is not None else None
    return hotel_out(hotels.update_hotel(ctx, hotel_id, fields, specs))


@admin_router.delete("/hotels/{hotel_id}", status_code=204, responses=NO_SUCH_HOTEL)
def delete_hotel(hotel_id: PathId, ctx: ContextDep, _: AdminUser) -> Response:
    hotels.delete_hotel(ctx, hotel_id)
    return Response(status_code=204)


@admin_router.delete(
    "/hotels/{hotel_id}/room_types/{room_type_id}",
    status_code=204,
    responses=error_responses(
        (404, "`not_found`: no such hotel, or the room type is another hotel's."),
        (409, "`room_type_in_use`: held or confirmed bookings from today on."),
        (422, "`invalid_input`: it is the hotel's last room type, or an id is out of range."),
    ),
)
def remove_room_type(
    hotel_id: PathId, room_type_id: PathId, ctx: ContextDep, _: AdminUser
) -> Response:
    """Remove one room type of a hotel; it leaves search within a second.

    Refused while guests hold or have booked it for tonight or later (set its rooms to 0 to stop
    selling it meanwhile). Past, cancelled and expired bookings keep their history.
    """
    hotels.remove_room_type(ctx, hotel_id, room_type_id)
    return Response(status_code=204)


router.include_router(admin_router)
