"""dramatiq's metrics as the saga workers record them: counted in memory, written to Redis."""

from __future__ import annotations

import dramatiq
import fakeredis
from dramatiq.brokers.stub import StubBroker
from prometheus_client import generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

from backend.metrics import Metrics
from workers.telemetry import WorkerMetrics


def _scrape(metrics: Metrics) -> str:
    class _Collector(Collector):
        def collect(self):  # type: ignore[no-untyped-def]
            yield from metrics.collect()

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector())
    return generate_latest(registry).decode()


def test_processed_failed_and_dead_lettered_messages_are_counted() -> None:
    metrics = Metrics(fakeredis.FakeRedis(decode_responses=True))
    broker = StubBroker()
    broker.emit_after("process_boot")
    broker.add_middleware(WorkerMetrics(metrics, flush_seconds=0.05))

    @dramatiq.actor(broker=broker, queue_name="q", max_retries=1, min_backoff=1, max_backoff=2)
    def check(value: int) -> None:
        if value < 0:
            raise ValueError("negative")

    worker = dramatiq.Worker(broker, worker_timeout=50)
    worker.start()
    try:
        check.send(1)
        check.send(2)
        check.send(-1)  # fails, is retried once, fails again, is dead-lettered
        broker.join("q", fail_fast=False)
        worker.join()
    finally:
        worker.stop()
    labels = 'actor_name="check",queue_name="q"'
    text = _scrape(metrics)
    assert f"dramatiq_messages_total{{{labels}}} 4.0" in text  # 2 ok + 2 attempts of -1
    assert f"dramatiq_message_errors_total{{{labels}}} 2.0" in text
    assert f"dramatiq_message_retries_total{{{labels}}} 1.0" in text
    assert f"dramatiq_message_rejects_total{{{labels}}} 1.0" in text
    assert f"dramatiq_message_duration_seconds_count{{{labels}}} 4.0" in text


def test_a_batch_adds_to_what_other_processes_wrote() -> None:
    client = fakeredis.FakeRedis(decode_responses=True)
    first, second = Metrics(client), Metrics(client)
    first.inc("trinity_holds", outcome="held")
    second.observe("trinity_lock_wait_seconds", 0.002)
    middleware = WorkerMetrics(second)
    middleware.batch.inc("trinity_holds", 2, outcome="held")
    middleware.batch.observe("trinity_lock_wait_seconds", 20.0)
    second.write(middleware.batch)
    text = _scrape(first)
    assert 'trinity_holds_total{outcome="held"} 3.0' in text
    assert 'trinity_lock_wait_seconds_bucket{le="0.005"} 1.0' in text
    assert 'trinity_lock_wait_seconds_bucket{le="+Inf"} 2.0' in text
    assert "trinity_lock_wait_seconds_sum 20.002" in text
    second.write(middleware.batch)  # written batches are emptied: nothing counted twice
    assert 'trinity_holds_total{outcome="held"} 3.0' in _scrape(first)
