"""Route `/api` to the FastAPI app and everything else to Reflex.

Used as `rx.App(api_transformer=mount_api)`. Unlike passing the FastAPI instance
directly (which mounts Reflex *behind* FastAPI, so an unknown `/api/...` path falls
through to Reflex's HTML 404 page), this dispatcher sends every `/api` request to
FastAPI, which answers unknown paths with its own JSON 404.

Everything it serves (the prerendered pages and assets Reflex's backend serves in prod, and the
API) carries the security headers of backend/api/security.py; the page's websocket accepts only
the app's own origin and the configured ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from app.components.leaflet_map import tile_url
from backend.api.security import SecurityHeadersMiddleware, origin_allowed, page_csp, tile_origin

API_PREFIX = "/api"


def is_api_path(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def mount_api(reflex_asgi: ASGIApp) -> ASGIApp:
    """Wrap Reflex's ASGI app so `/api` and `/api/...` go to the REST API.

    Lifespan events and all other http/websocket traffic go to Reflex unchanged.
    The FastAPI app is built once, when Reflex applies the transformer.
    """
    from backend.api.main import create_api

    api = create_api()

    async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and is_api_path(scope.get("path", "")):
            await api(scope, receive, send)
        else:
            await reflex_asgi(scope, receive, send)

    tiles = tile_origin(tile_url())
    csp = page_csp([tiles] if tiles else [])
    return SecurityHeadersMiddleware(dispatch, policy=lambda _path: csp)


def websocket_origin_allowed(origin: str | None, environ: Mapping[str, Any]) -> bool:
    """For the Socket.IO server (engineio's `cors_allowed_origins` callable): a page of another
    site must not drive a guest's session over the websocket."""
    from reflex.config import get_config

    allowed = get_config().cors_allowed_origins
    return origin_allowed(origin, environ.get("HTTP_HOST"), allowed)
