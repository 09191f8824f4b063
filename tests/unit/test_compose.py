"""docker-compose.yml is valid and describes every process role the code has."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from workers.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def _compose(*args: str) -> str:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.fail(
            "docker-compose is missing: `make test` installs it (Debian package docker-compose)"
        )
    result = subprocess.run(
        [binary, "-f", str(ROOT / "docker-compose.yml"), *args],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip
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
