from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from backend.api.deps import BearerToken, ContextDep, CurrentUserId, IdempotencyKey, PathId
from backend.api.errors import error_responses
from backend.api.idempotent import answer_once
from backend.api.schemas import (
    BookingIn,
    BookingOut,
    CancellationQuoteOut,
    booking_out,
    quote_out,
)
from backend.services import auth, refund_quote
from backend.services import booking as bookings

# Every booking operation needs a token; only someone's own bookings exist for them (404).
RESUMED = "The guest's own live hold of the same room type and dates, resumed: no second room."
HOLD_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"model": BookingOut, "description": RESUMED},
    201: {"description": "A new hold."},
}
router = APIRouter(prefix="/bookings", tags=["bookings"], responses=error_responses(401))


@router.post(
    "",
    status_code=201,
    response_model=BookingOut,
    responses=HOLD_ANSWERS
    | error_responses(
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
    body: BookingIn, ctx: ContextDep, token: BearerToken, key: IdempotencyKey = None
) -> JSONResponse:
    # The token's check here rather than as a `CurrentUserId` dependency: a sync dependency runs
    # on a worker thread of its own, a second thread hop on the hot path (same 401s).
    user_id = auth.user_id_from_token(ctx, token)
    request = bookings.HoldRequest(user_id=user_id, **body.model_dump())
    return answer_once(
        ctx,
        user_id=user_id,
        scope="bookings",
        key=key,
        body=body,
        action=lambda: _hold(ctx, request),
    )


def _hold(ctx: ContextDep, request: bookings.HoldRequest) -> tuple[int, BookingOut]:
    hold = bookings.hold_or_resume(ctx, request)
    return (200 if hold.resumed else 201), booking_out(hold.booking)


@router.get("")
def list_bookings(ctx: ContextDep, user_id: CurrentUserId) -> list[BookingOut]:
    return [booking_out(b) for b in bookings.list_bookings(ctx, user_id)]


@router.get("/{booking_id}", responses=error_responses(404))
def get_booking(booking_id: PathId, ctx: ContextDep, user_id: CurrentUserId) -> BookingOut:
    return booking_out(bookings.get_booking(ctx, user_id, booking_id))


@router.get(
    "/{booking_id}/cancellation-quote",
    responses=error_responses(
        404, (409, "`not_cancellable`: the booking is already cancelled or expired.")
    ),
)
def cancellation_quote(
    booking_id: PathId, ctx: ContextDep, user_id: CurrentUserId
) -> CancellationQuoteOut:
    """What cancelling now refunds, by the hotel's rule and its deadline on the hotel's clock."""
    return quote_out(refund_quote.quote_cancellation(ctx, user_id, booking_id))


@router.post(
    "/{booking_id}/extend",
    responses=error_responses(
        404,
        (409, "`not_extendable`: the hold is not live, or was extended once already."),
    ),
)
def extend_hold(booking_id: PathId, ctx: ContextDep, user_id: CurrentUserId) -> BookingOut:
    """Five more minutes on a live hold, once per hold."""
    return booking_out(bookings.extend_hold(ctx, user_id, booking_id))


@router.delete(
    "/{booking_id}",
    responses=error_responses(
        404, (409, "`not_cancellable`: the booking is already cancelled or expired.")
    ),
)
def cancel_booking(booking_id: PathId, ctx: ContextDep, user_id: CurrentUserId) -> BookingOut:
    return booking_out(bookings.cancel_booking(ctx, user_id, booking_id))
