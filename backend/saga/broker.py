"""The message broker adapter, chosen by the composition root.

Full mode: RabbitMQ (`amqp://...` BROKER_URL, publisher confirms on, so a message the relay marks
sent is really on the broker) or dramatiq's Redis broker (`redis://...`, used by the benchmark for
comparison). Local mode: dramatiq's StubBroker, consumed by an in-process Worker.

Nothing here connects: brokers open their connections on first use.
"""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.stub import StubBroker

from backend.settings import Mode, Settings


def build_broker(settings: Settings) -> dramatiq.Broker:
    if settings.mode is Mode.LOCAL:
        return StubBroker()
    url = settings.broker_url or ""
    if url.startswith(("redis://", "rediss://", "unix://")):
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(url=url)
    from dramatiq.brokers.rabbitmq import RabbitmqBroker

    return RabbitmqBroker(url=url, confirm_delivery=True)


def broker_kind(broker: dramatiq.Broker) -> str:
    return type(broker).__name__.removesuffix("Broker").lower()


def ping_broker(broker: dramatiq.Broker, settings: Settings) -> None:
    """Raise unless the broker answers (a short-lived connection: probes must not pile up)."""
    if settings.mode is Mode.LOCAL:
        return
    url = settings.broker_url or ""
    if url.startswith(("redis://", "rediss://", "unix://")):
        broker.client.ping()  # type: ignore[attr-defined]
        return
    import pika

    parameters = pika.URLParameters(url)
    parameters.connection_attempts = 1
    parameters.socket_timeout = 1.0
    parameters.blocked_connection_timeout = 1.0
    pika.BlockingConnection(parameters).close()
