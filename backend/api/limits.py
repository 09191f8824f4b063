"""The request body size limit, as a plain ASGI middleware in front of the API."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.api.errors import error_response
from backend.api.schemas import MAX_BODY_BYTES


class BodyTooLarge(HTTPException):
    """Raised from `receive`: FastAPI re-raises an HTTPException met while reading the body, so the
    API's own handler answers it with the usual error body."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_message(limit))


def too_large_message(limit: int) -> str:
    return f"The request body is larger than the {limit // 1024} KiB this API accepts."


def _declared_length(scope: Scope) -> int | None:
    # The raw header list, not starlette's Headers: this runs on every request, the search too.
    for name, value in scope["headers"]:
        if name.lower() == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class BodyLimitMiddleware:
    """413 for a body over `limit` bytes, without reading more of it than one chunk past the limit.

    A declared Content-Length over the limit is refused before the app runs, whatever the method;
    a body without one (chunked) is counted as the app reads it.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.limit:
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            # Read outside a route (where no exception handler runs): answer here if still possible.
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(413, "body_too_large", too_large_message(self.limit))
        await response(scope, receive, send)
