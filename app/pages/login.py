"""Log in: email + password; afterwards back to the page that asked for it (`?next=`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import reflex as rx

from app.auth_form import AuthFormState, auth_card
from app.components.forms import error_callout, info_callout, labelled_input, submit_button
from app.state import AuthState
from backend.services import auth

ROUTE = "/login"
TITLE = "Log in — Trinity"


class LoginState(AuthFormState, rx.State):
    @rx.var
    def asked_to_log_in(self) -> bool:
        return bool(self.router.url.query_parameters.get("next"))

    @rx.var
    def register_href(self) -> str:
        return self._keeping_next("/register")

    @rx.event
    async def submit(self, form: dict[str, Any]) -> AsyncIterator[rx.event.EventSpec | None]:
        email = str(form.get("email", "")).strip()
        password = str(form.get("password", ""))
        if not email or not password:
            self.error = "Please enter your email and password."
            return
        async for step in self._sign_in_with(auth.login, email, password):
            yield step


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
    return auth_card(
        "Welcome back",
        rx.cond(LoginState.asked_to_log_in, info_callout("Please log in to continue.")),
        login_form(),
        rx.text(
            "New to Trinity? ",
            rx.link("Create an account", href=LoginState.register_href),
            size="2",
        ),
    )


ON_LOAD = [AuthState.load_session, LoginState.load]
