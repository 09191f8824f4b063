"""The message broker adapters (the composition root picks one: RabbitMQ, dramatiq's Redis
broker, or local mode's StubBroker).

Nothing here connects: brokers open their connections on first use. The relay publishes through
`batch_publisher`: on RabbitMQ one AMQP transaction per batch instead of a confirm per message.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from typing import TYPE_CHECKING, Any, Protocol

import dramatiq
import pika
from dramatiq.brokers.stub import StubBroker
from pika.exceptions import AMQPChannelError, AMQPConnectionError

from backend.settings import Settings

if TYPE_CHECKING:
    from dramatiq.brokers.rabbitmq import RabbitmqBroker


def broker_kind(broker: dramatiq.Broker) -> str:
    return type(broker).__name__.removesuffix("Broker").lower()


def ping_broker(broker: dramatiq.Broker, settings: Settings) -> None:
    """Raise unless the broker answers (a short-lived connection: probes must not pile up)."""
    if isinstance(broker, StubBroker):
        return  # in this process
    url = settings.broker_url or ""
    if url.startswith(("redis://", "rediss://", "unix://")):
        broker.client.ping()  # type: ignore[attr-defined]
        return
    parameters = pika.URLParameters(url)
    parameters.connection_attempts = 1
    parameters.socket_timeout = 1.0
    parameters.blocked_connection_timeout = 1.0
    pika.BlockingConnection(parameters).close()


class BatchPublisher(Protocol):
    """Puts a batch of messages on the broker; returns only once the broker holds all of them."""

    def publish(self, messages: Sequence[dramatiq.Message[Any]]) -> None: ...

    def keepalive(self) -> None: ...

    def close(self) -> None: ...


def batch_publisher(broker: dramatiq.Broker) -> BatchPublisher:
    from dramatiq.brokers.rabbitmq import RabbitmqBroker

    if isinstance(broker, RabbitmqBroker):
        return AmqpBatchPublisher(broker)
    return EnqueueEach(broker)


class EnqueueEach:
    """The broker's own `enqueue`, one message at a time (StubBroker, dramatiq's Redis broker)."""

    def __init__(self, broker: dramatiq.Broker) -> None:
        self.broker = broker

    def publish(self, messages: Sequence[dramatiq.Message[Any]]) -> None:
        for message in messages:
            self.broker.enqueue(message)

    def keepalive(self) -> None:
        pass

    def close(self) -> None:
        pass


class Unroutable(Exception):
    """RabbitMQ returned messages: their queue did not exist (it is declared again next time)."""


class AmqpBatchPublisher:
    """A whole batch in one AMQP transaction on a channel of its own: one round trip per batch.

    dramatiq's confirmed `enqueue` waits for the broker's confirm of every message in turn. Here
    the batch is published without waiting and `tx.commit` returns once RabbitMQ has taken every
    message of it (persistent messages, durable queues: the same guarantee as publisher confirms).
    A failure before commit-ok publishes nothing the caller may count on: it raises, and the caller
    sends the batch again (consumers recognise repeats by message id). `mandatory` + the return
    callback catch a queue that disappeared. The broker's enqueue hooks run as for `enqueue`.
    """

    def __init__(self, broker: RabbitmqBroker) -> None:
        self.broker = broker
        self._connection: pika.BlockingConnection | None = None
        self._channel: Any = None
        self._returned: set[str] = set()

    def publish(self, messages: Sequence[dramatiq.Message[Any]]) -> None:
        if not messages:
            return
        try:
            self._publish(messages)
        except AMQPConnectionError:
            self.close()  # a connection the server dropped while idle: one fresh attempt
            self._publish(messages)
        for message in messages:
            self.broker.emit_after("enqueue", message, None)

    def _publish(self, messages: Sequence[dramatiq.Message[Any]]) -> None:
        channel = self._open()
        for queue in {message.queue_name for message in messages}:
            self.broker.declare_queue(queue, ensure=True)
        self._returned.clear()
        persistent = pika.BasicProperties(delivery_mode=2)
        try:
            for message in messages:
                self.broker.emit_before("enqueue", message, None)
                channel.basic_publish(
                    exchange="",
                    routing_key=message.queue_name,
                    body=message.encode(),
                    properties=persistent,
                    mandatory=True,
                )
            channel.tx_commit()
            assert self._connection is not None
            self._connection.process_data_events(time_limit=0)  # delivers any basic.return
        except (AMQPConnectionError, AMQPChannelError):
            self.close()
            raise
        if self._returned:
            self.broker.queues_pending.update(self._returned)
            raise Unroutable(f"RabbitMQ returned messages for {sorted(self._returned)}")

    def _open(self) -> Any:
        if self._channel is None or not self._channel.is_open:
            self.close()
            self._connection = pika.BlockingConnection(self.broker.parameters)
            channel = self._connection.channel()
            channel.tx_select()
            channel.add_on_return_callback(self._on_return)
            self._channel = channel
        return self._channel

    def _on_return(self, _channel: Any, method: Any, _properties: Any, _body: bytes) -> None:
        self._returned.add(str(method.routing_key))

    def keepalive(self) -> None:
        """Answer heartbeats while idle (a blocking connection only does so when called)."""
        if self._connection is not None and self._connection.is_open:
            try:
                self._connection.process_data_events(time_limit=0)
            except (AMQPConnectionError, AMQPChannelError):
                self.close()

    def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            with suppress(AMQPConnectionError, AMQPChannelError):
                connection.close()
