"""Log in: email + password; afterwards back to the page that asked for it (`?next=`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import reflex as rx

from app.components.forms import error_callout, info_callout, labelled_input, submit_button
from app.components.layout import layout
from app.state import AuthState, call, safe_next
from backend.errors import TrinityError
from backend.services import auth

ROUTE = "/login"
TITLE = "Log in — Trinity"


class LoginState(rx.State):
    error: str = ""
    submitting: bool = False

    @rx.var
    def next_path(self) -> str:
        return safe_next(self.router.url.query_parameters.get("next"))

    @rx.var
    def asked_to_log_in(self) -> bool:
        return bool(self.router.url.query_parameters.get("next"))

    @rx.var
    def register_href(self) -> str:
        target = self.router.url.query_parameters.get("next")
        return f"/register?next={quote(target, safe='')}" if target else "/register"

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
        email = str(form.get("email", "")).strip()
        password = str(form.get("password", ""))
        if not email or not password:
            self.error = "Please enter your email and password."
            return
        self.error = ""
        self.submitting = True
        yield
        try:
            token, user = await call(auth.login, email, password)
        except TrinityError as error:
            self.error = error.message
            self.submitting = False
            return
        session = await self.get_state(AuthState)
        session.sign_in(token, user)
        self.submitting = False
        yield rx.redirect(self.next_path)


def login_form() -> rx.Component:
    return rx.form(
        rx.flex(
            labelled_input(
                "Email",
                "login-email",
                name="email",
                type="email",
                auto_complete="email",
                required=True,
                auto_focus=True,
            ),
            labelled_input(
                "Password",
                "login-password",
                name="password",
                type="password",
                auto_complete="current-password",
                required=True,
            ),
            rx.cond(LoginState.error != "", error_callout(LoginState.error, id="login-error")),
            submit_button("Log in", loading=LoginState.submitting),
            direction="column",
            spacing="4",
        ),
        on_submit=LoginState.submit,
        aria_label="Log in",
    )


def login_page() -> rx.Component:
    return layout(
        rx.center(
            rx.card(
                rx.flex(
                    rx.heading("Welcome back", size="7", as_="h1"),
                    rx.cond(
                        LoginState.asked_to_log_in,
                        info_callout("Please log in to continue."),
                    ),
                    login_form(),
                    rx.text(
                        "New to Trinity? ",
                        rx.link("Create an account", href=LoginState.register_href),
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


ON_LOAD = [AuthState.load_session, LoginState.load]
