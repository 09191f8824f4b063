from fastapi import APIRouter
from fastapi.responses import JSONResponse

from backend.api.deps import ContextDep, CurrentUserId, IdempotencyKey, PathId
from backend.api.errors import error_responses
from backend.api.idempotent import answer_once
from backend.api.schemas import BookingIn, BookingOut, booking_out
from backend.services import booking as bookings

# Every booking operation needs a token; only someone's own bookings exist for them (404).
router = APIRouter(prefix="/bookings", tags=["bookings"], responses=error_responses(401))


@router.post(
    "",
    status_code=201,
    response_model=BookingOut,
    responses=error_responses(
        (404, "`not_found`: no such room type."),
        (
            409,
            "`sold_out`: no room for some night; `busy`: the room's lock stayed contended "
            "after the retries.",
        ),
        (
            422,
            "`invalid_input` (bad dates, guests, unknown fields...), or "
            "`idempotency_key_reused`: the key came with a different body before.",
        ),
    ),
)
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


@router.get("/{booking_id}", responses=error_responses(404))
def get_booking(booking_id: PathId, ctx: ContextDep, user_id: CurrentUserId) -> BookingOut:
    return booking_out(bookings.get_booking(ctx, user_id, booking_id))


@router.delete(
    "/{booking_id}",
    responses=error_responses(
        404, (409, "`not_cancellable`: the booking is already cancelled or expired.")
    ),
)
def cancel_booking(booking_id: PathId, ctx: ContextDep, user_id: CurrentUserId) -> BookingOut:
    return booking_out(bookings.cancel_booking(ctx, user_id, booking_id))
