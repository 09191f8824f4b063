"""Builds the FastAPI application that serves the REST contract under /api."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from backend.api import errors
from backend.api.routes import auth, bookings, health, hotels, metrics, orders, search
from backend.bootstrap import Context, get_context


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
    root = APIRouter(prefix="/api")
    for module in (auth, hotels, bookings, orders, search, health, metrics):
        root.include_router(module.router)
    api.include_router(root)
    return api
