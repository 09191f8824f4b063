"""A real `trinity sync` process (full mode) SIGKILLed while the index applies one of its batches,
then restarted: it resumes from its checkpoint, and the index ends up holding exactly the hotels
of the database, each once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from search_fixtures import eventually, search_context, warm_up
from sqlalchemy import text

from backend.context import Context
from backend.search.checkpoint import Position, load_checkpoint, pending_changes
from backend.search.documents import documents_for
from backend.seed import seed_hotels

ROOT = Path(__file__).resolve().parents[2]
HOTELS = 1500
BATCH = 100  # change rows per batch: the backlog takes many batches


@pytest.fixture
def ctx(mode: str, settings_factory: Any) -> Iterator[Context]:
    if mode != "full":
        pytest.skip("the sync worker is its own process in full mode only (local: in-process)")
    yield from search_context(mode, settings_factory)


def spawn_sync(ctx: Context, log: Path) -> subprocess.Popen[bytes]:
    settings = ctx.settings
    environment = {
        **os.environ,
        "TRINITY_MODE": "full",
        "DATABASE_URL": settings.sqlalchemy_url,
        "REDIS_URL": settings.redis_url or "",
        "MEILI_URL": settings.meili_url or "",
        "TRINITY_SEARCH_INDEX": settings.search_index,
        "SEARCH_SYNC_BATCH": str(BATCH),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "workers.cli", "sync"],
        cwd=ROOT, env=environment, stdout=log.open("ab"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def checkpoint(ctx: Context) -> Position:
    with ctx.engine.connect() as conn:
        return load_checkpoint(conn)


def index_busy(ctx: Context) -> bool:
    """Meilisearch holds an unfinished document write of this index: a batch is being applied."""
    index = ctx.search.inner  # type: ignore[attr-defined]
    tasks = index.client.get_tasks(
        {"indexUids": index.uid, "statuses": "enqueued,processing", "limit": 1}
    )
    return bool(tasks.results)


def documents_received_since(ctx: Context, after_task: int) -> int:
    index = ctx.search.inner  # type: ignore[attr-defined]
    tasks = index.client.get_tasks(
        {"indexUids": index.uid, "types": "documentAdditionOrUpdate", "limit": 1000}
    )
    return sum(
        int((t.details or {}).get("receivedDocuments", 0))
        for t in tasks.results
        if t.uid > after_task
    )


def last_task(ctx: Context) -> int:
    index = ctx.search.inner  # type: ignore[attr-defined]
    tasks = index.client.get_tasks({"limit": 1})
    return int(tasks.results[0].uid) if tasks.results else -1


def expected_documents(ctx: Context) -> dict[int, tuple[str, float]]:
    with ctx.engine.connect() as conn:
        ids = list(conn.execute(text("SELECT id FROM hotels")).scalars())
        docs, _ = documents_for(conn, ids)
    return {d.id: (d.name, d.price_min) for d in docs}


def indexed_documents(ctx: Context) -> dict[int, tuple[str, float]]:
    index = ctx.search.inner  # type: ignore[attr-defined]
    body = index.client.index(index.uid).get_documents(
        {"fields": ["id", "name", "price_min"], "limit": HOTELS * 2}
    )
    return {int(d.id): (d.name, float(d.price_min)) for d in body.results}


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(20)


def test_sync_process_killed_mid_batch_resumes_and_loses_nothing(
    ctx: Context, tmp_path: Path
) -> None:
    warm_up(ctx)
    seed_hotels(ctx, HOTELS, seed=11)  # per hotel: one change row for it, one for its rooms
    backlog = pending_changes(ctx.engine)
    assert backlog >= 2 * HOTELS
    log = tmp_path / "sync.log"
    first = spawn_sync(ctx, log)
    try:
        # Kill once a third of the backlog is checkpointed and the index is busy with a batch.
        eventually(
            lambda: pending_changes(ctx.engine) < backlog * 2 // 3 and index_busy(ctx),
            within=60,
            step=0.002,
        )
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        stop(first)
    killed_at = checkpoint(ctx)
    left = pending_changes(ctx.engine)
    assert 0 < left < backlog, (left, backlog)  # really mid-way
    watermark = last_task(ctx)

    second = spawn_sync(ctx, log)
    try:
        expected = expected_documents(ctx)
        eventually(lambda: indexed_documents(ctx) == expected, within=90, step=0.2)
        eventually(lambda: pending_changes(ctx.engine) == 0, within=30, step=0.2)
    finally:
        stop(second)
    assert len(expected) == HOTELS
    assert ctx.search.count() == HOTELS  # exactly the hotels: nothing lost, nothing twice
    assert checkpoint(ctx) > killed_at
    # Resumed from the checkpoint: the second process sent at most one document per change row
    # left after it, not the whole backlog again.
    assert documents_received_since(ctx, watermark) <= left
