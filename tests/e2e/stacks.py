"""What a test that runs in both modes gets: the app's URL, its seeded data and its API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from api_client import Api
from seed_data import SeededData

if TYPE_CHECKING:
    from backend.context import Context


@dataclass
class Stack:
    mode: str  # "local" or "full" (the suite's own servers), "url" (TRINITY_E2E_URL)
    base_url: str
    seeded: SeededData
    api: Api
    services: Context | None = None  # the server's own services: the suite's own servers only

    @property
    def backend(self) -> Context:
        """The in-process services; a test that asks for them skips against TRINITY_E2E_URL."""
        if self.services is None:
            pytest.skip("TRINITY_E2E_URL: this test needs the server's in-process services")
        return self.services
