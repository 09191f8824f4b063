"""Test-mode fixtures: a context with the server clock and the saga running, and its API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sagas import SagaHarness

from backend.api.main import create_api
from backend.clock import OFFSET_KEY


def _test_mode_settings(mode: str) -> dict[str, Any]:
    return {"test_mode": True, "test_mode_allow_full": mode == "full"}


@pytest.fixture
def qa(mode: str, saga_factory: Callable[..., SagaHarness]) -> Iterator[SagaHarness]:
    """A test-mode context with the relay and the saga workers running."""
    harness = saga_factory(**_test_mode_settings(mode)).start()
    yield harness
    harness.ctx.redis.delete(OFFSET_KEY)


@pytest.fixture
def qa_client(qa: SagaHarness) -> Iterator[TestClient]:
    with TestClient(create_api(qa.ctx), raise_server_exceptions=False) as http:
        yield http
