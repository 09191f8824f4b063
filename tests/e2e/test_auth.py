"""Auth in the browser: redirect to login and back, login errors, logout (which revokes the
token on the server), registration."""

from __future__ import annotations

import re

import pytest
from api_client import Api
from playwright.sync_api import Page, expect
from seed_data import Guest, SeededData
from ui import TOKEN_KEY, log_in_with_form

pytestmark = pytest.mark.e2e


def test_protected_page_redirects_to_login_and_back_and_log_out_revokes_the_token(
    app_server: str, seeded: SeededData, api: Api, page: Page, browser_log
) -> None:
    # A guest of this test's own: logging out ends every session of the account, and the other
    # tests sign in with the seeded guests' tokens.
    erin = Guest(seeded.email("erin"), "Erin Leaving")
    api.register(erin.email, erin.password, erin.name)
    page.goto(app_server + "/profile")
    expect(page).to_have_url(re.compile(r"/login/?\?next=%2Fprofile$"))
    expect(page.get_by_text("Please log in to continue.")).to_be_visible()

    log_in_with_form(page, erin)

    expect(page).to_have_url(re.compile(r"/profile/?$"))
    expect(page.locator("#profile-email")).to_have_text(erin.email)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Your profile")).to_contain_text("Erin")
    token = page.evaluate(f"localStorage.getItem('{TOKEN_KEY}')")
    assert api.user_id(token)  # the page's token works on the API ...

    nav.get_by_role("button", name="Log out").click()
    expect(nav.get_by_role("link", name="Log in")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/$"))
    assert not page.evaluate(f"localStorage.getItem('{TOKEN_KEY}')")
    api.call("GET", "/api/me", token=token, expect=(401,))  # ... and not after logging out

    page.goto(app_server + "/profile")
    expect(page).to_have_url(re.compile(r"/login/?\?next=%2Fprofile$"))
    assert browser_log.errors == [], f"console errors: {browser_log.errors}"


def test_wrong_password_shows_an_error(app_server: str, seeded: SeededData, page: Page) -> None:
    page.goto(app_server + "/login")
    page.get_by_label("Email").fill(seeded.guests["bob"].email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong email or password.")
    expect(page).to_have_url(re.compile(r"/login/?$"))


def test_register_signs_in_and_keeps_the_session_on_reload(
    app_server: str, seeded: SeededData, page: Page
) -> None:
    email = seeded.email("carol")  # new on every run, also on a deployment used before
    page.goto(app_server + "/register?next=%2Fprofile")
    page.get_by_label("Your name").fill("Carol Newcomer")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password (at least 8 characters)").fill("short")
    page.get_by_role("button", name="Create account").click()
    # The browser itself refuses a too-short password (minlength): nothing was sent.
    expect(page).to_have_url(re.compile(r"/register/?\?next="))

    page.get_by_label("Password (at least 8 characters)").fill("long-enough-password")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/profile/?$"))
    expect(page.locator("#profile-name")).to_have_text("Carol Newcomer")

    page.reload()
    expect(page.locator("#profile-email")).to_have_text(email)
