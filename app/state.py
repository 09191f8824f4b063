"""State shared by every page: the signed-in user, and the bridge to the backend services.

The token lives in the browser's localStorage (synced across tabs); the user is resolved from it on
the server, by the same service the REST API uses. Pages reach this state with `get_state`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

import reflex as rx

from backend.bootstrap import Context, get_context
from backend.errors import Unauthorized
from backend.models import User
from backend.services import auth

T = TypeVar("T")

TOKEN_KEY = "trinity_token"
LOGIN_ROUTE = "/login"


async def call(service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a (blocking) backend service function in a worker thread with the process context."""
    return await asyncio.to_thread(service, get_context(), *args, **kwargs)


def context() -> Context:
    return get_context()


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths are followed after login (no open redirect to another host)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def current_path(state: rx.State) -> str:
    """The path and query string of the page the event came from."""
    url = state.router.url
    path = url.path.rstrip("/") or "/"
    return path + (f"?{url.query}" if url.query else "")


class AuthState(rx.State):
    """The session: a token in localStorage and the user it belongs to."""

    token: str = rx.LocalStorage("", name=TOKEN_KEY, sync=True)
    user_id: int = 0
    user_name: str = ""
    user_email: str = ""
    is_admin: bool = False
    # The token the user_* fields were resolved from: a changed token is resolved again.
    _resolved_token: str = ""

    @rx.var
    def logged_in(self) -> bool:
        return self.user_id > 0

    @rx.var
    def first_name(self) -> str:
        return self.user_name.split(" ")[0] if self.user_name else ""

    def _set_user(self, token: str, user: User | None) -> None:
        self._resolved_token = token
        self.user_id = (user.id or 0) if user else 0
        self.user_name = user.name if user else ""
        self.user_email = user.email if user else ""
        self.is_admin = bool(user and user.is_admin)

    async def resolve(self) -> int:
        """The signed-in user's id (0 when signed out), checking the token when it changed."""
        if self.token == self._resolved_token:
            return self.user_id
        if not self.token:
            self._set_user("", None)
            return 0
        token = self.token
        try:
            user = await call(auth.user_from_token, token)
        except Unauthorized:
            self.token = ""
            self._set_user("", None)
            return 0
        self._set_user(token, user)
        return self.user_id

    def sign_in(self, token: str, user: User) -> None:
        self.token = token
        self._set_user(token, user)

    def login_redirect(self, state: rx.State) -> rx.event.EventSpec:
        """Send a signed-out visitor to the login page, to come back here afterwards."""
        return rx.redirect(f"{LOGIN_ROUTE}?next={quote(current_path(state), safe='')}")

    @rx.event
    async def load_session(self) -> None:
        """Every page's first on_load: resolve the token (the header shows who is signed in)."""
        await self.resolve()

    @rx.event
    def logout(self) -> rx.event.EventSpec:
        self.token = ""
        self._set_user("", None)
        return rx.redirect("/")
