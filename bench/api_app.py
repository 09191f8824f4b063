"""The API app the benchmarks serve; BENCH_WITHOUT_LOCKS=1 swaps the Redis locks for none.

Without locks only the database fence (conditional upsert + CHECK) stands between racing guests:
that is the baseline the locked path is measured against.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from fastapi import FastAPI

from backend.api.main import create_api
from backend.bootstrap import build_context
from backend.settings import Settings


class NoLocks:
    @contextmanager
    def hold_all(
        self, keys: Sequence[str], give_up: Callable[[], None] | None = None
    ) -> Iterator[float]:
        yield 0.0


def create() -> FastAPI:
    ctx = build_context(Settings())
    if os.environ.get("BENCH_WITHOUT_LOCKS") == "1":
        ctx.locks = NoLocks()  # type: ignore[assignment]
    return create_api(ctx)
