"""Web client latency in a real Chromium, against the prod build in local mode.

    uv run --frozen python -m bench.web [--runs 20] [--hotels 20000] [--screenshots]

Seeds N demo hotels (backend.seed, around real cities) into a fresh local data dir, starts
`reflex run --env prod` on a free port (it compiles into the checkout's one .web/, so it takes the
e2e suite's lock, /tmp/trinity-e2e.lock, while it runs), then measures with Debian's Chromium:

  first results   a fresh browser context opens a search URL (a viewport over France): time from the
                  navigation's start to the first result card painted (MutationObserver, then the
                  next animation frame), `performance.now()` in the page.
  map pan         on a loaded page, a mouse drag of the map by 240 px (alternating left/right):
                  time from the mouseup to the moment the set of price markers changed. This
                  includes the viewport report's debounce (VIEWPORT_DEBOUNCE_MS, 300 ms); the
                  figure after the debounce is printed beside it. (A fast drag makes Leaflet glide
                  on for a few hundred ms; the map reports where the glide will stop as it starts.)

p50/p95 over --runs runs each. With --screenshots it also saves 1280x800 PNGs of the search,
hotel, checkout-confirmation, My trips (and its cancel dialog) and admin pages into
docs/screenshots/.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import free_port, percentile

ROOT = Path(__file__).resolve().parents[1]
TOOLS_BIN = ROOT / ".tools" / "node_modules" / ".bin"
LOCK = Path(os.environ.get("TRINITY_E2E_LOCK", "/tmp/trinity-e2e.lock"))
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}
FRANCE = "ne_lat=51.2&ne_lng=8.2&sw_lat=42.5&sw_lng=-4.8"  # a country-sized map, 20 results
DEBOUNCE_MS = 300
PAN_PX = 240

# Installed before any page script: records when the first result card and the price markers
# appear, and when the marker set last changed.
OBSERVE = """
(() => {
  window.__firstHit = null;
  window.__markersChanged = null;
  window.__markerKey = '';
  const check = () => {
    if (window.__firstHit === null && document.querySelector('.search-hit')) {
      requestAnimationFrame(() => { window.__firstHit = performance.now(); });
      window.__firstHit = -1;
    }
    const ids = Array.from(document.querySelectorAll('.trinity-price-marker[data-hotel-id]'))
      .map((m) => m.getAttribute('data-hotel-id')).sort().join(',');
    if (ids !== window.__markerKey) {
      window.__markerKey = ids;
      window.__markersChanged = performance.now();
    }
  };
  new MutationObserver(check).observe(document, {childList: true, subtree: true});
  document.addEventListener('mouseup', () => { window.__mouseUp = performance.now(); }, true);
})();
"""


# -- the server ------------------------------------------------------------------------------------


@contextlib.contextmanager
def e2e_lock() -> Iterator[None]:
    with LOCK.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for {LOCK} (an e2e run is using .web/)", flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def seed(data_dir: Path, hotels: int) -> dict[str, object]:
    """Demo hotels, the search index, a guest with a confirmed booking and an admin."""
    from backend.bootstrap import build_context
    from backend.db import migrate
    from backend.search.rebuilds import reindex
    from backend.seed import seed_hotels
    from backend.services import auth
    from backend.settings import Mode, Settings

    settings = Settings(mode=Mode.LOCAL, data_dir=data_dir)
    migrate(settings.sqlalchemy_url)
    ctx = build_context(settings)
    try:
        started = time.monotonic()
        seed_hotels(ctx, hotels)
        reindex(ctx, lambda _done: None)
        print(f"seeded {hotels} hotels in {time.monotonic() - started:.1f} s", flush=True)
        admin = auth.ensure_user(
            ctx, "admin@example.com", "admin-password", "Ada Admin", is_admin=True
        )
        token_admin, _ = auth.login(ctx, admin.email, "admin-password")
        token_guest, guest = auth.register(ctx, "guest@example.com", "guest-password", "Gil Guest")
        return {"admin": token_admin, "guest": token_guest, "guest_id": guest.id, "ctx": ctx}
    except BaseException:
        ctx.close()
        raise


def start_server(port: int, data_dir: Path, log_path: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.pop("REFLEX_REDIS_URL", None)
    env.update(
        TRINITY_MODE="local",
        TRINITY_DATA_DIR=str(data_dir),
        TRINITY_TILE_URL="",  # no internet here: markers and the outline only
        RELAY_POLL_SECONDS="0.2",
        PORT=str(port),
        REFLEX_TELEMETRY_ENABLED="false",
        REFLEX_CHECK_LATEST_VERSION="false",
        PYTHONUNBUFFERED="1",
        PATH=os.pathsep.join([str(TOOLS_BIN), str(Path(sys.executable).parent), env["PATH"]]),
    )
    cmd = [
        sys.executable, "-m", "reflex", "run", "--env", "prod",
        "--frontend-port", str(port), "--backend-host", "127.0.0.1",
    ]  # fmt: skip
    log = log_path.open("wb")
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    while True:
        if proc.poll() is not None:
            sys.exit(f"the Reflex server exited ({proc.returncode}); see {log_path}")
        try:
            with urllib.request.urlopen(base + "/ping", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() - started > 300:
            stop(proc)
            sys.exit(f"the Reflex server did not start in 300 s; see {log_path}")
        time.sleep(0.25)
    print(f"server ready on {base} after {time.monotonic() - started:.1f} s", flush=True)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


# -- measurements ----------------------------------------------------------------------------------


def first_results(browser: object, base: str, runs: int) -> list[float]:
    """Milliseconds from navigation start to the first result card painted, fresh contexts."""
    times = []
    for _ in range(runs):
        context = browser.new_context(viewport=VIEWPORT)  # type: ignore[attr-defined]
        page = context.new_page()
        page.add_init_script(OBSERVE)
        page.goto(f"{base}/?{FRANCE}")
        page.wait_for_function("window.__firstHit > 0", timeout=30_000)
        times.append(page.evaluate("window.__firstHit"))
        context.close()
    return times


def map_pans(browser: object, base: str, runs: int) -> list[float]:
    """Milliseconds from the end of a map drag to a changed set of price markers."""
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[attr-defined]
    page = context.new_page()
    page.add_init_script(OBSERVE)
    page.goto(f"{base}/?{FRANCE}")
    page.wait_for_function("window.__firstHit > 0", timeout=30_000)
    page.wait_for_timeout(800)  # the map's first viewport report and its search settle
    box = page.locator("#search-map").bounding_box()
    assert box, "the map is not on the page"
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    times = []
    for i in range(runs):
        before = page.evaluate("window.__markersChanged")
        dx = PAN_PX if i % 2 == 0 else -PAN_PX
        page.mouse.move(x, y)
        page.mouse.down()
        for step in range(1, 9):
            page.mouse.move(x - dx * step / 8, y, steps=1)
        page.mouse.up()
        page.wait_for_function(
            f"window.__markersChanged > Math.max({before}, window.__mouseUp || 0)", timeout=15_000
        )
        times.append(page.evaluate("window.__markersChanged - window.__mouseUp"))
        page.wait_for_timeout(DEBOUNCE_MS + 200)  # let any trailing report finish
    context.close()
    return times


def report(name: str, times: list[float], after_debounce: bool = False) -> str:
    p50, p95 = percentile(times, 50), percentile(times, 95)
    line = f"{name:<16} p50 {p50:7.0f} ms   p95 {p95:7.0f} ms   (n={len(times)})"
    if after_debounce:
        line += f"   after the {DEBOUNCE_MS} ms debounce: p50 {p50 - DEBOUNCE_MS:.0f} ms, p95 {p95 - DEBOUNCE_MS:.0f} ms"
    return line


# -- screenshots -----------------------------------------------------------------------------------


def screenshots(browser: object, base: str, seeded: dict[str, object]) -> None:
    """PNGs of the main pages for the README (1280x800, viewport only, small)."""
    from sqlmodel import Session, select

    from backend.models import Hotel
    from backend.services import booking, checkout
    from backend.services.booking import HoldRequest
    from backend.services.checkout import CheckoutRequest

    ctx = seeded["ctx"]
    with Session(ctx.engine) as session:  # type: ignore[attr-defined]
        hotel = session.exec(
            select(Hotel).where(Hotel.city == "Paris")  # type: ignore[attr-defined]
        ).first()
    assert hotel is not None, "no demo hotel in Paris"
    from backend.services.hotels import get_hotel

    room = get_hotel(ctx, hotel.id or 0).room_types[0]
    check_in = datetime.now(UTC).date() + timedelta(days=21)
    held = booking.hold_room(
        ctx,
        HoldRequest(int(seeded["guest_id"]), room.id, check_in, check_in + timedelta(days=2), 1),  # type: ignore[arg-type]
    )
    checkout.checkout(
        ctx, CheckoutRequest(int(seeded["guest_id"]), held.id or 0, "4242424242424242")
    )  # type: ignore[arg-type]

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[attr-defined]
    page = context.new_page()

    def shot(name: str) -> None:
        page.wait_for_timeout(600)  # fonts, the map's marker layout
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path))
        print(f"saved {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KiB)", flush=True)

    page.goto(f"{base}/?{FRANCE}")
    page.locator(".search-hit").first.wait_for()
    shot("search")
    page.goto(f"{base}/hotel/{hotel.id}")
    page.locator("[id^=available-]").first.wait_for()
    shot("hotel")
    page.goto(f"{base}/ping")
    page.evaluate("t => localStorage.setItem('trinity_token', t)", seeded["guest"])
    page.goto(f"{base}/checkout/{held.id}")
    page.locator("#order-status", has_text="confirmed").wait_for(timeout=30_000)
    page.locator("iframe#confirmation-map").wait_for()
    shot("checkout-confirmation")
    page.goto(f"{base}/trips")
    page.locator(f"#status-{held.id}").wait_for()
    shot("trips")
    page.get_by_role("button", name=f"Cancel booking {held.id}").click()
    page.locator(f"#refund-quote-{held.id}", has_text="Cancelling now refunds").wait_for()
    shot("trips-cancel")  # the dialog with the rule and the refund quoted; then "Keep it"
    page.get_by_role("button", name="Keep it").click()
    page.evaluate("t => localStorage.setItem('trinity_token', t)", seeded["admin"])
    page.goto(f"{base}/admin")
    page.locator("#admin-hotels").wait_for()
    shot("admin")
    context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--hotels", type=int, default=20_000)
    parser.add_argument("--screenshots", action="store_true", help="also save docs/screenshots/")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="trinity-bench-web-") as tmp, e2e_lock():
        data_dir = Path(tmp)
        seeded = seed(data_dir, args.hotels)
        port = free_port()
        proc = start_server(port, data_dir, data_dir / "reflex.log")
        base = f"http://127.0.0.1:{port}"
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                first_results(browser, base, 2)  # warm-up: server caches, compiled pages
                loads = first_results(browser, base, args.runs)
                pans = map_pans(browser, base, args.runs)
                if args.screenshots:
                    screenshots(browser, base, seeded)
                browser.close()
        finally:
            stop(proc)
            seeded["ctx"].engine.dispose()  # type: ignore[attr-defined]
    print()
    print(f"Web client, local mode, prod build, {args.hotels} demo hotels, Chromium headless")
    print(report("first results", loads))
    print(report("map pan", pans, after_debounce=True))


if __name__ == "__main__":
    main()
