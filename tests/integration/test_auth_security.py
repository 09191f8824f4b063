"""The review's auth findings, each pinned: login throttled atomically per client and per client +
account (the owner is never locked out from their own address), registration throttled per client,
X-Forwarded-For believed only behind configured proxies, `uid: true` is no user id, lookalike
emails are one account, names without controls or text-direction overrides."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from factories import bearer
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer
from modes import reset_full

from backend.api.main import create_api
from backend.bootstrap import build_context
from backend.context import Context
from backend.errors import EmailTaken, InvalidCredentials, InvalidInput, TooManyAttempts
from backend.services import auth

PASSWORD = "owner-password-1"


def _fresh(settings_factory, **overrides: object) -> Context:  # type: ignore[no-untyped-def]
    """A context with its own settings, on emptied servers (full mode shares the database)."""
    ctx = build_context(settings_factory(**overrides))
    if ctx.settings.mode == "full":
        reset_full(ctx)
    return ctx


def _outcome(call: Callable[[], object]) -> str:
    try:
        call()
    except InvalidCredentials:
        return "401"
    except TooManyAttempts:
        return "429"
    return "200"


def test_concurrent_wrong_guesses_are_counted_before_any_is_checked(ctx: Context) -> None:
    auth.register(ctx, "owner@example.com", PASSWORD, "Owner")
    guess = lambda: auth.login(ctx, "owner@example.com", "wrong guess!", client="203.0.113.9")  # noqa: E731
    with ThreadPoolExecutor(25) as pool:
        outcomes = Counter(pool.map(lambda _: _outcome(guess), range(25)))
    assert outcomes["429"] >= 25 - ctx.settings.login_max_failures, outcomes
    assert outcomes["401"] <= ctx.settings.login_max_failures, outcomes


def test_guesses_from_elsewhere_never_lock_the_owner_out(ctx: Context) -> None:
    auth.register(ctx, "owner@example.com", PASSWORD, "Owner")
    attacker = "198.51.100.7"
    outcomes = [
        _outcome(lambda: auth.login(ctx, "owner@example.com", "nope-nope", client=attacker))
        for _ in range(ctx.settings.login_max_failures + 2)
    ]
    assert outcomes[-1] == "429"
    token, user = auth.login(ctx, "owner@example.com", PASSWORD, client="192.0.2.1")
    assert token and user.email == "owner@example.com"
    # ... and the right password from the attacker's address is throttled too: no oracle.
    assert (
        _outcome(lambda: auth.login(ctx, "owner@example.com", PASSWORD, client=attacker)) == "429"
    )


def test_one_client_trying_many_accounts_is_throttled(settings_factory) -> None:  # type: ignore[no-untyped-def]
    ctx = _fresh(settings_factory, login_client_max_attempts=3)
    outcomes = [
        _outcome(lambda i=i: auth.login(ctx, f"u{i}@example.com", "whatever-1", client="1.2.3.4"))
        for i in range(5)
    ]
    assert outcomes == ["401", "401", "401", "429", "429"]
    assert (
        _outcome(lambda: auth.login(ctx, "u9@example.com", "whatever-1", client="5.6.7.8")) == "401"
    )


def _api(settings_factory, **overrides: object) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(create_api(_fresh(settings_factory, **overrides)))


def _register(client: TestClient, n: int, forwarded: str = "") -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    body = {"email": f"r{n}@example.com", "password": PASSWORD, "name": "R"}
    return client.post("/api/auth/register", json=body, headers=headers).status_code


def test_register_is_throttled_per_client_and_ignores_x_forwarded_for(settings_factory) -> None:  # type: ignore[no-untyped-def]
    with _api(settings_factory, register_client_max=2) as client:
        statuses = [_register(client, n, forwarded=f"10.0.0.{n}") for n in range(3)]
    assert statuses == [201, 201, 429]


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(settings_factory) -> None:  # type: ignore[no-untyped-def]
    with _api(settings_factory, register_client_max=1, trusted_proxy_hops=1) as client:
        assert _register(client, 1, forwarded="10.0.0.1") == 201
        assert _register(client, 2, forwarded="10.0.0.1") == 429
        assert _register(client, 3, forwarded="spoofed, 10.0.0.2") == 201


def test_api_login_answers_429_for_concurrent_guesses(client: TestClient) -> None:
    assert _register(client, 0) == 201
    body = {"email": "r0@example.com", "password": "wrong guess!"}
    with ThreadPoolExecutor(25) as pool:
        statuses = Counter(
            pool.map(lambda _: client.post("/api/auth/login", json=body).status_code, range(25))
        )
    assert statuses[429] >= 20 and statuses[401] <= 5, statuses


def test_a_token_whose_uid_is_true_is_not_user_one(ctx: Context, client: TestClient) -> None:
    auth.register(ctx, "first@example.com", PASSWORD, "First")
    forged = URLSafeTimedSerializer(ctx.settings.secret_key, salt="trinity-auth").dumps(
        {"uid": True}
    )
    assert client.get("/api/me", headers=bearer(forged)).status_code == 401


@pytest.mark.parametrize(
    "lookalike", ["ＡＤＭＩＮ@example.com", "ａｄｍｉｎ@ｅｘａｍｐｌｅ.ｃｏｍ"]
)
def test_full_width_lookalike_emails_are_the_same_account(ctx: Context, lookalike: str) -> None:
    auth.register(ctx, "admin@example.com", PASSWORD, "Real")
    with pytest.raises(EmailTaken):
        auth.register(ctx, lookalike, PASSWORD, "Fake")
    _, user = auth.login(ctx, lookalike, PASSWORD, client="192.0.2.1")
    assert user.email == "admin@example.com"


@pytest.mark.parametrize(
    "name", ["Ana\x00", "evil\u202egnp.exe", "\u2066Ana\u2069", "line\nbreak", "x" * 201]
)
def test_names_without_controls_or_direction_overrides(ctx: Context, name: str) -> None:
    with pytest.raises(InvalidInput):
        auth.register(ctx, "n@example.com", PASSWORD, name)


def test_the_service_holds_the_field_limits_the_page_relies_on(ctx: Context) -> None:
    """The register page calls this same service: its limits are the API's."""
    with pytest.raises(InvalidInput, match="password is longer"):
        auth.register(ctx, "p@example.com", "x" * (auth.MAX_PASSWORD_LENGTH + 1), "P")
    with pytest.raises(InvalidInput, match="email address is longer"):
        auth.register(ctx, "p" * 320 + "@example.com", PASSWORD, "P")
    with pytest.raises(InvalidCredentials):
        auth.login(ctx, "p@example.com", "x" * (auth.MAX_PASSWORD_LENGTH + 1), client="192.0.2.1")
