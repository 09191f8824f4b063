"""QA scenarios: named states built on a running app through its own services (test mode only).

`run_scenario(ctx, "expiring-hold")` makes sure the state exists and returns its URLs and logins;
the API (`POST /api/test/scenarios/{name}`) and `trinity scenario NAME` both call it.
"""

from __future__ import annotations

from backend.context import Context
from backend.errors import NotFound
from backend.scenarios.building import Login, ScenarioResult
from backend.scenarios.catalog import SCENARIOS, ScenarioParams

NAMES = tuple(SCENARIOS)

__all__ = ["NAMES", "Login", "ScenarioParams", "ScenarioResult", "run_scenario"]


def run_scenario(ctx: Context, name: str, params: ScenarioParams | None = None) -> ScenarioResult:
    """Build (or find) the named state; one run of a scenario at a time (the Redis key lock)."""
    scenario = SCENARIOS.get(name)
    if scenario is None:
        raise NotFound(f"No scenario is named {name!r}; the scenarios are: {', '.join(NAMES)}.")
    with ctx.key_locks.hold_all([f"scenario:{name}"]):
        return scenario(ctx, params or ScenarioParams())
