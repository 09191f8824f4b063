"""QA's test mode: the server clock and the scenarios (mounted only when TRINITY_TEST_MODE=1).

Off, these paths do not exist (404 like any unknown path) and are not in the OpenAPI document.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import AwareDatetime, Field, model_validator

from backend.api.deps import ContextDep
from backend.api.errors import error_responses
from backend.api.schemas import IsoDate, Strict
from backend.clock import MAX_OFFSET_SECONDS, ServerClock
from backend.context import Context
from backend.errors import NotFound
from backend.scenarios import NAMES, ScenarioParams, run_scenario
from backend.scenarios.catalog import MAX_HOLDERS

router = APIRouter(prefix="/test", tags=["test mode"])


class ClockIn(Strict):
    """Exactly one of the three."""

    advance_seconds: float | None = Field(None, strict=True, ge=0, le=MAX_OFFSET_SECONDS)
    set_to: AwareDatetime | None = Field(
        None, description="An ISO 8601 instant with its offset, within ten years of real time."
    )
    reset: bool | None = Field(None, strict=True, description="true: back to real time.")

    @model_validator(mode="after")
    def _one_change(self) -> ClockIn:
        given = [
            v for v in (self.advance_seconds, self.set_to, self.reset or None) if v is not None
        ]
        if len(given) != 1:
            raise ValueError("give exactly one of advance_seconds, set_to or reset: true")
        return self


class ClockOut(Strict):
    now: datetime = Field(description="The server's time, as every service sees it.")
    offset_seconds: float = Field(description="How far it is from real time.")


def _clock(ctx: Context) -> ServerClock:
    if not isinstance(ctx.clock, ServerClock):  # test mode's root always gives one
        raise NotFound("The server clock is not settable here.")
    return ctx.clock


def _clock_out(clock: ServerClock) -> ClockOut:
    return ClockOut(now=clock(), offset_seconds=clock.offset_seconds())


@router.get("/clock", response_model=ClockOut)
def read_clock(ctx: ContextDep) -> ClockOut:
    return _clock_out(_clock(ctx))


@router.post(
    "/clock",
    response_model=ClockOut,
    responses=error_responses(
        (
            422,
            "`invalid_input`: not exactly one change, a negative advance, a time without its "
            "offset, or a clock more than ten years from real time.",
        )
    ),
)
def move_clock(body: ClockIn, ctx: ContextDep) -> ClockOut:
    """Advance the clock, set it to an instant, or reset it; every process follows at once."""
    clock = _clock(ctx)
    if body.advance_seconds is not None:
        clock.advance(body.advance_seconds)
    elif body.set_to is not None:
        clock.set_to(body.set_to)
    else:
        clock.reset()
    return _clock_out(clock)


class ScenarioIn(Strict):
    check_in: IsoDate | None = None
    check_out: IsoDate | None = None
    holders: int | None = Field(None, strict=True, ge=1, le=MAX_HOLDERS)


class LoginOut(Strict):
    role: str
    email: str
    password: str


class ScenarioOut(Strict):
    name: str
    summary: str
    next_steps: str
    logins: list[LoginOut]
    urls: dict[str, str] = Field(description="Absolute page URLs of this app.")
    ids: dict[str, int]
    details: dict[str, str]


ScenarioName = Annotated[str, Path(min_length=1, max_length=40)]


@router.post(
    "/scenarios/{name}",
    response_model=ScenarioOut,
    responses=error_responses(
        (404, f"`not_found`: no such scenario; the message lists them ({', '.join(NAMES)})."),
        (409, "`sold_out`: other guests took what the scenario needs (last-room: other dates)."),
        (422, "`invalid_input`: bad dates or holders, unknown fields."),
        (503, "`unavailable`: the saga did not settle in time (are its workers running?)."),
    ),
)
def build_scenario(
    name: ScenarioName, ctx: ContextDep, request: Request, body: ScenarioIn | None = None
) -> ScenarioOut:
    """Build the named state (idempotent: run again, the same state) and say how to use it."""
    params = ScenarioParams(**(body.model_dump() if body else {}))
    result = run_scenario(ctx, name, params)
    return ScenarioOut.model_validate(result.to_json(str(request.base_url)))
