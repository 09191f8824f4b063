"""`trinity`: the command line for operators and developers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from backend.bootstrap import Context, get_context
from backend.db import migrate
from backend.logs import configure_logging
from backend.seed import hotel_count, seed_hotels
from backend.services import auth
from backend.settings import get_settings

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
        seed_hotels(ctx.engine, hotels, seed, lambda n: progress.advance(task, n))


def ensure_demo_accounts(ctx: Context) -> list[tuple[str, str, str]]:
    settings = ctx.settings
    auth.ensure_user(ctx, settings.admin_email, settings.admin_password, "Admin", is_admin=True)
    for email, password, name in DEMO_USERS:
        auth.ensure_user(ctx, email, password, name, is_admin=False)
    return [("admin", settings.admin_email, settings.admin_password)] + [
        ("guest", email, password) for email, password, _ in DEMO_USERS
    ]


@cli.command("demo-users")
def demo_users_command() -> None:
    """Create the admin (TRINITY_ADMIN_EMAIL/PASSWORD) and the demo guest if missing."""
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
    """Expire unpaid holds forever (its own process in full mode)."""
    from backend.sweeper import run_sweeper

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    console.print("sweeper running; Ctrl-C stops it")
    try:
        run_sweeper(get_context(), stop)
    except KeyboardInterrupt:
        stop.set()


@cli.callback()
def _configure() -> None:
    """Trinity hotel booking: serve, seed and operate."""
    configure_logging()


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
