"""Create an account, then continue where the guest was going (`?next=`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import reflex as rx

from app.components.forms import error_callout, labelled_input, submit_button
from app.components.layout import layout
from app.state import AuthState, call, safe_next
from backend.errors import TrinityError
from backend.services import auth

ROUTE = "/register"
TITLE = "Create an account — Trinity"


class RegisterState(rx.State):
    error: str = ""
    submitting: bool = False

    @rx.var
    def next_path(self) -> str:
        return safe_next(self.router.url.query_parameters.get("next"))

    @rx.var
    def login_href(self) -> str:
        target = self.router.url.query_parameters.get("next")
        return f"/login?next={quote(target, safe='')}" if target else "/login"

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        self.error = ""
        self.submitting = False
        session = await self.get_state(AuthState)
        if await session.resolve():
            return rx.redirect(self.next_path, replace=True)
        return None

    @rx.event
    async def submit(self, form: dict[str, Any]) -> AsyncIterator[rx.event.EventSpec | None]:
        name = str(form.get("name", "")).strip()
        email = str(form.get("email", "")).strip()
        password = str(form.get("password", ""))
        if not name or not email or not password:
            self.error = "Please fill in your name, email and a password."
            return
        self.error = ""
        self.submitting = True
        yield
        try:
            token, user = await call(auth.register, email, password, name)
        except TrinityError as error:
            self.error = error.message
            self.submitting = False
            return
        session = await self.get_state(AuthState)
        session.sign_in(token, user)
        self.submitting = False
        yield rx.redirect(self.next_path)


def register_form() -> rx.Component:
    return rx.form(
        rx.flex(
            labelled_input(
                "Your name",
                "register-name",
                name="name",
                auto_complete="name",
                required=True,
                auto_focus=True,
            ),
            labelled_input(
                "Email",
                "register-email",
                name="email",
                type="email",
                auto_complete="email",
                required=True,
            ),
            labelled_input(
                "Password (at least 8 characters)",
                "register-password",
                name="password",
                type="password",
                auto_complete="new-password",
                required=True,
                min_length=8,
            ),
            rx.cond(
                RegisterState.error != "", error_callout(RegisterState.error, id="register-error")
            ),
            submit_button("Create account", loading=RegisterState.submitting),
            direction="column",
            spacing="4",
        ),
        on_submit=RegisterState.submit,
        aria_label="Create an account",
    )


def register_page() -> rx.Component:
    return layout(
        rx.center(
            rx.card(
                rx.flex(
                    rx.heading("Create your account", size="7", as_="h1"),
                    register_form(),
                    rx.text(
                        "Already have an account? ",
                        rx.link("Log in", href=RegisterState.login_href),
                        size="2",
                    ),
                    direction="column",
                    spacing="5",
                ),
                size="4",
                width="100%",
                max_width="28rem",
            ),
        )
    )


ON_LOAD = [AuthState.load_session, RegisterState.load]
