"""Full mode with PostgreSQL unreachable: a clear 503 `unavailable`, never a 500 or a trace."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from modes import MODES, full_settings

from backend.api.main import create_api
from backend.bootstrap import build_context
from backend.models import User
from backend.services.auth import issue_token

pytestmark = pytest.mark.skipif(
    "full" not in MODES, reason="full mode deselected by TRINITY_TEST_MODES"
)
NOWHERE = "postgresql://trinity:trinity@127.0.0.1:9/trinity"  # nothing listens on port 9


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/hotels/1"), ("POST", "/api/auth/login")],
)
def test_an_unreachable_database_answers_503(method: str, path: str) -> None:
    ctx = build_context(full_settings(NOWHERE))
    client = TestClient(create_api(ctx), raise_server_exceptions=False)
    body = {"email": "guest@example.com", "password": "correct horse battery"}
    response = client.request(method, path, json=body if method == "POST" else None)
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == "unavailable"
    assert "database" in error["message"] and "Traceback" not in response.text


def test_a_hold_with_an_unreachable_database_answers_503() -> None:
    """The hold's statements run on the statements adapter's own connections
    (backend/adapters/postgres/statements.py): a refused connect is a 503 too, at once."""
    ctx = build_context(full_settings(NOWHERE))
    client = TestClient(create_api(ctx), raise_server_exceptions=False)
    token = issue_token(ctx, User(id=1, email="guest@example.com", name="Guest", password_hash="x"))
    body = {"room_type_id": 1, "check_in": "2031-01-01", "check_out": "2031-01-02", "guests": 1}
    response = client.post("/api/bookings", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "unavailable"
    assert "Traceback" not in response.text
