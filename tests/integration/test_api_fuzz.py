"""Property-based fuzz of the API against its own OpenAPI document (schemathesis 4).

Every operation is called with generated inputs, valid and invalid: as an admin (who may call
them all) with schemathesis' coverage phase too (each boundary the document implies: lengths,
ranges, formats, missing and unknown fields, repeated parameters), as a guest and as an anonymous
caller with random examples. Then stateful sequences feed one answer's ids into the next call
(create a hotel, hold its room, pay, read the order). Any 5xx fails, and so does any answer whose
status, content type or body the document does not describe. Local mode, in process.

TRINITY_FUZZ_SEED (a number, or "random") and TRINITY_FUZZ_EXAMPLES explore further by hand.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
import schemathesis
from factories import bearer, make_hotel, make_user, stay
from hypothesis import HealthCheck, settings
from modes import local_settings

from backend.api.main import create_api
from backend.bootstrap import build_context
from backend.context import Context
from backend.settings import Settings

SEED = os.environ.get("TRINITY_FUZZ_SEED", "20261126")  # fixed: CI's runs are all the same
MAX_EXAMPLES = int(os.environ.get("TRINITY_FUZZ_EXAMPLES", "20"))  # per operation and caller
STATEFUL_RUNS, STATEFUL_STEPS = int(1.5 * MAX_EXAMPLES), 6  # sequences, calls in each
# Requests are in process and fast, so a deadline would only measure the machine's load; with a
# fixed seed there is nothing to replay, so no example database is written (.hypothesis/).
FUZZ_SETTINGS = settings(deadline=None, database=None, suppress_health_check=list(HealthCheck))


def _config(*, coverage: bool, parameters: dict[str, Any] | None = None) -> schemathesis.Config:
    config: dict[str, Any] = {
        "parameters": parameters or {},
        "generation": {"max-examples": MAX_EXAMPLES, "mode": "all", "database": "none"},
        "phases": {"coverage": {"enabled": coverage}, "fuzzing": {"enabled": True}},
        "checks": {
            # Valid-by-schema input may still break a rule no JSON Schema can state (check_out
            # after check_in, a card's Luhn digit, the room's capacity): a 422 for it is right.
            "positive_data_acceptance": {"enabled": False},
        },
        "operations": [
            {
                # DELETE /api/bookings/{id} cancels: the booking stays readable, now `cancelled`
                # (API.md), where this check expects a DELETE to remove what it names.
                "include-path": "/api/bookings/{booking_id}",
                "include-method": "GET",
                "checks": {"use_after_free": {"enabled": False}},
            }
        ],
    }
    if SEED != "random":
        config["seed"] = int(SEED)
    return schemathesis.Config.from_dict(config)


# One app for the module: schemathesis reads the document when the module is collected, before
# any test has a database; `fuzz_ctx` binds the module's context to it before the first call.
APP = create_api(cast(Context, SimpleNamespace(settings=Settings(test_mode=False))))
THOROUGH = schemathesis.openapi.from_asgi("/api/openapi.json", APP, config=_config(coverage=True))
QUICK = schemathesis.openapi.from_asgi("/api/openapi.json", APP, config=_config(coverage=False))
# Sequences get past the rules no schema states (a future stay, a card that pays), or a hold and
# its order would never exist for the next call to use.
CHECK_IN, CHECK_OUT = stay(days_ahead=7, nights=2)
SEEDED_ROOM_TYPE = 1  # the first row of a fresh database: `fuzz_ctx` checks it
REALISTIC = {
    "body.room_type_id": SEEDED_ROOM_TYPE,
    "body.check_in": CHECK_IN.isoformat(),
    "body.check_out": CHECK_OUT.isoformat(),
    "body.guests": 1,
    "body.card_number": "4242424242424242",
}
SEQUENCES = schemathesis.openapi.from_asgi(
    "/api/openapi.json", APP, config=_config(coverage=False, parameters=REALISTIC)
)


@pytest.fixture(scope="module")
def fuzz_ctx(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Context]:
    """One local-mode context for the module: what one operation's examples create (hotels,
    users, holds) is there for the next, as on a live server. A hotel exists from the start, so
    ids 1, 2, ... find something."""
    context = build_context(local_settings(tmp_path_factory.mktemp("fuzz"), sqlite_template))
    APP.state.ctx = context
    _, room_type_id = make_hotel(context, rooms=1000, capacity=4)
    assert room_type_id == SEEDED_ROOM_TYPE
    yield context
    context.close()


@pytest.fixture(scope="module")
def tokens(fuzz_ctx: Context) -> dict[str, str]:
    guest, _ = make_user(fuzz_ctx, "guest@example.com")
    admin, _ = make_user(fuzz_ctx, "boss@example.com", admin=True)
    return {"guest": guest, "admin": admin}


@pytest.fixture(params=["anonymous", "guest"])
def caller(request: pytest.FixtureRequest, tokens: dict[str, str]) -> dict[str, str]:
    token = tokens.get(str(request.param))
    return bearer(token) if token else {}


@FUZZ_SETTINGS
@THOROUGH.parametrize()
def test_every_operation_keeps_the_contract_for_an_admin(
    case: schemathesis.Case, tokens: dict[str, str]
) -> None:
    case.call_and_validate(headers=bearer(tokens["admin"]))


@FUZZ_SETTINGS
@QUICK.parametrize()
def test_every_operation_keeps_the_contract_for_a_guest_and_anonymously(
    case: schemathesis.Case, caller: dict[str, str]
) -> None:
    case.call_and_validate(headers=caller)


@pytest.mark.parametrize("who", ["guest", "admin"])
def test_sequences_of_calls_keep_the_contract(who: str, tokens: dict[str, str]) -> None:
    headers = bearer(tokens[who])

    class Workflow(SEQUENCES.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": headers}

    Workflow.run(
        settings=settings(
            FUZZ_SETTINGS, max_examples=STATEFUL_RUNS, stateful_step_count=STATEFUL_STEPS
        )
    )


# Test mode's routes exist only when it is on: its own app, the clock fuzzed like the rest (the
# scenarios build whole states through the saga: tests/integration/test_scenarios.py).
TEST_APP = create_api(cast(Context, SimpleNamespace(settings=Settings(test_mode=True))))
TEST_CLOCK = schemathesis.openapi.from_asgi(
    "/api/openapi.json", TEST_APP, config=_config(coverage=True)
).include(path_regex="^/api/test/clock$")


@pytest.fixture(scope="module")
def test_mode_ctx(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Context]:
    folder = tmp_path_factory.mktemp("fuzz-test-mode")
    context = build_context(local_settings(folder, sqlite_template, test_mode=True))
    TEST_APP.state.ctx = context
    yield context
    context.close()


@FUZZ_SETTINGS
@TEST_CLOCK.parametrize()
def test_the_test_clock_keeps_the_contract(case: schemathesis.Case, test_mode_ctx: Context) -> None:
    case.call_and_validate()
