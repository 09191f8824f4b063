from fastapi import APIRouter
from fastapi.responses import JSONResponse

from backend.api.deps import ContextDep, CurrentUser, IdempotencyKey
from backend.api.errors import error_body, status_of
from backend.api.schemas import BookingIn, BookingOut, booking_out
from backend.errors import TrinityError
from backend.services import booking as bookings
from backend.services import idempotency

router = APIRouter(prefix="/bookings", tags=["bookings"])


@router.post("", status_code=201, response_model=BookingOut)
def create_booking(
    body: BookingIn, ctx: ContextDep, user: CurrentUser, key: IdempotencyKey = None
) -> JSONResponse:
    request = bookings.HoldRequest(user_id=user.id or 0, **body.model_dump())

    def hold() -> idempotency.Response:
        try:
            held = bookings.hold_room(ctx, request)
        except TrinityError as error:
            return status_of(error), error_body(error.code, error.message)
        return 201, booking_out(held).model_dump(mode="json")

    if key is None:
        status, payload = hold()
    else:
        status, payload = idempotency.run_once(
            ctx,
            user_id=user.id or 0,
            scope="bookings",
            key=key,
            body=body.model_dump(mode="json"),
            action=hold,
        )
    return JSONResponse(payload, status_code=status)


@router.get("")
def list_bookings(ctx: ContextDep, user: CurrentUser) -> list[BookingOut]:
    return [booking_out(b) for b in bookings.list_bookings(ctx, user.id or 0)]


@router.get("/{booking_id}")
def get_booking(booking_id: int, ctx: ContextDep, user: CurrentUser) -> BookingOut:
    return booking_out(bookings.get_booking(ctx, user.id or 0, booking_id))


@router.delete("/{booking_id}")
def cancel_booking(booking_id: int, ctx: ContextDep, user: CurrentUser) -> BookingOut:
    return booking_out(bookings.cancel_booking(ctx, user.id or 0, booking_id))
