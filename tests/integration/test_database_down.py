"""Full mode with PostgreSQL unreachable: a clear 503 `unavailable`, never a 500 or a trace."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from modes import MODES, full_settings

from backend.api.main import create_api
from backend.bootstrap import build_context

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
