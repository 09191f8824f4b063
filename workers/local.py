"""Local mode's thread launcher: the background roles in threads of the web app's process.

In full mode each role is its own OS process (`trinity sweeper`, ...). In local mode there are no
servers and no extra processes, so the web app runs the same loops in threads of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from backend.context import Context
from backend.search.sync import run_sync
from backend.sweeper import run_sweeper
from workers.saga import run_relay, run_saga_worker

Role = Callable[[Context, threading.Event], None]
IN_PROCESS_ROLES: dict[str, Role] = {
    "sweeper": run_sweeper,
    "relay": run_relay,  # flow 3: outbox -> StubBroker
    "saga-worker": run_saga_worker,  # flow 3: dramatiq Worker on every saga queue
    "search-sync": run_sync,  # flow 2: hotel_changes -> embedded search index
}


def start_in_process_roles(ctx: Context) -> Callable[[], None]:
    """Start the local-mode roles in daemon threads; returns a function that stops them."""
    if not ctx.settings.runs_roles_in_process:
        return lambda: None
    stop = threading.Event()
    threads = [
        threading.Thread(target=role, args=(ctx, stop), name=f"trinity-{name}", daemon=True)
        for name, role in IN_PROCESS_ROLES.items()
    ]
    for thread in threads:
        thread.start()

    def stop_all() -> None:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)

    return stop_all
