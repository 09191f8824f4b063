"""The floor of the saga's stack: its messages through dramatiq and the broker, with no-op handlers.

    source .run/dev/env && uv run --frozen python -m bench.saga_floor --sagas 1000

Sends the messages of `--sagas` sagas (bench/saga.py's mix: 20% declined cards, 5% holds lost
after payment) through the real topology, queue names, process layout (one worker process per
queue, WORKER_THREADS threads, the real workers' middleware) and broker, with handlers that only
send the next message(s) (bench/saga_floor_actors.py). The client starts every chain (its
OrderCreated) from 8 threads as fast as it can. Prints chains/s, p50/p95 start -> last message
handled and CPU per chain by process: what no implementation of the handlers can beat on this
stack. Brokers: RabbitMQ as the workers build it (publisher confirms), RabbitMQ without confirms
(a lower bound for any way of publishing), and dramatiq's Redis broker.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import dramatiq
from sqlalchemy import Engine

from backend.db import make_engine
from backend.saga.topology import QUEUES, Consumer
from backend.settings import Mode, Settings
from bench.common import percentile, require_full_mode_env
from bench.cpu import cpu_by_role, cpu_report
from bench.saga_floor_actors import BROKERS, START_EVENT, build_floor_broker, chain, send

ROOT = Path(__file__).resolve().parents[1]
AIM_PER_SECOND, CORES = 200, 2
NO_DATABASE = "trinity_saga_floor_none"  # no Postgres backend is part of the floor
CLIENT_THREADS = 8
IDLE_SECONDS = 3  # measured before the chains start: the processes' CPU when nothing happens


@dataclass
class Result:
    broker: str
    chains: int
    seconds: float
    p50_ms: float
    p95_ms: float
    cpu: dict[str, float]  # CPU seconds by process over the measured window
    window: float  # seconds: first chain started -> the orders worker wrote the results
    idle_ms_per_s: float  # the same processes' CPU while idle (polls, heartbeats, other users)

    @property
    def per_second(self) -> float:
        return self.chains / self.seconds

    @property
    def cpu_ms(self) -> float:
        return 1000 * sum(self.cpu.values()) / self.chains

    @property
    def busy_ms(self) -> float:
        """CPU per chain above what the processes burn idle over the same window."""
        return self.cpu_ms - self.idle_ms_per_s * self.window / self.chains


def plan(sagas: int, decline: float, late: float) -> list[str]:
    """bench/saga.py's mix of outcomes, interleaved (a fixed shuffle)."""
    lates = int(sagas * late)
    every = round(1 / decline) if decline else 0
    kinds = ["failed" if every and i % every == 0 else "confirmed" for i in range(sagas - lates)]
    kinds += ["refunded"] * lates
    random.Random(0).shuffle(kinds)
    return kinds


def messages_by_queue(kinds: list[str]) -> Counter[str]:
    """Messages the chains send, by the queue that handles them."""
    per_kind: dict[str, list[Consumer]] = {kind: chain(kind) for kind in set(kinds)}
    return Counter(consumer.queue for kind in kinds for consumer in per_kind[kind])


def _redis_db(url: str, db: int) -> str:
    return url.rsplit("/", 1)[0] + f"/{db}" if url.count("/") > 2 else f"{url}/{db}"


def _spawn(env: dict[str, str], queue: str, files: Path, chains: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bench.saga_floor_actors", queue, str(files / f"{queue}.ready"),
         str(files / "results.json"), str(chains)],
        cwd=ROOT, env=env, stdout=(files / f"{queue}.log").open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def _wait_for(path: Path, seconds: float, processes: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
            raise RuntimeError(f"{path.name} did not appear (see the logs beside it)")
        time.sleep(0.05)


def run_once(
    kind: str, url: str, kinds: list[str], engine: Engine, redis_url: str, rate: float
) -> Result:
    prefix = f"floor_{uuid.uuid4().hex[:6]}_"
    env = {
        **os.environ, "FLOOR_BROKER": kind, "FLOOR_BROKER_URL": url,
        "BROKER_QUEUE_PREFIX": prefix, "REDIS_URL": redis_url,
    }  # fmt: skip
    broker = build_floor_broker(kind, url)
    with tempfile.TemporaryDirectory(prefix="saga-floor-") as tmp:
        files = Path(tmp)
        roles = {queue: _spawn(env, queue, files, len(kinds)) for queue in QUEUES}
        processes = list(roles.values())
        try:
            for queue in QUEUES:
                _wait_for(files / f"{queue}.ready", 60, processes)
            time.sleep(1)  # let the consumer threads connect before the clock starts
            pids = {"client": os.getpid()} | {q: p.pid for q, p in roles.items()}
            idle = cpu_by_role(engine, NO_DATABASE, pids)
            time.sleep(IDLE_SECONDS)
            before = cpu_by_role(engine, NO_DATABASE, pids)
            print(f"{kind}: idle CPU ms per second: {cpu_report(idle, before, IDLE_SECONDS)}")
            began = time.monotonic()
            _start_chains(broker, prefix, kinds, rate)
            print(f"{kind}: {len(kinds)} chains started in {time.monotonic() - began:.2f} s")
            _wait_for(files / "results.json", 300, processes)
            after = cpu_by_role(engine, NO_DATABASE, pids)
            window = time.monotonic() - began
            spans = json.loads((files / "results.json").read_text()).values()
        finally:
            for process in processes:
                os.killpg(process.pid, signal.SIGTERM)
            for process in processes:
                process.wait(30)
            _delete_queues(broker, prefix)
            broker.close()
    latencies = [(end - start) * 1000 for start, end in spans]
    seconds = max(end for _, end in spans) - min(start for start, _ in spans)
    cpu = {key: after[key] - before.get(key, 0.0) for key in after}
    idle_ms_per_s = 1000 * sum(before[key] - idle.get(key, 0.0) for key in before) / IDLE_SECONDS
    print(f"{kind}: CPU ms per chain: {cpu_report(before, after, len(kinds))}", flush=True)
    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    return Result(kind, len(kinds), seconds, p50, p95, cpu, window, idle_ms_per_s)


def _start_chains(broker: dramatiq.Broker, prefix: str, kinds: list[str], rate: float) -> None:
    """Every chain's first message, from 8 threads as fast as they can (like bench/saga.py's
    checkouts) or chain i at i / rate; the payload has OrderCreated's fields plus the chain's
    outcome and start time."""

    def start(numbered: tuple[int, str]) -> None:
        i, kind = numbered
        if rate:
            time.sleep(max(0.0, began + i / rate - time.monotonic()))
        payload = {
            "order_id": i, "booking_id": i, "user_id": 1, "amount": "160.00", "currency": "EUR",
            "payment_token": "tok_4242424242424242", "version": 1, "kind": kind,
            "started": time.time(),
        }  # fmt: skip
        send(broker, prefix, START_EVENT, payload)

    began = time.monotonic()
    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
        list(pool.map(start, enumerate(kinds)))


def _delete_queues(broker: dramatiq.Broker, prefix: str) -> None:
    from dramatiq.brokers.rabbitmq import RabbitmqBroker

    for queue in QUEUES:
        if isinstance(broker, RabbitmqBroker):
            for suffix in ("", ".DQ", ".XQ"):
                broker.channel.queue_delete(prefix + queue + suffix)
        else:
            broker.flush(prefix + queue)


def conclusion(result: Result) -> str:
    """The floor beside the aim: 200 sagas/s on 2 cores leaves 10 ms of CPU per saga."""
    budget_ms = 1000 * CORES / AIM_PER_SECOND
    return (
        f"floor ({result.broker}): {result.per_second:.0f} chains/s, {result.cpu_ms:.1f} ms CPU "
        f"per chain ({result.busy_ms:.1f} above idle; CPU-bound ceiling on {CORES} cores "
        f"{1000 * CORES / result.cpu_ms:.0f}/s) | aim {AIM_PER_SECOND} sagas/s = {budget_ms:.0f} "
        f"ms CPU per saga: {budget_ms - result.cpu_ms:+.1f} ms left for handlers, database, relay"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sagas", type=int, default=1000)
    parser.add_argument("--declines", type=float, default=0.20)
    parser.add_argument("--late", type=float, default=0.05)
    parser.add_argument("--brokers", default=",".join(BROKERS))
    parser.add_argument(
        "--rate", type=float, default=0.0, help="start chains at this many per second (open loop)"
    )
    args = parser.parse_args()
    database_url, redis_url = require_full_mode_env()
    broker_url = os.environ.get("BROKER_URL", "")
    urls = {"rabbitmq": broker_url, "rabbitmq-noconfirm": broker_url}
    urls["redis"] = _redis_db(redis_url, 12)
    kinds = plan(args.sagas, args.declines, args.late)
    by_queue = messages_by_queue(kinds)
    print(
        f"{len(kinds)} chains {dict(Counter(kinds))}: {sum(by_queue.values())} messages "
        f"({sum(by_queue.values()) / len(kinds):.2f} a chain) {dict(by_queue)}",
        flush=True,
    )
    engine = make_engine(Settings(mode=Mode.FULL, database_url=database_url).sqlalchemy_url)
    results = [
        run_once(kind, urls[kind], kinds, engine, _redis_db(redis_url, 13), args.rate)
        for kind in args.brokers.split(",")
    ]
    engine.dispose()
    print(f"\n{'broker':<19} {'chains':>6} {'seconds':>8} {'chains/s':>9} {'p50 ms':>8} "
          f"{'p95 ms':>8} {'CPU ms/chain':>13} {'above idle':>11} {'idle ms/s':>10}")  # fmt: skip
    for r in results:
        print(
            f"{r.broker:<19} {r.chains:>6} {r.seconds:>8.2f} {r.per_second:>9.1f} "
            f"{r.p50_ms:>8.0f} {r.p95_ms:>8.0f} {r.cpu_ms:>13.1f} {r.busy_ms:>11.1f} "
            f"{r.idle_ms_per_s:>10.0f}"
        )
    for r in results:
        print(conclusion(r))


if __name__ == "__main__":
    main()
