"""Settings: modes pick their database, URLs are normalized, full mode refuses missing servers."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.settings import Mode, Settings


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
