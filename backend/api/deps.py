"""Typed dependencies so route signatures read like sentences."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from backend.context import Context
from backend.errors import Forbidden, Unauthorized
from backend.models import User
from backend.services import auth


async def get_ctx(request: Request) -> Context:
    # async: no I/O here, so FastAPI runs it inline instead of on a worker thread.
    ctx: Context = request.app.state.ctx
    return ctx


ContextDep = Annotated[Context, Depends(get_ctx)]


async def get_bearer_token(authorization: Annotated[str | None, Header()] = None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Please log in (missing bearer token).")
    return token.strip()


BearerToken = Annotated[str, Depends(get_bearer_token)]


def get_current_user(ctx: ContextDep, token: BearerToken) -> User:
    return auth.user_from_token(ctx, token)


def get_current_user_id(ctx: ContextDep, token: BearerToken) -> int:
    return auth.user_id_from_token(ctx, token)


CurrentUser = Annotated[User, Depends(get_current_user)]
# For routes that need only who is asking (holds, the hot path): skips building the User.
CurrentUserId = Annotated[int, Depends(get_current_user_id)]


def get_admin(user: CurrentUser) -> User:
    if not user.is_admin:
        raise Forbidden("Only administrators can do this.")
    return user


AdminUser = Annotated[User, Depends(get_admin)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]
