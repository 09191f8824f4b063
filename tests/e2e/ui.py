"""Small helpers shared by the browser tests."""

from __future__ import annotations

from playwright.sync_api import Page
from seed_data import Guest

TOKEN_KEY = "trinity_token"


def sign_in_with_token(page: Page, base_url: str, guest: Guest) -> None:
    """Put the guest's token where the app keeps it (faster than the login form)."""
    page.goto(base_url + "/ping")
    page.evaluate("([key, token]) => localStorage.setItem(key, token)", [TOKEN_KEY, guest.token])


def log_in_with_form(page: Page, guest: Guest) -> None:
    page.get_by_label("Email").fill(guest.email)
    page.get_by_label("Password").fill(guest.password)
    page.get_by_label("Password").press("Enter")
