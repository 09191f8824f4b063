from fastapi import APIRouter
from fastapi.responses import JSONResponse

from backend.api.deps import ContextDep, CurrentUserId, IdempotencyKey
from backend.api.idempotent import answer_once
from backend.api.schemas import BookingIn, BookingOut, booking_out
from backend.services import booking as bookings

router = APIRouter(prefix="/bookings", tags=["bookings"])


@router.post("", status_code=201, response_model=BookingOut)
def create_booking(
    body: BookingIn, ctx: ContextDep, user_id: CurrentUserId, key: IdempotencyKey = None
) -> JSONResponse:
    request = bookings.HoldRequest(user_id=user_id, **body.model_dump())
    return answer_once(
        ctx,
        user_id=user_id,
        scope="bookings",
        key=key,
        body=body,
        success_status=201,
        action=lambda: booking_out(bookings.hold_room(ctx, request)),
    )


@router.get("")
def list_bookings(ctx: ContextDep, user_id: CurrentUserId) -> list[BookingOut]:
    return [booking_out(b) for b in bookings.list_bookings(ctx, user_id)]


@router.get("/{booking_id}")
def get_booking(booking_id: int, ctx: ContextDep, user_id: CurrentUserId) -> BookingOut:
    return booking_out(bookings.get_booking(ctx, user_id, booking_id))


@router.delete("/{booking_id}")
def cancel_booking(booking_id: int, ctx: ContextDep, user_id: CurrentUserId) -> BookingOut:
    return booking_out(bookings.cancel_booking(ctx, user_id, booking_id))
