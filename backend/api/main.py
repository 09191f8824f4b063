"""Builds the FastAPI application that serves the REST contract under /api."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Request, Response

from backend.api import errors
from backend.api.routes import auth, bookings, health, hotels, metrics, orders, search
from backend.bootstrap import Context, get_context
from backend.logs import bind

REQUEST_ID_HEADER = "X-Request-ID"


def create_api(ctx: Context | None = None) -> FastAPI:
    api = FastAPI(
        title="Trinity",
        summary="Hotel booking: holds that never oversell, map search, payment saga.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    api.state.ctx = ctx or get_context()
    errors.install(api)
    api.middleware("http")(_with_request_id)
    root = APIRouter(prefix="/api")
    for module in (auth, hotels, bookings, orders, search, health, metrics):
        root.include_router(module.router)
    api.include_router(root)
    return api


async def _with_request_id(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Every log line of a request carries its id; a caller's own id is kept for tracing."""
    request_id = request.headers.get(REQUEST_ID_HEADER, "")[:64] or uuid.uuid4().hex
    with bind(request_id=request_id):
        response = await call_next(request)
    response.headers[REQUEST_ID_HEADER] = request_id
    return response
