"""Route `/api` to the FastAPI app and everything else to Reflex.

Used as `rx.App(api_transformer=mount_api)`. Unlike passing the FastAPI instance
directly (which mounts Reflex *behind* FastAPI, so an unknown `/api/...` path falls
through to Reflex's HTML 404 page), this dispatcher sends every `/api` request to
FastAPI, which answers unknown paths with its own JSON 404.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

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

    return dispatch
