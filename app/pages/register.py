"""Create an account, then continue where the guest was going (`?next=`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import reflex as rx

from app.auth_form import AuthFormState, auth_card
from app.components.forms import error_callout, labelled_input, submit_button
from app.state import AuthState
from backend.services import auth

ROUTE = "/register"
TITLE = "Create an account — Trinity"


class RegisterState(AuthFormState, rx.State):
    @rx.var
    def login_href(self) -> str:
        return self._keeping_next("/login")

    @rx.event
    async def submit(self, form: dict[str, Any]) -> AsyncIterator[rx.event.EventSpec | None]:
        name = str(form.get("name", "")).strip()
        email = str(form.get("email", "")).strip()
        password = str(form.get("password", ""))
        if not name or not email or not password:
            self.error = "Please fill in your name, email and a password."
            return
        async for step in self._sign_in_with(auth.register, email, password, name):
            yield step


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
                max_length=auth.MAX_NAME_LENGTH,
            ),
            labelled_input(
                "Email",
                "register-email",
                name="email",
                type="email",
                auto_complete="email",
                required=True,
                max_length=auth.MAX_EMAIL_LENGTH,
            ),
            labelled_input(
                f"Password (at least {auth.MIN_PASSWORD_LENGTH} characters)",
                "register-password",
                name="password",
                type="password",
                auto_complete="new-password",
                required=True,
                min_length=auth.MIN_PASSWORD_LENGTH,
                max_length=auth.MAX_PASSWORD_LENGTH,
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
    return auth_card(
        "Create your account",
        register_form(),
        rx.text(
            "Already have an account? ",
            rx.link("Log in", href=RegisterState.login_href),
            size="2",
        ),
    )


ON_LOAD = [AuthState.load_session, RegisterState.load]
