"""Security headers for the page and the API, and which browser origins may talk to the app.

The page's Content-Security-Policy allows what the Reflex build loads and nothing else: its own
scripts and styles (inline ones too: the prerendered pages carry React Router's inline boot
scripts, Emotion writes style tags at run time; and eval: Reflex runs the JavaScript of
`rx.call_script`, `rx.call_function` and event callbacks its server sends with `eval`), its own
websocket and fetches, images of its own, data: URLs and the tile server when one is configured,
and no framing by anyone. So no script, fetch or image of another host runs or loads, which is
what stops an injected script from sending a token anywhere. The API
answers JSON only: nothing may run, load or frame it (its Swagger page loads its own assets).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def page_csp(image_origins: Iterable[str] = ()) -> str:
    images = " ".join(["'self'", "data:", "blob:", *image_origins])
    return (
        "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
        "style-src 'self' 'unsafe-inline'; "
        f"img-src {images}; font-src 'self' data:; connect-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


def tile_origin(template: str) -> str | None:
    """The origin a tile URL template loads from (`{s}` subdomains as a wildcard)."""
    parts = urlsplit(template)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}"


def security_headers(csp: str) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-security-policy", csp.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
    ]


class SecurityHeadersMiddleware:
    """Adds the headers of `policy(path)` to every HTTP answer that has none of its own yet (so
    the API's stricter headers survive the page's wrapper around it)."""

    def __init__(self, app: ASGIApp, policy: Callable[[str], str]) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = security_headers(self.policy(scope.get("path", "")))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                for name, value in headers:
                    response_headers.setdefault(name.decode(), value.decode())
            await send(message)

        await self.app(scope, receive, send_with_headers)


def origin_allowed(origin: str | None, host: str | None, allowed: Iterable[str]) -> bool:
    """A browser's Origin may talk to the app when it is the app's own host or configured."""
    if not origin:
        return True  # not a browser page: nothing to forge on its behalf
    if origin in allowed:
        return True
    return bool(host) and urlsplit(origin).netloc == host
