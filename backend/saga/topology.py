"""Who listens to what: the whole choreography on one page.

Each consumer is one dramatiq actor (`verb_noun`) on its service's queue. The relay delivers a
copy of every event to each consumer subscribed to its type; no service calls another.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.saga import inventory, orders, payments
from backend.saga.consumer import Handler, consumer_id
from backend.settings import Settings

ORDERS, PAYMENTS, INVENTORY = "orders", "payments", "inventory"
QUEUES = (ORDERS, PAYMENTS, INVENTORY)


@dataclass(frozen=True)
class Consumer:
    actor_name: str
    queue: str
    events: tuple[str, ...]
    handler: Handler

    @property
    def id(self) -> str:
        return consumer_id(self.queue, self.actor_name)


CONSUMERS = (
    Consumer("charge_order", PAYMENTS, ("OrderCreated",), payments.charge_order),
    Consumer("refund_order", PAYMENTS, ("RefundRequested",), payments.refund_order),
    Consumer("confirm_booking", INVENTORY, ("PaymentSucceeded",), inventory.confirm_booking),
    Consumer(
        "record_payment", ORDERS, ("PaymentSucceeded", "PaymentFailed"), orders.record_payment
    ),
    Consumer(
        "complete_order", ORDERS, ("InventoryReserved", "InventoryFailed"), orders.complete_order
    ),
    Consumer("record_refund", ORDERS, ("RefundIssued",), orders.record_refund),
    Consumer(
        "refund_cancelled_booking",
        ORDERS,
        ("ConfirmedBookingCancelled",),
        orders.refund_cancelled_booking,
    ),
)


def subscribers(event_type: str) -> list[Consumer]:
    return [consumer for consumer in CONSUMERS if event_type in consumer.events]


def queue_name(settings: Settings, queue: str) -> str:
    """The broker queue of a service (a prefix keeps test runs and benchmarks apart)."""
    return settings.broker_queue_prefix + queue
