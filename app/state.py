"""State shared by every page: the signed-in user, the bridge to the backend services, and the
toasts for my orders' status changes.

The token lives in the browser's localStorage (synced across tabs); the user is resolved from it on
the server, by the same service the REST API uses. Pages reach this state with `get_state`.
(Imports from app/ are limited to app.live, which imports no page.)
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import quote

import reflex as rx

from app.live import feed, next_change
from backend.bootstrap import get_context
from backend.context import Context
from backend.errors import Unauthorized
from backend.models import User
from backend.services import auth
from backend.stay_time import aware

T = TypeVar("T")

TOKEN_KEY = "trinity_token"
LOGIN_ROUTE = "/login"
NOTIFY_CHECK_S = 5.0  # how often an idle notifier checks that its tab is still there
NOTIFY_MAX_S = 12 * 3600
ORDER_TOASTS = {
    "paid": ("info", "Payment accepted for order #{id}", "We are confirming your room."),
    "confirmed": ("success", "Booking confirmed (order #{id})", "Your stay is confirmed."),
    "failed": ("error", "Payment declined for order #{id}", "The hold was released."),
    "refunded": ("warning", "Order #{id} refunded", "The room could not be reserved after all."),
}


async def call(service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a (blocking) backend service function in a worker thread with the process context."""
    return await asyncio.to_thread(service, get_context(), *args, **kwargs)


def context() -> Context:
    return get_context()


def browser_deadline(deadline: datetime) -> str:
    """The real instant the server clock reaches `deadline` (UTC), for a countdown the browser
    runs in its own time: the two differ when test mode has moved the server clock."""
    offset = context().clock() - datetime.now(UTC)
    return (aware(deadline) - offset).isoformat()


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths are followed after login (no open redirect to another host)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def client_connected(state: rx.State) -> bool:
    """Whether the browser tab of this state still has its websocket open."""
    from reflex.utils.prerequisites import get_app

    namespace = get_app().app.event_namespace
    if namespace is None:
        return False
    return state.router.session.client_token in namespace.token_to_sid


def order_toast(order_id: int, status: str) -> rx.event.EventSpec | None:
    kind, title, description = ORDER_TOASTS.get(status, ("", "", ""))
    if not kind:
        return None
    show = getattr(rx.toast, kind)
    return show(title.format(id=order_id), description=description, duration=8000)


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
    _notifying_user: int = 0  # whose order changes this tab's notifier is toasting

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

    async def current_admin(self) -> bool:
        """Whether the token's user is an admin *now*: read again on every call (one primary-key
        read), so an admin demoted (or deleted) while a tab is open loses admin at once; the
        cached `is_admin` only decides what the page shows."""
        if not self.token:
            self._set_user("", None)
            return False
        token = self.token
        try:
            user = await call(auth.user_from_token, token)
        except Unauthorized:
            self.token = ""
            self._set_user("", None)
            return False
        self._set_user(token, user)
        return self.is_admin

    def sign_in(self, token: str, user: User) -> None:
        self.token = token
        self._set_user(token, user)

    def login_redirect(self, state: rx.State) -> rx.event.EventSpec:
        """Send a signed-out visitor to the login page, to come back here afterwards."""
        return rx.redirect(f"{LOGIN_ROUTE}?next={quote(current_path(state), safe='')}")

    @rx.event
    async def load_session(self) -> rx.event.EventSpec | None:
        """Every page's first on_load: resolve the token (the header shows who is signed in),
        and make sure the order notifier of this tab runs."""
        user_id = await self.resolve()
        if user_id and self._notifying_user != user_id:
            return AuthState.notify_order_changes
        return None

    @rx.event(background=True)
    async def notify_order_changes(self) -> AsyncIterator[rx.event.EventSpec | None]:
        """Toast on whatever page is open when one of my orders changes status.

        Runs while this user is signed in and the tab is connected; the checkout page shows the
        change itself, so it gets no toast."""
        async with self:
            user_id = self.user_id
            if not user_id or self._notifying_user == user_id:
                return
            self._notifying_user = user_id
        stop_at = time.monotonic() + NOTIFY_MAX_S
        try:
            async with feed.listen(user_id) as changes:
                while time.monotonic() < stop_at:
                    change = await next_change(changes, NOTIFY_CHECK_S)
                    async with self:
                        if self.user_id != user_id or self._notifying_user != user_id:
                            return
                        if not client_connected(self):
                            return
                        on_checkout = self.router.url.path.startswith("/checkout")
                    if change is not None and not on_checkout:
                        yield order_toast(change.order_id, change.status)
        finally:
            async with self:
                if self._notifying_user == user_id:
                    self._notifying_user = 0

    @rx.event
    async def logout(self) -> rx.event.EventSpec:
        """End the session on the server too (as `POST /api/auth/logout`): every token of the
        account stops working, so a copy of this one (another tab, a leaked one) is logged out."""
        token = self.token
        # A token revoked or expired already has nothing left to end on the server.
        with contextlib.suppress(Unauthorized):
            if token:
                await call(auth.revoke_tokens, await call(auth.user_id_from_token, token))
        self.token = ""
        self._set_user("", None)
        self._notifying_user = 0
        return rx.redirect("/")
