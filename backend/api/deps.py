"""Typed dependencies so route signatures read like sentences."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from backend.bootstrap import Context
from backend.errors import Forbidden, Unauthorized
from backend.models import User
from backend.services import auth


def get_ctx(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


ContextDep = Annotated[Context, Depends(get_ctx)]


def get_current_user(
    ctx: ContextDep, authorization: Annotated[str | None, Header()] = None
) -> User:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("Please log in (missing bearer token).")
    return auth.user_from_token(ctx, token.strip())


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_admin(user: CurrentUser) -> User:
    if not user.is_admin:
        raise Forbidden("Only administrators can do this.")
    return user


AdminUser = Annotated[User, Depends(get_admin)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]
