from datetime import date

from fastapi import APIRouter, Response

from backend.api.deps import AdminUser, ContextDep
from backend.api.schemas import HotelIn, HotelOut, HotelPatch, RoomTypeIn, hotel_out
from backend.errors import InvalidInput
from backend.services import hotels
from backend.services.hotels import RoomTypeSpec, Stay

router = APIRouter(tags=["hotels"])


def _specs(room_types: list[RoomTypeIn]) -> list[RoomTypeSpec]:
    return [RoomTypeSpec(**rt.model_dump()) for rt in room_types]


@router.get("/hotels/{hotel_id}")
def get_hotel(
    hotel_id: int,
    ctx: ContextDep,
    check_in: date | None = None,
    check_out: date | None = None,
    guests: int | None = None,
) -> HotelOut:
    if (check_in is None) != (check_out is None):
        raise InvalidInput("Give both check_in and check_out, or neither.")
    stay = Stay(check_in, check_out, guests) if check_in and check_out else None
    return hotel_out(hotels.get_hotel(ctx, hotel_id, stay))


@router.post("/admin/hotels", status_code=201, tags=["admin"])
def create_hotel(body: HotelIn, ctx: ContextDep, _: AdminUser) -> HotelOut:
    fields = body.model_dump(exclude={"room_types"})
    return hotel_out(hotels.create_hotel(ctx, fields, _specs(body.room_types)))


@router.patch("/admin/hotels/{hotel_id}", tags=["admin"])
def update_hotel(hotel_id: int, body: HotelPatch, ctx: ContextDep, _: AdminUser) -> HotelOut:
    fields = body.model_dump(exclude_unset=True, exclude={"room_types"})
    specs = _specs(body.room_types) if body.room_types is not None else None
    return hotel_out(hotels.update_hotel(ctx, hotel_id, fields, specs))


@router.delete("/admin/hotels/{hotel_id}", status_code=204, tags=["admin"])
def delete_hotel(hotel_id: int, ctx: ContextDep, _: AdminUser) -> Response:
    hotels.delete_hotel(ctx, hotel_id)
    return Response(status_code=204)


@router.delete(
    "/admin/hotels/{hotel_id}/room_types/{room_type_id}",
    status_code=204,
    tags=["admin"],
    responses={
        401: {"description": "`unauthorized`: no or an invalid bearer token."},
        403: {"description": "`forbidden`: the user is not an admin."},
        404: {"description": "`not_found`: no such hotel, or the room type is another hotel's."},
        409: {"description": "`room_type_in_use`: held or confirmed bookings from today on."},
        422: {"description": "`invalid_input`: it is the hotel's last room type."},
    },
)
def remove_room_type(hotel_id: int, room_type_id: int, ctx: ContextDep, _: AdminUser) -> Response:
    """Remove one room type of a hotel; it leaves search within a second.

    Refused while guests hold or have booked it for tonight or later (set its rooms to 0 to stop
    selling it meanwhile). Past, cancelled and expired bookings keep their history.
    """
    hotels.remove_room_type(ctx, hotel_id, room_type_id)
    return Response(status_code=204)
