"""`trinity scenario` and `trinity clock`: QA's test mode from the command line.

With `--url` they call a running app's /api/test/* (the app must run with TRINITY_TEST_MODE=1);
without, they work in this process against the configured database and Redis. Local mode's
Redis lives inside the web app's process, so beside a running local app use `--url`.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, NoReturn

import httpx
import typer
from rich.console import Console

from backend.bootstrap import get_context
from backend.clock import ServerClock
from backend.context import Context
from backend.db import migrate
from backend.errors import TrinityError
from backend.scenarios import NAMES, ScenarioParams, run_scenario
from backend.settings import get_settings

console = Console()
URL_HELP = "A running app's URL (e.g. http://localhost:3000); without, work in this process."


def scenario_command(
    name: str = typer.Argument(..., help=f"One of: {', '.join(NAMES)}."),
    url: str = typer.Option("", "--url", help=URL_HELP),
    check_in: datetime | None = typer.Option(None, "--check-in", formats=["%Y-%m-%d"]),
    check_out: datetime | None = typer.Option(None, "--check-out", formats=["%Y-%m-%d"]),
    holders: int | None = typer.Option(None, "--holders", help="busy-hotel: guests holding."),
) -> None:
    """Build a QA scenario's state (idempotent) and print its URLs, logins and next steps."""
    params = {
        "check_in": check_in.date().isoformat() if check_in else None,
        "check_out": check_out.date().isoformat() if check_out else None,
        "holders": holders,
    }
    given = {key: value for key, value in params.items() if value is not None}
    if url:
        _show_scenario(_call(url, f"/api/test/scenarios/{name}", given))
        return
    ctx = _test_mode_context()
    migrate(ctx.settings.sqlalchemy_url)
    try:
        with _saga_in_process(ctx):
            result = run_scenario(ctx, name, ScenarioParams(**given))  # type: ignore[arg-type]
    except TrinityError as error:
        _fail(f"{error.code}: {error.message}")
    app_url = f"http://localhost:{os.environ.get('PORT', '3000')}"
    _show_scenario(result.to_json(app_url))


def clock_command(
    advance: float | None = typer.Option(None, "--advance", help="Seconds to move forward."),
    set_to: str = typer.Option("", "--set", help="An ISO 8601 instant, e.g. 2027-01-01T12:00Z."),
    reset: bool = typer.Option(False, "--reset", help="Back to real time."),
    url: str = typer.Option("", "--url", help=URL_HELP),
) -> None:
    """Show or move the server clock (test mode)."""
    change: dict[str, Any] = {
        key: value
        for key, value in {"advance_seconds": advance, "set_to": set_to, "reset": reset}.items()
        if value
    }
    if url:
        body = _call(url, "/api/test/clock", change) if change else _get(url, "/api/test/clock")
    else:
        body = _move_clock_here(change)
    console.print(f"server time {body['now']} (offset {body['offset_seconds']:+.1f} s)")


def _move_clock_here(change: dict[str, Any]) -> dict[str, Any]:
    ctx = _test_mode_context()
    if ctx.settings.runs_roles_in_process:
        _fail(
            "Local mode keeps the clock inside the web app's process: "
            f"pass --url http://localhost:{os.environ.get('PORT', '3000')}."
        )
    clock = ctx.clock
    assert isinstance(clock, ServerClock)
    if len(change) > 1:
        _fail("Give one of --advance, --set or --reset.")
    if "advance_seconds" in change:
        if change["advance_seconds"] < 0:
            _fail("The clock only advances: --advance takes seconds >= 0 (or use --set).")
        clock.advance(change["advance_seconds"])
    elif "set_to" in change:
        try:
            clock.set_to(datetime.fromisoformat(change["set_to"]))
        except ValueError as error:
            _fail(f"--set: {error}")
    elif change:
        clock.reset()
    return {"now": clock().isoformat(), "offset_seconds": clock.offset_seconds()}


def _test_mode_context() -> Context:
    if not get_settings().test_mode:
        _fail("Scenarios and the clock need TRINITY_TEST_MODE=1 (never on a production secret).")
    return get_context()


@contextlib.contextmanager
def _saga_in_process(ctx: Context) -> Iterator[None]:
    """Local mode has no worker processes: run the relay and the saga here while we build."""
    if not ctx.settings.runs_roles_in_process:
        yield
        return
    from workers.saga import run_relay, run_saga_worker

    stop = threading.Event()
    threads = [threading.Thread(target=r, args=(ctx, stop)) for r in (run_relay, run_saga_worker)]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=15)


def _call(url: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    return _answer(url, lambda http: http.post(path, json=body))


def _get(url: str, path: str) -> dict[str, Any]:
    return _answer(url, lambda http: http.get(path))


def _answer(url: str, send: Callable[[httpx.Client], httpx.Response]) -> dict[str, Any]:
    try:
        with httpx.Client(base_url=url, timeout=60) as http:
            response = send(http)
    except httpx.HTTPError as error:
        _fail(f"{url} did not answer: {error}")
    body: dict[str, Any] = response.json()
    if response.status_code == 404 and body.get("error", {}).get("message") == "Not Found":
        _fail(f"{url} has no /api/test: is it running with TRINITY_TEST_MODE=1?")
    if response.status_code >= 400:
        found = body.get("error", {})
        _fail(f"{found.get('code', response.status_code)}: {found.get('message', response.text)}")
    return body


def _show_scenario(body: dict[str, Any]) -> None:
    console.print(f"[bold]{body['name']}[/]: {body['summary']}")
    for login in body["logins"]:
        console.print(f"  {login['role']} login: {login['email']} / {login['password']}")
    for what, address in body["urls"].items():
        console.print(f"  {what}: {address}")
    for what, value in {**body["ids"], **body["details"]}.items():
        console.print(f"  {what}: {value}")
    console.print(f"next: {body['next_steps']}")


def _fail(message: str) -> NoReturn:
    console.print(f"[red]{message}[/]")
    raise typer.Exit(1)
