"""dramatiq's own metrics, kept with the rest of Trinity's in Redis.

dramatiq's Prometheus middleware serves each worker process on its own port from a multiprocess
directory; here every worker process (and container) adds to the shared Redis counters instead,
so one scrape of `/api/metrics` shows the whole fleet. The series and labels follow dramatiq's
(`dramatiq_messages_total{queue_name, actor_name}` and so on; durations in seconds). Events are
gathered in memory and written once a second, so a message costs no extra round trip.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import dramatiq

from backend.metrics import Metrics, MetricsBatch

FLUSH_SECONDS = 1.0


class WorkerMetrics(dramatiq.Middleware):
    def __init__(self, metrics: Metrics, flush_seconds: float = FLUSH_SECONDS) -> None:
        self.metrics = metrics
        self.batch = MetricsBatch()
        self._started: dict[str, float] = {}
        self._stop = threading.Event()
        self._flush_seconds = flush_seconds
        self._flusher: threading.Thread | None = None

    def before_worker_boot(self, broker: dramatiq.Broker, worker: Any) -> None:
        self._stop.clear()
        self._flusher = threading.Thread(target=self._flush_loop, name="metrics", daemon=True)
        self._flusher.start()

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: Any) -> None:
        self._stop.set()
        if self._flusher is not None:
            self._flusher.join(5)
        self.metrics.write(self.batch)

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        self._started[message.message_id] = time.perf_counter()

    def after_process_message(
        self, broker: dramatiq.Broker, message: Any, *, result: Any = None, exception: Any = None
    ) -> None:
        labels = {"queue_name": message.queue_name, "actor_name": message.actor_name}
        started = self._started.pop(message.message_id, None)
        if started is not None:
            self.batch.observe(
                "dramatiq_message_duration_seconds", time.perf_counter() - started, **labels
            )
        self.batch.inc("dramatiq_messages", **labels)
        if exception is not None:
            self.batch.inc("dramatiq_message_errors", **labels)

    after_skip_message = after_process_message

    def after_enqueue(self, broker: dramatiq.Broker, message: Any, delay: int | None) -> None:
        if "retries" in message.options:  # set by the Retries middleware: a retry, not a send
            labels = {"queue_name": message.queue_name, "actor_name": message.actor_name}
            self.batch.inc("dramatiq_message_retries", **labels)

    def after_nack(self, broker: dramatiq.Broker, message: Any) -> None:
        labels = {"queue_name": message.queue_name, "actor_name": message.actor_name}
        self.batch.inc("dramatiq_message_rejects", **labels)

    def _flush_loop(self) -> None:
        while not self._stop.wait(self._flush_seconds):
            self.metrics.write(self.batch)
