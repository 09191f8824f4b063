"""Business metrics shared by every process, exposed in the Prometheus text format.

Counters and histograms live in Redis hashes, so the web replicas and each worker process add to
one set of numbers; `/api/metrics` renders them with prometheus_client at scrape time. Recording
never fails a request: a metric lost while Redis is down is only a metric.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import defaultdict
from collections.abc import Iterator

import redis
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric

log = logging.getLogger("trinity.metrics")
PREFIX = "trinity:metrics"
BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
HELP = {
    "trinity_holds": "Hold attempts by outcome (held, sold_out, busy).",
    "trinity_conflicts": "409 answers by reason.",
    "trinity_lock_wait_seconds": "Time spent acquiring room-night locks.",
    "trinity_saga_duration_seconds": "Checkout to the order's terminal status, by outcome.",
    "dramatiq_messages": "Messages processed by the saga workers.",
    "dramatiq_message_errors": "Messages whose processing raised (each attempt).",
    "dramatiq_message_retries": "Messages sent back for a retry.",
    "dramatiq_message_rejects": "Messages dead-lettered.",
    "dramatiq_message_duration_seconds": "Time spent processing a message.",
}


def _labels_key(labels: dict[str, str]) -> str:
    return json.dumps(labels, sort_keys=True)


def _bucket(seconds: float) -> str:
    return next((str(b) for b in BUCKETS if seconds <= b), "+Inf")


class MetricsBatch:
    """Counts and observations gathered in memory, for hot loops (a dramatiq worker) that write
    them with `Metrics.write` now and then instead of a Redis round trip per event. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fields: dict[tuple[str, str], float] = defaultdict(float)  # (hash key, field)

    def inc(self, name: str, amount: float = 1, **labels: str) -> None:
        with self._lock:
            self._fields[(f"{PREFIX}:counter:{name}", _labels_key(labels))] += amount

    def observe(self, name: str, seconds: float, **labels: str) -> None:
        key, series = f"{PREFIX}:histogram:{name}", _labels_key(labels)
        with self._lock:
            self._fields[(key, f"{series}|{_bucket(seconds)}")] += 1
            self._fields[(key, f"{series}|sum")] += seconds

    def drain(self) -> dict[tuple[str, str], float]:
        with self._lock:
            fields, self._fields = self._fields, defaultdict(float)
        return fields


class Metrics:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    def inc(self, name: str, amount: float = 1, **labels: str) -> None:
        try:
            self._redis.hincrbyfloat(f"{PREFIX}:counter:{name}", _labels_key(labels), amount)
        except redis.RedisError as error:
            log.debug("metric %s not recorded: %s", name, error)

    def observe(self, name: str, seconds: float, **labels: str) -> None:
        batch = MetricsBatch()
        batch.observe(name, seconds, **labels)
        self.write(batch)

    def write(self, batch: MetricsBatch) -> None:
        """Add everything `batch` gathered in one pipeline (and empty it)."""
        pipe = self._redis.pipeline(transaction=False)
        self.queue(pipe, batch)
        if not len(pipe):
            return
        try:
            pipe.execute()
        except redis.RedisError as error:
            log.debug("%d metric fields not recorded: %s", len(pipe), error)

    @staticmethod
    def queue(pipe: redis.client.Pipeline, batch: MetricsBatch) -> None:
        """Queue what `batch` gathered (and empty it) on a pipeline the caller executes."""
        for (key, field), amount in batch.drain().items():
            pipe.hincrbyfloat(key, field, amount)

    def collect(self) -> Iterator[Metric]:
        for key in sorted(self._redis.scan_iter(f"{PREFIX}:*")):
            kind, name = str(key).split(":")[2:4]
            values: dict[str, str] = self._redis.hgetall(key)  # type: ignore[assignment]
            yield (self._counter if kind == "counter" else self._histogram)(name, values)

    def _counter(self, name: str, values: dict[str, str]) -> Metric:
        family = None
        for labels_key, value in values.items():
            labels = json.loads(labels_key)
            if family is None:
                family = CounterMetricFamily(name, HELP.get(name, name), labels=sorted(labels))
            family.add_metric([labels[k] for k in sorted(labels)], float(value))
        return family or CounterMetricFamily(name, HELP.get(name, name))

    def _histogram(self, name: str, values: dict[str, str]) -> Metric:
        series: dict[str, dict[str, float]] = {}
        for field, value in values.items():
            labels_key, part = field.rsplit("|", 1)
            series.setdefault(labels_key, {})[part] = float(value)
        family = None
        for labels_key, parts in series.items():
            labels = json.loads(labels_key)
            if family is None:
                family = HistogramMetricFamily(name, HELP.get(name, name), labels=sorted(labels))
            running, buckets = 0.0, []
            for bound in [*map(str, BUCKETS), "+Inf"]:
                running += parts.get(bound, 0)
                buckets.append((bound, running))
            family.add_metric([labels[k] for k in sorted(labels)], buckets, parts.get("sum", 0.0))
        return family or HistogramMetricFamily(name, HELP.get(name, name))
