"""Auth per API.md: register, login (rate-limited), me; every error path."""

from __future__ import annotations

from factories import bearer
from fastapi.testclient import TestClient

from backend.context import Context
from backend.services import auth


def _register(client: TestClient, email: str = "ana@example.com", password: str = "s3cret-pass"):
    return client.post(
        "/api/auth/register", json={"email": email, "password": password, "name": "Ana"}
    )


def test_register_login_me(client: TestClient) -> None:
    created = _register(client)
    assert created.status_code == 201
    body = created.json()
    assert body["user"]["email"] == "ana@example.com" and body["token"]

    logged_in = client.post(
        "/api/auth/login", json={"email": "ANA@example.com", "password": "s3cret-pass"}
    )
    assert logged_in.status_code == 200
    me = client.get("/api/me", headers=bearer(logged_in.json()["token"]))
    assert me.status_code == 200
    assert me.json() == {
        "id": body["user"]["id"],
        "email": "ana@example.com",
        "name": "Ana",
        "is_admin": False,
    }


def test_register_errors(client: TestClient) -> None:
    assert _register(client).status_code == 201
    taken = _register(client)
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "email_taken"
    for bad in (
        _register(client, email="not-an-email"),
        _register(client, "b@example.com", "short"),
    ):
        assert bad.status_code == 422
        assert bad.json()["error"]["code"] == "invalid_input"
        assert bad.json()["error"]["message"]
    unknown_field = client.post(
        "/api/auth/register",
        json={"email": "c@example.com", "password": "long-enough", "name": "C", "role": "admin"},
    )
    assert unknown_field.status_code == 422
    assert unknown_field.json()["error"]["code"] == "invalid_input"


def test_login_wrong_password_then_rate_limited(client: TestClient, ctx: Context) -> None:
    _register(client)
    for _ in range(ctx.settings.login_max_failures):
        wrong = client.post(
            "/api/auth/login", json={"email": "ana@example.com", "password": "nope-nope"}
        )
        assert wrong.status_code == 401
        assert wrong.json()["error"]["code"] == "invalid_credentials"
    limited = client.post(
        "/api/auth/login", json={"email": "ana@example.com", "password": "s3cret-pass"}
    )
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "too_many_attempts"


def test_me_needs_a_valid_token(client: TestClient) -> None:
    for headers in ({}, bearer("forged.token.value"), {"Authorization": "Basic abc"}):
        response = client.get("/api/me", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"


def test_unknown_api_path_is_a_json_404(client: TestClient) -> None:
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_request_id_is_echoed_or_made(client: TestClient) -> None:
    given = client.get("/api/health", headers={"X-Request-ID": "trace-42"})
    assert given.headers["X-Request-ID"] == "trace-42"
    made = client.get("/api/health").headers["X-Request-ID"]
    assert len(made) == 32 and made != client.get("/api/health").headers["X-Request-ID"]


def test_openapi_and_offline_docs(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    assert {"/api/bookings", "/api/auth/login", "/api/hotels/{hotel_id}"} <= set(spec["paths"])
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "/api/docs-assets/swagger-ui-bundle.js" in page.text  # served locally, not from a CDN
    bundle = client.get("/api/docs-assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.content) > 100_000


def test_logout_revokes_every_token_of_the_account(client: TestClient, ctx: Context) -> None:
    first = _register(client).json()["token"]
    second = client.post(
        "/api/auth/login", json={"email": "ana@example.com", "password": "s3cret-pass"}
    ).json()["token"]
    other = _register(client, "bea@example.com").json()["token"]
    assert client.get("/api/me", headers=bearer(first)).status_code == 200

    assert client.post("/api/auth/logout", headers=bearer(second)).status_code == 204

    for revoked in (first, second):  # the other device's token too
        answer = client.get("/api/me", headers=bearer(revoked))
        assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthorized"
    assert client.post("/api/auth/logout", headers=bearer(first)).status_code == 401
    assert client.get("/api/me", headers=bearer(other)).status_code == 200  # another account
    fresh = client.post(
        "/api/auth/login", json={"email": "ana@example.com", "password": "s3cret-pass"}
    ).json()["token"]
    assert client.get("/api/me", headers=bearer(fresh)).status_code == 200


def test_a_token_from_before_revocation_existed_still_verifies(
    client: TestClient, ctx: Context
) -> None:
    """Tokens issued before the epoch claim (no `ep`) count as epoch 0 until the first logout."""
    user_id = _register(client).json()["user"]["id"]
    legacy = auth._serializer(ctx).dumps({"uid": user_id})
    assert client.get("/api/me", headers=bearer(legacy)).status_code == 200
    assert client.post("/api/auth/logout", headers=bearer(legacy)).status_code == 204
    assert client.get("/api/me", headers=bearer(legacy)).status_code == 401
    bad_epoch = auth._serializer(ctx).dumps({"uid": user_id, "ep": True})
    assert client.get("/api/me", headers=bearer(bad_epoch)).status_code == 401
