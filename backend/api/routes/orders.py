"""Flow 3's HTTP face: POST /api/checkout and GET /api/orders[/{id}]."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from backend.api.deps import ContextDep, CurrentUser, IdempotencyKey, PathId
from backend.api.errors import error_responses
from backend.api.idempotent import answer_once
from backend.api.schemas import NO_NUL, Id
from backend.models import Order
from backend.services import checkout as checkouts

# Every order operation needs a token.
router = APIRouter(tags=["orders"], responses=error_responses(401))


class CheckoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    booking_id: Id
    card_number: str = Field(min_length=1, max_length=40, pattern=NO_NUL)


class CheckoutOut(BaseModel):
    order_id: int
    status: str


class OrderEventOut(BaseModel):
    type: str
    at: datetime
    detail: str
    data: dict[str, Any]


class OrderOut(BaseModel):
    id: int
    booking_id: int
    status: str
    amount: Decimal
    refunded_amount: Decimal
    currency: str
    created_at: datetime
    updated_at: datetime
    events: list[OrderEventOut] = []


def order_out(order: Order, events: list[OrderEventOut] | None = None) -> OrderOut:
    view = OrderOut.model_validate(order, from_attributes=True)
    view.events = events or []
    return view


@router.post(
    "/checkout",
    status_code=202,
    response_model=CheckoutOut,
    responses=error_responses(
        (404, "`not_found`: no such booking, or another user's."),
        (409, "`not_payable`: the booking is not a live hold (expired, cancelled, or paid)."),
        (
            422,
            "`invalid_input` (a card number that fails the Luhn check...), or "
            "`idempotency_key_reused`: the key came with a different body before.",
        ),
    ),
)
def checkout(
    body: CheckoutIn, ctx: ContextDep, user: CurrentUser, key: IdempotencyKey = None
) -> JSONResponse:
    request = checkouts.CheckoutRequest(user_id=user.id or 0, **body.model_dump())

    def pay() -> CheckoutOut:
        order = checkouts.checkout(ctx, request)
        return CheckoutOut(order_id=order.id or 0, status=order.status)

    return answer_once(
        ctx,
        user_id=user.id or 0,
        scope="checkout",
        key=key,
        body=body,
        success_status=202,
        action=pay,
    )


@router.get("/orders")
def list_orders(ctx: ContextDep, user: CurrentUser) -> list[OrderOut]:
    """The guest's own orders, newest first (without their timelines)."""
    return [order_out(order) for order in checkouts.list_orders(ctx, user.id or 0)]


@router.get("/orders/{order_id}", responses=error_responses(404))
def get_order(order_id: PathId, ctx: ContextDep, user: CurrentUser) -> OrderOut:
    view = checkouts.get_order(ctx, user.id or 0, order_id)
    events = [
        OrderEventOut(type=e.type, at=e.at, detail=e.detail, data=e.data) for e in view.events
    ]
    return order_out(view.order, events)
