"""Builds the FastAPI application that serves the REST contract under /api."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.api import errors
from backend.api.deps import plain_query
from backend.api.limits import BodyLimitMiddleware
from backend.api.routes import auth, bookings, health, hotels, metrics, orders, search
from backend.api.security import API_CSP, DOCS_CSP, SecurityHeadersMiddleware
from backend.bootstrap import get_context
from backend.context import Context
from backend.logs import bind

REQUEST_ID_HEADER = "X-Request-ID"
SWAGGER_DIR = Path(__file__).resolve().parents[2] / ".tools/node_modules/swagger-ui-dist"


def create_api(ctx: Context | None = None) -> FastAPI:
    api = FastAPI(
        title="Trinity",
        summary="Hotel booking: holds that never oversell, map search, payment saga.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # served by _mount_docs with local assets (offline machines)
        redoc_url=None,
    )
    api.state.ctx = ctx or get_context()
    api.state.database_gauges = metrics.DatabaseGauges(api.state.ctx.settings.metrics_cache_seconds)
    errors.install(api)
    api.add_middleware(BodyLimitMiddleware)
    api.add_middleware(SecurityHeadersMiddleware, policy=_api_policy)
    api.add_middleware(RequestIdMiddleware)  # added last, so outermost: a 413 carries the id too
    # Each module's router straight on the app (not under a router of routers: every level is
    # one more match walk per request). What any operation can answer: a body over the limit, a
    # bad query string (every operation takes one), and a backing server that is down.
    shared: dict[str, Any] = {
        "prefix": "/api",
        "dependencies": [Depends(plain_query)],
        "responses": errors.error_responses(413, 422, 503),
    }
    # search first: the map asks it on every pan, and routes are matched in order.
    for module in (search, auth, hotels, bookings, orders, health, metrics):
        api.include_router(module.router, **shared)
    if api.state.ctx.settings.test_mode:  # off, /api/test/* does not exist at all
        from backend.api.routes import testmode

        api.include_router(testmode.router, **shared)
    _mount_docs(api)
    return api


def _api_policy(path: str) -> str:
    return DOCS_CSP if path.startswith("/api/docs") else API_CSP


def _mount_docs(api: FastAPI) -> None:
    """Swagger UI from `.tools/` (make installs it) when present, else FastAPI's CDN default."""
    local = SWAGGER_DIR.is_dir()
    if local:
        api.mount("/api/docs-assets", StaticFiles(directory=SWAGGER_DIR), name="docs-assets")

    @api.get("/api/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        if not local:
            return get_swagger_ui_html(openapi_url="/api/openapi.json", title="Trinity API")
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="Trinity API",
            swagger_js_url="/api/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/api/docs-assets/swagger-ui.css",
            swagger_favicon_url="/api/docs-assets/favicon-32x32.png",
        )


class RequestIdMiddleware:
    """Every log line of a request carries its id; a caller's own id is kept for tracing.

    A plain ASGI middleware: Starlette's BaseHTTPMiddleware would add a task and a stream per
    request on the hot path.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = Headers(scope=scope).get(REQUEST_ID_HEADER, "")[:64] or uuid.uuid4().hex

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        with bind(request_id=request_id):
            await self.app(scope, receive, send_with_id)
