"""Typed dependencies so route signatures read like sentences."""

from __future__ import annotations

import hmac
from collections import Counter
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import Depends, Header, Path, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from backend.api.schemas import MAX_ID
from backend.context import Context
from backend.errors import Forbidden, InvalidInput, Unauthorized
from backend.models import User
from backend.services import auth, throttle


async def get_ctx(request: Request) -> Context:
    # async: no I/O here, so FastAPI runs it inline instead of on a worker thread.
    ctx: Context = request.app.state.ctx
    return ctx


ContextDep = Annotated[Context, Depends(get_ctx)]

# Declared as a security scheme so the OpenAPI document says which operations need a token;
# auto_error=False: a missing token is our own 401 body, not FastAPI's.
BEARER = HTTPBearer(auto_error=False, description="The token from register or login.")


async def get_bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> str:
    token = credentials.credentials.strip() if credentials else ""
    if not token:
        raise Unauthorized("Please log in (missing bearer token).")
    return token


BearerToken = Annotated[str, Depends(get_bearer_token)]


def get_current_user(ctx: ContextDep, token: BearerToken) -> User:
    return auth.user_from_token(ctx, token)


def get_current_user_id(ctx: ContextDep, token: BearerToken) -> int:
    return auth.user_id_from_token(ctx, token)


async def get_client_address(request: Request, ctx: ContextDep) -> str:
    """The caller's address for per-client limits (see throttle.client_address on proxies)."""
    peer = request.client.host if request.client else None
    forwarded = request.headers.get("x-forwarded-for", "")
    return throttle.client_address(peer, forwarded, ctx.settings.trusted_proxy_hops)


ClientAddress = Annotated[str, Depends(get_client_address)]
CurrentUser = Annotated[User, Depends(get_current_user)]
# For routes that need only who is asking (holds, the hot path): skips building the User.
CurrentUserId = Annotated[int, Depends(get_current_user_id)]


def get_admin(user: CurrentUser) -> User:
    if not user.is_admin:
        raise Forbidden("Only administrators can do this.")
    return user


AdminUser = Annotated[User, Depends(get_admin)]


def get_metrics_reader(ctx: ContextDep, token: BearerToken) -> None:
    """The metrics scraper's own token (TRINITY_METRICS_TOKEN), else an admin's."""
    expected = ctx.settings.metrics_token
    if expected and hmac.compare_digest(token.encode(), expected.encode()):
        return
    get_admin(auth.user_from_token(ctx, token))


MetricsReader = Depends(get_metrics_reader)
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255)
]

# An id in a path: outside 1..MAX_ID it cannot name a row (see MAX_ID), so it is bad input (422)
# rather than a lookup that fails in the database.
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


# -- the query string ------------------------------------------------------------------------------


def _declared_query(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _declared_query(sub)
    return names


def _documented_query(route: APIRoute) -> frozenset[str]:
    """The query parameters an operation declares, or documents by hand (search); kept on the
    route itself, which lives as long as its app."""
    known: frozenset[str] | None = getattr(route, "trinity_query_names", None)
    if known is None:
        declared = _declared_query(route.dependant)
        extra: list[dict[str, Any]] = (route.openapi_extra or {}).get("parameters", [])
        declared |= {p["name"] for p in extra if p.get("in") == "query"}
        known = frozenset(declared)
        route.trinity_query_names = known  # type: ignore[attr-defined]
    return known


def _decoded_query(raw: bytes) -> list[tuple[str, str]]:
    try:
        return parse_qsl(raw.decode(), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise InvalidInput("The query string is not valid UTF-8.") from None


async def plain_query(request: Request) -> None:
    """Each query parameter once, and only those the operation documents: a typo or a second
    `limit=` is an error to see, not a value silently dropped (as unknown body fields are)."""
    raw = request.scope.get("query_string", b"")
    if not raw:
        return
    names = [name for name, _ in _decoded_query(raw)]
    given = set(names)
    if len(given) != len(names):
        repeated = sorted(name for name, count in Counter(names).items() if count > 1)
        raise InvalidInput(f"Give each query parameter once (repeated: {', '.join(repeated)}).")
    route = request.scope.get("route")
    if isinstance(route, APIRoute) and not given <= (known := _documented_query(route)):
        unknown = ", ".join(sorted(given - known))
        raise InvalidInput(f"Unknown query parameter: {unknown}.")
