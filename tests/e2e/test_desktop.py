"""`trinity desktop` shows the running local app in a native Qt window (Xvfb, pywebview)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.desktop import native_window_available


@pytest.fixture
def display() -> Iterator[str]:
    xvfb = shutil.which("Xvfb")
    if xvfb is None or not native_window_available():
        pytest.fail("the desktop test needs Xvfb and the `desktop` extra (make test installs both)")
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(write_end), "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
        pass_fds=(write_end,), stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write_end)
    with os.fdopen(read_end) as numbers:
        number = numbers.readline().strip()  # up to the newline, then the pipe may close
    yield f":{number}"
    server.terminate()
    server.wait(10)


def test_desktop_window_shows_the_app(app_server: str, display: str, tmp_path: Path) -> None:
    trinity = str(Path(sys.executable).parent / "trinity")
    window = subprocess.Popen(
        [trinity, "desktop", "--url", app_server],
        env={**os.environ, "DISPLAY": display, "PYTHONIOENCODING": "utf-8"},
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        shown = ""
        assert window.stdout is not None
        while time.monotonic() < deadline and "window shows:" not in shown:
            line = window.stdout.readline()
            if not line and window.poll() is not None:
                break
            shown = line
        assert "window shows: Trinity" in shown, f"the window never showed the app ({shown!r})"
        shot = tmp_path / "desktop.png"
        subprocess.run(
            ["import", "-display", display, "-window", "root", str(shot)], check=True, timeout=30
        )
        spread = subprocess.run(
            ["identify", "-format", "%[fx:standard_deviation]", str(shot)],
            capture_output=True, text=True, check=True, timeout=30,
        ).stdout  # fmt: skip
        assert float(spread) > 0.02, "the screenshot of the window is blank"
    finally:
        os.killpg(window.pid, signal.SIGTERM)
        try:
            window.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(window.pid, signal.SIGKILL)
