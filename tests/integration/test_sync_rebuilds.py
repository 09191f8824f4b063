"""Full rebuilds go through the index's one writer, in both modes: reindexes asked for together
make one rebuild, a reindex waits for the worker (with a bound), rebuilds in its own process when
no worker runs, and a worker stands by while someone else holds the writer lock."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from search_fixtures import eventually, insert_hotel_sql, running_sync, search_context
from sqlalchemy import text

from backend.context import Context
from backend.search.port import SearchQuery
from backend.search.rebuilds import (
    ReindexTimeout,
    rebuild_status,
    reindex,
    request_rebuild,
    serve_rebuilds,
)
from backend.seed import seed_hotels

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def ctx(mode: str, settings_factory: Any) -> Iterator[Context]:
    yield from search_context(mode, settings_factory)


def found(ctx: Context, text: str) -> list[int]:
    return [h.id for h in ctx.search.search(SearchQuery(text=text)).hits]


def test_requests_waiting_together_cost_one_rebuild(ctx: Context) -> None:
    seed_hotels(ctx, 30, seed=3)
    requests = [request_rebuild(ctx.engine), request_rebuild(ctx.engine)]
    with ctx.feed.writer_lock(timeout=0):
        assert serve_rebuilds(ctx)
        assert not serve_rebuilds(ctx)  # nothing left waiting
    statuses = [rebuild_status(ctx.engine, r) for r in requests]
    assert [(s.finished, s.indexed) for s in statuses] == [(True, 30), (True, 30)]
    assert ctx.search.count() == 30


def test_the_worker_rebuilds_for_reindexes_and_coalesces_those_asked_for_meanwhile(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three reindexes: the first starts a rebuild; the two asked for while it runs may not be
    served by it (it may have read the hotels already) but share the next one."""
    seed_hotels(ctx, 120, seed=3)
    real_rebuild, rebuilds = ctx.search.rebuild, []
    building, go_on = threading.Event(), threading.Event()

    def held_rebuild(pages: Any, progress: Any) -> int:
        rebuilds.append(threading.current_thread().name)
        if len(rebuilds) == 1:
            building.set()
            go_on.wait(30)
        return real_rebuild(pages, progress)

    monkeypatch.setattr(ctx.search, "rebuild", held_rebuild)
    results: list[object] = []

    def run() -> None:
        try:
            results.append(reindex(ctx, lambda n: None, batch=40, timeout=60))
        except BaseException as error:  # asserted below
            results.append(error)

    threads = [threading.Thread(target=run, daemon=True) for _ in range(3)]
    with running_sync(ctx):
        threads[0].start()
        try:
            assert building.wait(30)
            for thread in threads[1:]:
                thread.start()
            time.sleep(0.5)
            assert all(thread.is_alive() for thread in threads)  # all waiting for the worker
        finally:
            go_on.set()
            for thread in threads:
                if thread.ident:
                    thread.join(60)
    assert results == [120, 120, 120]
    assert rebuilds == ["test-sync", "test-sync"]  # by the worker, and one for both latecomers
    assert ctx.search.search(SearchQuery(limit=5)).total == 120


def test_an_edit_made_while_the_worker_rebuilds_reaches_the_new_index(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_hotels(ctx, 100, seed=4)
    with ctx.engine.connect() as conn:
        first = conn.execute(text("SELECT min(id) FROM hotels")).scalar_one()

    def rename_after_the_first_page(_done: int) -> None:
        if not renamed.is_set():  # the first page (its lowest ids) is read and written
            with ctx.engine.begin() as conn:
                conn.execute(
                    text("UPDATE hotels SET name = 'Casa Durante' WHERE id = :id"), {"id": first}
                )
            renamed.set()

    renamed = threading.Event()
    real_rebuild = ctx.search.rebuild

    def rebuild_with_an_edit(pages: Any, progress: Any) -> int:
        return real_rebuild(pages, lambda n: (progress(n), rename_after_the_first_page(n)))

    monkeypatch.setattr(ctx.search, "rebuild", rebuild_with_an_edit)
    with running_sync(ctx):
        assert reindex(ctx, lambda n: None, batch=25, timeout=60) == 100
        bound = 1.0 if ctx.settings.mode == "local" else 10.0
        eventually(lambda: found(ctx, "Durante") == [first], within=bound)


def test_a_reindex_gives_up_after_its_timeout_when_the_writer_does_not_serve_it(
    ctx: Context,
) -> None:
    seed_hotels(ctx, 10, seed=3)
    with ctx.feed.writer_lock(timeout=0):  # a worker that holds the lock and is stuck
        started = time.monotonic()
        with pytest.raises(ReindexTimeout, match=r"did not finish within 0\.5 s"):
            reindex(ctx, lambda n: None, timeout=0.5)
        assert time.monotonic() - started < 5
    assert ctx.search.count() == 0  # nothing was written by anyone


def test_trinity_reindex_exits_non_zero_with_a_clear_message_on_timeout(ctx: Context) -> None:
    settings = ctx.settings
    environment = {
        **os.environ,
        "TRINITY_MODE": settings.mode.value,
        "TRINITY_DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": settings.sqlalchemy_url,
        "REDIS_URL": settings.redis_url or "",
        "MEILI_URL": settings.meili_url or "",
        "TRINITY_SEARCH_INDEX": settings.search_index,
        "COLUMNS": "200",
    }
    with ctx.feed.writer_lock(timeout=0):
        done = subprocess.run(
            [sys.executable, "-m", "workers.cli", "reindex", "--timeout", "1"],
            cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "did not finish within 1 s" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr  # just the message


def test_a_worker_stands_by_while_another_process_holds_the_writer_lock(ctx: Context) -> None:
    """A `trinity reindex` rebuilding in its own process (no worker was running) holds the lock:
    a worker started meanwhile writes nothing until it is free, then takes over."""
    with contextlib.ExitStack() as reindexing:
        reindexing.enter_context(ctx.feed.writer_lock(timeout=0))
        with running_sync(ctx, standby=True):
            hotel = insert_hotel_sql(ctx, "Casa Espera")
            time.sleep(1.0)
            assert found(ctx, "espera") == []
            reindexing.close()  # the reindex is done
            eventually(lambda: found(ctx, "espera") == [hotel], within=5)


def lock_holder(ctx: Context) -> int | None:
    from backend.adapters.postgres.feed import WRITER_KEY

    with ctx.engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND classid = 0 AND objid::text::bigint = :key"
            ),
            {"key": WRITER_KEY},
        ).scalar()


def test_a_worker_whose_lock_session_ends_takes_the_lock_again(mode: str, ctx: Context) -> None:
    """A PostgreSQL restart (here: its session terminated) frees the advisory lock: the worker
    notices within a second, stops writing, and takes the lock again before it goes on."""
    if mode == "local":
        pytest.skip("an flock lasts as long as its open file, which the worker keeps")
    with running_sync(ctx):
        first = lock_holder(ctx)
        assert first is not None
        with ctx.engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        eventually(lambda: lock_holder(ctx) not in (None, first), within=10)
        hotel = insert_hotel_sql(ctx, "Casa Volta")
        eventually(lambda: found(ctx, "volta") == [hotel], within=10)
