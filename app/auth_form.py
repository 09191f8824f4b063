"""What the log-in and sign-up forms share: the error, the busy flag, and where to go afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote

import reflex as rx

from app.components.layout import layout
from app.state import AuthState, call, safe_next
from backend.errors import TrinityError
from backend.models import User


class AuthFormState(rx.State, mixin=True):
    error: str = ""
    submitting: bool = False

    @rx.var
    def next_path(self) -> str:
        return safe_next(self.router.url.query_parameters.get("next"))

    def _keeping_next(self, path: str) -> str:
        """`path` with the same `?next=`, for the link to the other form."""
        target = self.router.url.query_parameters.get("next")
        return f"{path}?next={quote(target, safe='')}" if target else path

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        self.error = ""
        self.submitting = False
        session = await self.get_state(AuthState)
        if await session.resolve():
            return rx.redirect(self.next_path, replace=True)
        return None

    async def _sign_in_with(
        self, service: Callable[..., tuple[str, User]], *args: Any
    ) -> AsyncIterator[rx.event.EventSpec | None]:
        """Call the auth `service` (it validates and throttles, as for the API: the same limits,
        per this tab's client address); on success sign in and go on, else show its message."""
        self.error = ""
        self.submitting = True
        yield
        try:
            token, user = await call(
                service, *args, client=self.router.session.client_ip or "unknown"
            )
        except TrinityError as error:
            self.error = error.message
            self.submitting = False
            return
        session = await self.get_state(AuthState)
        session.sign_in(token, user)
        self.submitting = False
        yield rx.redirect(self.next_path)


def auth_card(heading: str, *children: rx.Component) -> rx.Component:
    return layout(
        rx.center(
            rx.card(
                rx.flex(
                    rx.heading(heading, size="7", as_="h1"),
                    *children,
                    direction="column",
                    spacing="5",
                ),
                size="4",
                width="100%",
                max_width="28rem",
            ),
        )
    )
