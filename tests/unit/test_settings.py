"""Settings: modes pick their database, URLs are normalized, full mode refuses missing servers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.settings import DEV_ADMIN_PASSWORD, DEV_SECRET_KEY, InsecureSettings, Mode, Settings


def test_local_mode_ignores_a_stray_database_url(tmp_path: Path) -> None:
    settings = Settings(mode=Mode.LOCAL, data_dir=tmp_path, database_url="postgresql://x@h/db")
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path / 'trinity.db'}"


def test_full_mode_drives_psycopg3() -> None:
    settings = Settings(
        mode=Mode.FULL, database_url="postgres://u:p@h:5432/db", redis_url="redis://h"
    )
    assert settings.sqlalchemy_url == "postgresql+psycopg://u:p@h:5432/db"


def test_full_mode_names_the_missing_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError, match="DATABASE_URL, REDIS_URL"):
        Settings(mode=Mode.FULL).require_servers()


def test_default_admin_is_a_valid_account_email() -> None:
    from backend.services.auth import normalize_email

    assert normalize_email(Settings().admin_email) == Settings().admin_email


FULL_URLS = {
    "database_url": "postgresql://u:p@h/db",
    "redis_url": "redis://h",
    "broker_url": "amqp://h",
    "meili_url": "http://h",
}
STRONG = {"secret_key": "s" * 40, "admin_password": "a long admin password"}


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"secret_key": DEV_SECRET_KEY}, "TRINITY_SECRET_KEY"),
        ({"secret_key": "change-me-long-random-string-of-forty-chars"}, "TRINITY_SECRET_KEY"),
        ({"secret_key": "short"}, "TRINITY_SECRET_KEY"),
        ({"admin_password": DEV_ADMIN_PASSWORD}, "TRINITY_ADMIN_PASSWORD"),
        ({"admin_password": "change-me-admin"}, "TRINITY_ADMIN_PASSWORD"),
    ],
)
def test_full_mode_refuses_public_secrets(overrides: dict[str, str], named: str) -> None:
    settings = Settings(mode=Mode.FULL, **FULL_URLS, **{**STRONG, **overrides})  # type: ignore[arg-type]
    with pytest.raises(InsecureSettings, match=named):
        settings.require_secrets()


def test_full_mode_accepts_secrets_of_its_own_and_local_mode_needs_none() -> None:
    Settings(mode=Mode.FULL, **FULL_URLS, **STRONG).require_secrets()  # type: ignore[arg-type]
    Settings(mode=Mode.LOCAL, secret_key=DEV_SECRET_KEY).require_secrets()


def test_trinity_run_in_full_mode_with_the_built_in_secret_exits_with_a_message(
    tmp_path: Path,
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TRINITY_")},
        "TRINITY_MODE": "full",
        "TRINITY_DATA_DIR": str(tmp_path),
        **{name.upper(): value for name, value in FULL_URLS.items()},
    }
    result = subprocess.run(
        [sys.executable, "-m", "workers.cli", "run", "--port", "1"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    output = " ".join((result.stdout + result.stderr).split())
    assert "refuses to start" in output and "TRINITY_SECRET_KEY" in output
    assert "TRINITY_ADMIN_PASSWORD" in output
