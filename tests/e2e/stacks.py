"""What a test that runs in both modes gets: the app's URL, its seeded data, and the services."""

from __future__ import annotations

from dataclasses import dataclass

from seed_data import SeededData

from backend.context import Context


@dataclass
class Stack:
    mode: str  # "local" or "full"
    base_url: str
    seeded: SeededData
    backend: Context
