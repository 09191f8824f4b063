"""docker-compose.yml is valid and describes every process role the code has."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

from workers.cli import cli

ROOT = Path(__file__).resolve().parents[2]
# The secrets compose insists on (no defaults in the file): an operator's own, here random.
SECRETS = (
    "POSTGRES_PASSWORD",
    "RABBITMQ_DEFAULT_PASS",
    "MEILI_MASTER_KEY",
    "TRINITY_SECRET_KEY",
    "TRINITY_ADMIN_PASSWORD",
)


def _env(*, without: str = "") -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in SECRETS}
    env.update({name: secrets.token_urlsafe(32) for name in SECRETS if name != without})
    return env


def _run_compose(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.fail(
            "docker-compose is missing: `make test` installs it (Debian package docker-compose)"
        )
    # --project-directory elsewhere: a developer's .env in the checkout must not fill the gaps.
    return subprocess.run(
        [binary, "-f", str(ROOT / "docker-compose.yml"), "--project-directory", "/", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=60, env=env,
    )  # fmt: skip


def _compose(*args: str) -> str:
    result = _run_compose(*args, env=_env())
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_compose_file_is_valid() -> None:
    _compose("config", "-q")


def test_every_compose_command_is_a_trinity_command() -> None:
    import yaml

    config = yaml.safe_load(_compose("config"))
    commands = {
        service["command"][1]
        for service in config["services"].values()
        if service.get("command") and service["command"][0] == "trinity"
    }
    known = {command.name for command in cli.registered_commands}
    assert commands, "the compose file runs no trinity process"
    assert commands <= known, f"compose runs commands the CLI lacks: {commands - known}"


@pytest.mark.parametrize("secret", SECRETS)
def test_compose_refuses_to_start_without_each_secret(secret: str) -> None:
    result = _run_compose("config", "-q", env=_env(without=secret))
    assert result.returncode != 0
    assert f"set {secret}" in result.stderr


def test_compose_has_no_placeholder_secret_and_no_public_broker_ui() -> None:
    import yaml

    text = (ROOT / "docker-compose.yml").read_text()
    assert "change-me" not in text
    rabbitmq = yaml.safe_load(_compose("config"))["services"]["rabbitmq"]
    assert not rabbitmq.get("ports"), "RabbitMQ's management UI must not be published"
