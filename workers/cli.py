"""`trinity`: the command line for operators and developers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from backend.bootstrap import get_context
from backend.context import Context
from backend.db import migrate
from backend.logs import configure_logging
from backend.seed import hotel_count, seed_hotels
from backend.services import auth
from backend.settings import InsecureSettings, Mode, get_settings
from workers import qa

ROOT = Path(__file__).resolve().parents[1]
DEMO_USERS = [("guest@example.com", "guest-password", "Grace Guest")]
cli = typer.Typer(help="Trinity hotel booking: serve, seed and operate.", no_args_is_help=True)
console = Console()


@cli.command("migrate")
def migrate_command() -> None:
    """Apply database migrations."""
    migrate(get_settings().sqlalchemy_url)
    console.print("[green]database is up to date[/]")


@cli.command("seed")
def seed_command(
    hotels: int = typer.Option(10_000, "--hotels", min=1, help="How many hotels to add."),
    seed: int = typer.Option(42, "--seed", help="Random seed: the same seed gives the same data."),
) -> None:
    """Add demo hotels scattered around real cities, with a progress bar."""
    migrate(get_settings().sqlalchemy_url)
    _seed(get_context(), hotels, seed)


def _seed(ctx: Context, hotels: int, seed: int) -> None:
    columns = (
        TextColumn("[bold]seeding hotels"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("seed", total=hotels)
        seed_hotels(ctx, hotels, seed, lambda n: progress.advance(task, n))


def ensure_demo_accounts(ctx: Context) -> list[tuple[str, str, str]]:
    """The admin from settings always; the demo guest (a public password) only in local mode.

    Returns the logins to print: full mode's passwords are the operator's own and never shown."""
    settings = ctx.settings
    auth.ensure_user(ctx, settings.admin_email, settings.admin_password, "Admin", is_admin=True)
    if settings.mode is not Mode.LOCAL:
        return [("admin", settings.admin_email, "(TRINITY_ADMIN_PASSWORD)")]
    for email, password, name in DEMO_USERS:
        auth.ensure_user(ctx, email, password, name, is_admin=False)
    return [("admin", settings.admin_email, settings.admin_password)] + [
        ("guest", email, password) for email, password, _ in DEMO_USERS
    ]


@cli.command("demo-users")
def demo_users_command() -> None:
    """Create the admin (TRINITY_ADMIN_EMAIL/PASSWORD), and in local mode the demo guest."""
    for role, email, password in ensure_demo_accounts(get_context()):
        console.print(f"{role}: {email} / {password}")


@cli.command("run")
def run_command(
    port: int = typer.Option(int(os.environ.get("PORT", "3000")), "--port", help="HTTP port."),
) -> None:
    """Migrate, seed demo data on first start, and serve page + API on one port."""
    ctx = get_context()
    migrate(ctx.settings.sqlalchemy_url)
    if hotel_count(ctx.engine) == 0:
        _seed(ctx, ctx.settings.demo_hotels, 42)
    for role, email, password in ensure_demo_accounts(ctx):
        console.print(f"[bold]{role}[/] login: {email} / {password}")
    console.print(f"[green]Trinity ({ctx.settings.mode} mode) on http://localhost:{port}[/]")
    command = [
        sys.executable,
        "-m",
        "reflex",
        "run",
        "--env",
        "prod",
        "--frontend-port",
        str(port),
        "--backend-port",
        str(port),
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, "PORT": str(port)}, start_new_session=True
    )
    try:
        sys.exit(process.wait())
    except KeyboardInterrupt:
        os.killpg(process.pid, signal.SIGTERM)
        sys.exit(process.wait())


@cli.command("sweeper")
def sweeper_command() -> None:
    """Expire unpaid holds and settle stuck orders forever (its own process in full mode)."""
    from backend.sweeper import run_sweeper

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    console.print("sweeper running; Ctrl-C stops it")
    try:
        run_sweeper(get_context(), stop)
    except KeyboardInterrupt:
        stop.set()


def _run_until_signalled(name: str, role: Callable[[threading.Event], None]) -> None:
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    console.print(f"{name} running; Ctrl-C stops it")
    role(stop)


@cli.command("relay")
def relay_command() -> None:
    """Publish the outbox to the broker forever (flow 3; its own process in full mode)."""
    from workers.saga import run_relay

    ctx = get_context()
    _run_until_signalled("relay", lambda stop: run_relay(ctx, stop))
    ctx.broker.close()


@cli.command("worker")
def worker_command(
    queue: list[str] = typer.Option(
        ..., "--queue", "-q", help="Service queue(s) to consume: orders, payments, inventory."
    ),
) -> None:
    """Run the saga's dramatiq actors of the given queue(s) (one process per queue in full mode)."""
    from backend.saga.topology import QUEUES
    from workers.saga import run_saga_worker

    unknown = set(queue) - set(QUEUES)
    if unknown:
        raise typer.BadParameter(f"unknown queue(s) {sorted(unknown)}; choose from {QUEUES}")
    ctx = get_context()
    _run_until_signalled(f"worker {queue}", lambda stop: run_saga_worker(ctx, stop, queue))
    ctx.broker.close()


@cli.command("dlq")
def dlq_command(
    replay: bool = typer.Option(False, "--replay", help="Send every dead letter again."),
) -> None:
    """List the saga's dead-lettered messages (and replay them with --replay)."""
    from backend.saga.dlq import dead_letters

    ctx = get_context()
    letters = dead_letters(ctx, replay=replay)
    for letter in letters:
        console.print(
            f"{letter.queue} {letter.actor_name} {letter.event_type} {letter.message_id} "
            f"retries={letter.retries} {letter.error}"
        )
    verb = "replayed" if replay else "dead-lettered"
    console.print(f"{len(letters)} message(s) {verb}")
    ctx.broker.close()


@cli.command("sync")
def sync_command() -> None:
    """Feed hotel changes into the search index forever (flow 2; its own process in full mode)."""
    from backend.search.sync import run_sync

    ctx = get_context()  # the schema is the web role's (or `trinity migrate`'s) job
    _run_until_signalled("search sync", lambda stop: run_sync(ctx, stop))


@cli.command("reindex")
def reindex_command(
    batch: int = typer.Option(
        5_000, "--batch", min=1, help="Hotels per index write (a rebuild in this process)."
    ),
    timeout: float = typer.Option(
        900.0, "--timeout", min=0, help="Seconds to wait for the sync worker's rebuild."
    ),
) -> None:
    """Rebuild the search index from the database into a fresh index and swap it in.

    The running sync worker does it (asked through the database); with no worker running, this
    process does, as the index's one writer."""
    from backend.search.documents import hotel_count as indexable_hotels
    from backend.search.rebuilds import ReindexTimeout, reindex

    ctx = get_context()
    migrate(ctx.settings.sqlalchemy_url)
    columns = (
        TextColumn("[bold]reindexing hotels"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("reindex", total=indexable_hotels(ctx.engine))
        try:
            done = reindex(
                ctx,
                lambda n: progress.advance(task, n),
                batch=batch,
                timeout=timeout,
                waiting=lambda message: progress.console.print(f"[yellow]{message}[/]"),
            )
        except ReindexTimeout as error:
            progress.stop()
            console.print(f"[red]{error}[/]")
            raise typer.Exit(1) from None
    console.print(f"[green]{done} hotels indexed and swapped in[/]")


@cli.command("desktop")
def desktop_command(
    url: str = typer.Option("", "--url", help="Open this running app instead of starting one."),
    port: int = typer.Option(3000, "--port", help="Port for the app started here."),
) -> None:
    """Open local mode in a native window (extra `desktop`), else in the default browser."""
    from backend.desktop import native_window_available, open_in_browser, open_window

    server = None if url else _start_local_server(port)
    target = url or f"http://localhost:{port}"
    try:
        if native_window_available():
            open_window(target, lambda title: console.print(f"window shows: {title}"))
        else:
            console.print("no Qt window (uv sync --extra desktop); opening the browser")
            open_in_browser(target)
            signal.pause()
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(30)


def _start_local_server(port: int) -> subprocess.Popen[bytes]:
    import httpx

    server = subprocess.Popen(
        [sys.executable, "-m", "workers.cli", "run", "--port", str(port)],
        cwd=ROOT, env={**os.environ, "TRINITY_MODE": "local"}, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.5)
    os.killpg(server.pid, signal.SIGTERM)
    console.print(f"[red]the local app did not start on port {port}[/]")
    raise typer.Exit(1)


# QA's test mode (TRINITY_TEST_MODE=1): workers/qa.py.
cli.command("scenario")(qa.scenario_command)
cli.command("clock")(qa.clock_command)


@cli.callback()
def _configure() -> None:
    """Trinity hotel booking: serve, seed and operate."""
    configure_logging()
    try:
        get_settings()  # a refused configuration stops every command here, in one sentence
    except ValidationError as error:
        for problem in error.errors():
            console.print(f"[red]{problem['msg'].removeprefix('Value error, ')}[/]")
        raise typer.Exit(2) from None


def main() -> None:
    try:
        cli()
    except InsecureSettings as error:  # a clear line instead of a traceback, and no server
        console.print(f"[red]{error}[/]")
        sys.exit(2)


if __name__ == "__main__":
    main()
