"""One rebuild of the search index at a time: `trinity reindex` twice at once, or beside the sync
worker's own rebuild after a TRUNCATE (both build the same fresh index name), in both modes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from search_fixtures import search_context
from sqlalchemy import text

from backend.context import Context
from backend.search.batch_gate import RebuildRunning, rebuild_lock
from backend.search.port import SearchQuery
from backend.search.sync import ALL_HOTELS, pending_changes, reindex, sync_once
from backend.seed import seed_hotels


@pytest.fixture
def ctx(mode: str, settings_factory: Any) -> Iterator[Context]:
    yield from search_context(mode, settings_factory)


def test_two_reindexes_at_once_run_one_after_the_other(ctx: Context) -> None:
    seed_hotels(ctx, 120, seed=3)
    results: list[object] = []
    first_is_building, go_on = threading.Event(), threading.Event()

    def first_progress(_done: int) -> None:
        first_is_building.set()
        go_on.wait(30)

    def run(progress: Any) -> None:
        try:
            results.append(reindex(ctx, progress, batch=40))
        except BaseException as error:  # asserted below
            results.append(error)

    first = threading.Thread(target=run, args=(first_progress,), daemon=True)
    second = threading.Thread(target=run, args=(lambda n: None,), daemon=True)
    first.start()
    try:
        assert first_is_building.wait(30)
        second.start()
        second.join(1.0)
        assert second.is_alive()  # waiting for the first rebuild
    finally:
        go_on.set()
        for thread in (first, second):
            if thread.ident:
                thread.join(60)
    assert results == [120, 120]
    assert ctx.search.count() == 120
    assert ctx.search.search(SearchQuery(limit=5)).total == 120


def test_the_workers_rebuild_fails_its_batch_while_a_reindex_runs(ctx: Context) -> None:
    seed_hotels(ctx, 30, seed=3)
    while sync_once(ctx):
        pass
    txid = "pg_current_xact_id()::text::bigint" if ctx.engine.dialect.name == "postgresql" else "0"
    with ctx.engine.begin() as conn:  # what a TRUNCATE logs: any hotel may have changed
        conn.execute(
            text(f"INSERT INTO hotel_changes (hotel_id, txid) SELECT {ALL_HOTELS}, {txid}")
        )
    with rebuild_lock(ctx.feed), pytest.raises(RebuildRunning):
        sync_once(ctx)  # the worker's loop backs off and retries this batch
    assert pending_changes(ctx.engine) >= 1  # nothing was skipped
    assert sync_once(ctx) >= 1  # the lock is free: the batch rebuilds the index
    assert ctx.search.count() == 30
