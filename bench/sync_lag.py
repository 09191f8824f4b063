"""Change capture: commit -> searchable lag under steady writes, and full reindex time.

    source .run/dev/env && uv run python -m bench.sync_lag --hotels 100000
    uv run python -m bench.sync_lag --mode local --hotels 10000     # SQLite + embedded index

Seeds N hotels into a fresh PostgreSQL database (COPY, as `trinity seed`), then:

  reindex    `trinity reindex`'s code path (backend.search.rebuilds.reindex): every hotel into a fresh
             Meilisearch index, swapped in; once per --batches payload size, each after reading
             the pages alone (no index: the database's share); --python-too also rebuilds from
             Python-built documents (the SQLite path) for comparison; --reindex-only stops there
  sync lag   `trinity sync` runs as its own OS process (LISTEN/NOTIFY, polling as the fallback);
             a writer commits --rate updates/s for --seconds by raw SQL, each renaming one hotel to
             a unique word (every other one also raises its room prices by 1.00); a poller asks the
             Meilisearch adapter for the new name (and price) until it is there: commit ->
             searchable, per update
  baseline   the same kind of update written straight to Meilisearch (no database, no worker):
             enqueue -> searchable, the engine's own indexing latency under the same rate; the
             floor the sync worker adds to

Detection: one search per update cannot keep up with 100 updates/s on a loaded 2-core machine
(each costs 5-30 ms), so the poller fetches all pending updates' documents in one request
(`id IN [...]`) every few milliseconds. Meilisearch makes a write visible to search and to the
documents route in the same commit; every 20th update is also confirmed by a real search through
the adapter (misses reported). Lag is overstated by up to one poll (~5-20 ms).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from sqlalchemy import text

from backend.bootstrap import build_context
from backend.context import Context
from backend.db import migrate
from backend.search.documents import REBUILD_BATCH, all_documents, documents_for
from backend.search.embedded import EmbeddedIndex
from backend.search.meili import MeiliIndex, to_document
from backend.search.port import HotelDoc, SearchQuery
from backend.search.rebuilds import reindex
from backend.search.sync import run_sync
from backend.seed import seed_hotels
from backend.settings import Mode, Settings
from bench.common import fresh_database, percentile

INDEX = "bench_sync"
GIVE_UP_S = 30.0  # an update not searchable by then counts as lost
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Update:
    doc: HotelDoc  # the hotel as it should be found afterwards
    word: str  # unique in the index: the poller searches for it
    price_changed: bool


def unique_word(n: int) -> str:
    """Letters only (Meilisearch might split letters from digits): zq + n in base 26."""
    letters = ""
    for _ in range(6):
        n, digit = divmod(n, 26)
        letters += chr(ord("a") + digit)
    return "zq" + letters


def plan_updates(ctx: Context, hotels: int, count: int, seed: int) -> list[Update]:
    ids = random.Random(seed).sample(range(1, hotels + 1), count)
    with ctx.engine.connect() as conn:
        docs = {d.id: d for d in documents_for(conn, ids)[0]}
    plan = []
    for n, hotel_id in enumerate(i for i in ids if i in docs):
        doc, word, priced = docs[hotel_id], unique_word(n), n % 2 == 1
        changed = replace(doc, name=f"Lagbench {word}")
        if priced:
            changed = replace(changed, price_min=doc.price_min + 1, price_max=doc.price_max + 1)
        plan.append(Update(changed, word, priced))
    return plan


def sql_writer(ctx: Context) -> Callable[[Update], None]:
    def write(update: Update) -> None:
        with ctx.engine.begin() as conn:
            conn.execute(
                text("UPDATE hotels SET name = :name WHERE id = :id"),
                {"name": update.doc.name, "id": update.doc.id},
            )
            if update.price_changed:
                conn.execute(
                    text("UPDATE room_types SET price = price + 1 WHERE hotel_id = :id"),
                    {"id": update.doc.id},
                )

    return write


def index_writer(meili: MeiliIndex, pool: ThreadPoolExecutor) -> Callable[[Update], None]:
    """Enqueue each update as its own Meilisearch task, from a few threads: one HTTP call takes
    10-30 ms on a loaded machine, and the writer must keep the rate."""
    index = meili.client.index(meili.uid)

    def write(update: Update) -> None:
        pool.submit(index.add_documents, [to_document(update.doc)], "id")

    return write


class Probe(Protocol):
    """Looks at the index the sync worker writes."""

    def visible(self, updates: list[Update]) -> set[int]:
        """Ids of these updates whose new name and price the index already holds."""
        ...

    def found_by_search(self, update: Update) -> bool: ...


class MeiliProbe:
    """Looks at a Meilisearch index (full mode)."""

    def __init__(self, meili: MeiliIndex) -> None:
        self.meili = meili

    def visible(self, updates: list[Update]) -> set[int]:
        wanted = {u.doc.id: u.doc for u in updates}
        id_list = ", ".join(str(i) for i in wanted)
        body = self.meili.client.index(self.meili.uid).get_documents(
            {
                "filter": f"id IN [{id_list}]",
                "fields": ["id", "name", "price_min"],
                "limit": len(wanted),
            }
        )
        return _matching(wanted, ((int(d.id), d.name, float(d.price_min)) for d in body.results))

    def found_by_search(self, update: Update) -> bool:
        hits = self.meili.search(SearchQuery(text=update.word, limit=5)).hits
        return any(h.id == update.doc.id and h.name == update.doc.name for h in hits)


class EmbeddedProbe:
    """Looks at the embedded index (local mode): its current generation's documents table."""

    def __init__(self, index: EmbeddedIndex) -> None:
        self.index = index

    def visible(self, updates: list[Update]) -> set[int]:
        wanted = {u.doc.id: u.doc for u in updates}
        conn = self.index._conn()
        g = self.index._generation(conn)
        id_list = ", ".join(str(i) for i in wanted)
        rows = conn.execute(f"SELECT id, name, price_min FROM docs_{g} WHERE id IN ({id_list})")
        return _matching(wanted, rows)

    def found_by_search(self, update: Update) -> bool:
        hits = self.index.search(SearchQuery(text=update.word, limit=5)).hits
        return any(h.id == update.doc.id and h.name == update.doc.name for h in hits)


def _matching(wanted: dict[int, HotelDoc], rows: Iterable[tuple[int, str, float]]) -> set[int]:
    return {
        i for i, name, price in rows
        if name == wanted[i].name and abs(price - wanted[i].price_min) < 0.005
    }  # fmt: skip


@dataclass
class Outcome:
    lags_ms: list[float]
    lost: int
    search_misses: int
    rate: float


def measure(
    write: Callable[[Update], None], probe: Probe, plan: list[Update], rate: float
) -> Outcome:
    """Write `plan` at `rate`/s while a poller times each update: write returned -> visible."""
    pending: dict[int, tuple[Update, float]] = {}
    lock, done = threading.Lock(), threading.Event()
    outcome = Outcome([], 0, 0, 0.0)

    def poll() -> None:
        while not (done.is_set() and not pending):
            with lock:
                batch = list(pending.values())
            if not batch:
                time.sleep(0.002)
                continue
            seen = probe.visible([u for u, _ in batch])
            now = time.perf_counter()
            for update, written_at in batch:
                if update.doc.id in seen:
                    outcome.lags_ms.append((now - written_at) * 1000)
                    if len(outcome.lags_ms) % 20 == 0 and not probe.found_by_search(update):
                        outcome.search_misses += 1
                elif now - written_at < GIVE_UP_S:
                    continue
                else:
                    outcome.lost += 1
                with lock:
                    del pending[update.doc.id]
            time.sleep(0.003)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    started = time.perf_counter()
    for n, update in enumerate(plan):
        time.sleep(max(0.0, started + n / rate - time.perf_counter()))
        write(update)
        with lock:
            pending[update.doc.id] = (update, time.perf_counter())
    outcome.rate = len(plan) / (time.perf_counter() - started)
    done.set()
    poller.join()
    return outcome


def report(label: str, outcome: Outcome) -> None:
    lags = outcome.lags_ms
    figures = "   ".join(f"p{q} {percentile(lags, q):7.1f} ms" for q in (50, 95, 99))
    print(
        f"{label:<44} {figures}   max {max(lags, default=float('nan')):7.1f} ms   "
        f"n={len(lags)} at {outcome.rate:.1f}/s, lost {outcome.lost}, "
        f"search misses {outcome.search_misses}",
        flush=True,
    )


def spawn_sync(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TRINITY_MODE": "full",
        "DATABASE_URL": settings.sqlalchemy_url,
        "TRINITY_SEARCH_INDEX": INDEX,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "workers.cli", "sync"],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def timed_reindex(ctx: Context, hotels: int, batch: int = REBUILD_BATCH) -> None:
    step, shown = max(1, hotels // 10), [0]

    def progress(n: int) -> None:
        shown[0] += n
        if shown[0] // step != (shown[0] - n) // step:
            print(f"  reindexed {shown[0]:,}", flush=True)

    started = time.perf_counter()
    cpu = time.process_time()
    done = reindex(ctx, progress, batch)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"reindex (trinity reindex's path), {batch:,} a payload: {done:,} hotels in "
          f"{seconds:.1f} s ({done / seconds:,.0f}/s), {cpu:.1f} s of our CPU; {loadavg()}",
          flush=True)  # fmt: skip


def timed_read(ctx: Context, batch: int) -> None:
    """The rebuild's reading side alone (no index): what it costs the database and us."""
    started, cpu = time.perf_counter(), time.process_time()
    size = sum(len(page) for page in ctx.feed.rebuild_pages(batch))
    print(f"reading alone, {batch:,} a page: {size:,} documents in "
          f"{time.perf_counter() - started:.1f} s, {time.process_time() - cpu:.1f} s of our CPU; "
          f"{loadavg()}", flush=True)  # fmt: skip


def timed_python_rebuild(ctx: Context, batch: int) -> None:
    """The same rebuild from Python-built documents (the SQLite path): the comparison."""
    started, cpu = time.perf_counter(), time.process_time()
    done = ctx.search.rebuild(all_documents(ctx.engine, batch), lambda n: None)
    print(f"rebuild from Python-built documents, {batch:,} a payload: {done:,} hotels in "
          f"{time.perf_counter() - started:.1f} s, {time.process_time() - cpu:.1f} s of our CPU; "
          f"{loadavg()}", flush=True)  # fmt: skip


def loadavg() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mode", choices=["full", "local"], default="full")
    parser.add_argument("--hotels", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=100.0, help="updates per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="per measured phase")
    parser.add_argument(
        "--batches",
        default=str(REBUILD_BATCH),
        help="reindex once per payload size, e.g. 5000,50000",
    )
    parser.add_argument("--reindex-only", action="store_true", help="skip the lag phases")
    parser.add_argument(
        "--python-too", action="store_true", help="also rebuild from Python-built documents"
    )
    args = parser.parse_args()
    print(f"start: {loadavg()}", flush=True)
    with bench_settings(args.mode) as settings:
        migrate(settings.sqlalchemy_url)
        ctx = build_context(settings)
        started = time.perf_counter()
        seed_hotels(ctx, args.hotels, seed=1)
        print(f"seeded {args.hotels:,} hotels in {time.perf_counter() - started:.1f} s", flush=True)
        # The reindex covers the bulk load's log; emptied now so that the worker's periodic prune
        # does not delete N+ rows in the middle of the lag measurement.
        with ctx.engine.begin() as conn:
            conn.execute(text("DELETE FROM hotel_changes"))
        for batch in (int(b) for b in args.batches.split(",")):
            timed_read(ctx, batch)
            timed_reindex(ctx, args.hotels, batch)
            if args.python_too:
                timed_python_rebuild(ctx, batch)
        index = ctx.search.inner  # type: ignore[attr-defined]
        if not args.reindex_only:
            lag_phases(ctx, settings, index, args)
        print(f"end: {loadavg()}", flush=True)
        index.drop()
        ctx.close()


@contextmanager
def bench_settings(mode: str) -> Iterator[Settings]:
    if mode == "local":
        with tempfile.TemporaryDirectory(prefix="bench-sync-") as data:
            yield Settings(mode=Mode.LOCAL, data_dir=Path(data), search_index=INDEX)
        return
    with fresh_database("trinity_bench_sync") as url:
        yield Settings(mode=Mode.FULL, database_url=url, search_index=INDEX)


def lag_phases(
    ctx: Context, settings: Settings, index: MeiliIndex | EmbeddedIndex, args: argparse.Namespace
) -> None:
    count = int(args.rate * args.seconds)
    warmup, sync_plan, direct_plan = _split(plan_updates(ctx, args.hotels, 2 * count + 50, 2))
    probe: Probe = EmbeddedProbe(index) if isinstance(index, EmbeddedIndex) else MeiliProbe(index)
    label = "in-process sync loop" if isinstance(index, EmbeddedIndex) else "trinity sync"
    with sync_worker(ctx, settings):
        measure(sql_writer(ctx), probe, warmup, rate=10)  # the worker has started
        print(f"sync lag: {loadavg()}", flush=True)
        outcome = measure(sql_writer(ctx), probe, sync_plan, args.rate)
        report(f"commit -> searchable ({label}, SQL)", outcome)
    print(f"baseline: {loadavg()}", flush=True)
    if isinstance(index, EmbeddedIndex):
        outcome = measure(lambda u: index.upsert([u.doc]), probe, direct_plan, args.rate)
        report("write -> searchable (embedded index alone)", outcome)
        return
    with ThreadPoolExecutor(4) as pool:
        outcome = measure(index_writer(index, pool), probe, direct_plan, args.rate)
    report("enqueue -> searchable (Meilisearch alone)", outcome)


@contextmanager
def sync_worker(ctx: Context, settings: Settings) -> Iterator[None]:
    """`trinity sync` as its own process in full mode; local mode's in-process role otherwise."""
    if settings.mode == Mode.LOCAL:
        stop = threading.Event()
        thread = threading.Thread(target=run_sync, args=(ctx, stop), daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(30)
        return
    log = Path(tempfile.mkdtemp(prefix="bench-sync-")) / "sync.log"
    worker = spawn_sync(settings, log)
    try:
        yield
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        print(f"(sync worker log: {log})", flush=True)


def _split(plan: list[Update]) -> tuple[list[Update], list[Update], list[Update]]:
    half = (len(plan) - 50) // 2
    return plan[:50], plan[50 : 50 + half], plan[50 + half :]


if __name__ == "__main__":
    main()
