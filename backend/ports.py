"""The ports: what the flows need of their storage, whichever database is behind it.

Each port has one adapter per technology (backend/adapters/postgres/, backend/adapters/sqlite/);
the composition root (backend/bootstrap.py) picks them. Stores live inside a unit of work
(backend/unit_of_work.py) and act in its transaction; `SagaShortcuts` are whole transactions of
their own, which a database may run as one statement.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import Connection, Executable
from sqlmodel import Session

from backend.models import Order, OrderEvent, OrderStatus, PaymentKind
from backend.saga.events import Event, InventoryReserved, OrderCreated
from backend.search.port import HotelDoc


class ProcessedMessages(Protocol):
    def record(self, consumer: str, message_id: str) -> bool:
        """Insert the processed-message row; False when the message was processed already."""
        ...


class RoomNights(Protocol):
    def reserve(self, room_type_id: int, stay: Sequence[date], total: int) -> list[date]:
        """Take one room of the type on every night that has one free; returns the nights taken."""
        ...

    def release(self, room_type_id: int, stay: Sequence[date]) -> None: ...


@dataclass(frozen=True)
class NewPayment:
    order_id: int
    kind: PaymentKind
    amount: Decimal
    currency: str
    gateway_ref: str
    idempotency_key: str


class Payments(Protocol):
    def add(self, payment: NewPayment) -> bool:
        """Insert the payment unless its idempotency key is recorded; True when inserted."""
        ...


class Orders(Protocol):
    def create(self, order: Order) -> bool:
        """Insert the order and set its id; False when its booking has one already."""
        ...

    def claim(self, consumer: str, message_id: str, order_id: int) -> tuple[bool, Order | None]:
        """Record the message as processed by `consumer` and lock its order.

        (False, None) for a message processed already, else (True, the order or None)."""
        ...

    def locked(self, order_id: int) -> Order | None: ...

    def locked_by_booking(self, booking_id: int) -> Order | None: ...

    def move(self, order: Order, entry: OrderEvent) -> None:
        """`save` the order and `append` the timeline entry that explains the change."""
        ...

    def save(self, order: Order) -> None: ...

    def append(self, entry: OrderEvent) -> None: ...


class Outbox(Protocol):
    def emit(self, *events: Event) -> None:
        """Write the events to the outbox in the unit of work's transaction."""
        ...


@dataclass(frozen=True)
class Stores:
    """Every store of one unit of work, bound to its transaction."""

    processed: ProcessedMessages
    nights: RoomNights
    payments: Payments
    orders: Orders
    outbox: Outbox


StoreFactory = Callable[[Session], Stores]


@dataclass(frozen=True)
class OrderMove:
    """One step of an order's state machine, decided before the order is read: from `source` to
    `target`, with the timeline entry that explains it. `detail` may name {amount} and
    {currency}: the adapter fills in the order's own (as `str(order.amount)`, `order.currency`)."""

    order_id: int
    source: OrderStatus
    target: OrderStatus
    event_type: str
    at: datetime
    detail: str
    data: dict[str, Any]


@dataclass(frozen=True)
class MovedOrder:
    """What a move's after-commit work needs of the order (its status push and saga metric)."""

    id: int
    user_id: int
    status: OrderStatus
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class OrderPlacement:
    """Checkout's write: an order `pending` for a live hold of this guest, its first timeline
    entry and its OrderCreated event. `detail` may name {amount} and {currency}; `created`'s
    order_id, amount and currency are filled in from the order (the hold's price)."""

    user_id: int
    booking_id: int
    at: datetime
    event_type: str
    detail: str
    created: OrderCreated


@dataclass(frozen=True)
class LockedHold:
    """The booking as the placement read it under its row lock."""

    user_id: int
    status: str
    hold_expires_at: datetime


@dataclass(frozen=True)
class PlacedOrder:
    hold: LockedHold | None  # None: no such booking
    order: Order | None  # the new order; None when nothing was written


class SagaShortcuts(Protocol):
    """The saga's hottest transactions, each all or nothing."""

    def record_charge_outcome(
        self, consumer: str, message_id: str, payment: NewPayment | None, outcome: Event
    ) -> None:
        """Record the message, the charge (when `payment` is given and its key is new) and the
        outcome event; nothing at all when the message was recorded already, and no event when
        the charge was recorded already (by the sweeper)."""
        ...

    def confirm_live_hold(
        self, consumer: str, message_id: str, reserved: InventoryReserved, now: datetime
    ) -> bool:
        """Confirm the booking if still held and the message is new, record the message and emit
        `reserved`; False (nothing written) in every other case."""
        ...

    def place_order(self, placement: OrderPlacement) -> PlacedOrder:
        """Lock the booking; if it is a hold of `placement.user_id`, still held at `placement.at`
        and without an order: insert the order (amount and currency the hold's), its timeline
        entry and its event. Nothing is written in any other case."""
        ...

    def move_order(self, consumer: str, message_id: str, move: OrderMove) -> MovedOrder | None:
        """If the message is new and the order is in `move.source`: record the message, set the
        order's status to `move.target` and its updated_at to `move.at`, and append the timeline
        entry; returns the order as moved. None (nothing written) in every other case."""
        ...


# -- lone statements ---------------------------------------------------------------------------------


class Statements(Protocol):
    """One statement that is its own transaction, outside any unit of work: the request hot
    paths' lone reads (the token's user, the room a hold needs) and one-statement writes (the
    hold, an Idempotency-Key's record). `statement` is a SQLAlchemy Core statement built once with
    bind parameters; an adapter may compile it once and run it on a driver connection of its own.
    Database errors arrive as SQLAlchemy's (`IntegrityError`, `OperationalError`, ...)."""

    def first(self, statement: Executable, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row the statement returns, or None."""
        ...

    def run(self, statement: Executable, params: Mapping[str, Any]) -> None: ...

    def close(self) -> None:
        """Close the connections the adapter keeps of its own."""
        ...


# -- the hold ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlacedHold:
    """What placing a hold did: the new booking's id, or (nothing written) the first full night;
    both None when the fence (the CHECK constraint) caught a race past the room-night locks."""

    booking_id: int | None
    full_night: date | None = None


class HoldWriter(Protocol):
    def place(
        self, booking: dict[str, Any], stay: Sequence[date], rooms: int, event: dict[str, Any]
    ) -> PlacedHold:
        """Take one room of `rooms` on every night of `stay`, insert the booking (`booking`: its
        columns but id) and its outbox event (`event`: the outbox row's event_type, payload,
        created_at and message_id; the payload gets the booking's id), all or nothing: when a
        night is full, nothing is written."""
        ...


# -- the search sync's change feed and the database's notifications --------------------------------


class LockBusy(Exception):
    """A lock was not free within the time the caller allowed."""


class Lease(Protocol):
    def held(self) -> bool:
        """Still held: False once the database session that holds it is gone (a server restart
        ends it and frees the lock for someone else)."""
        ...


class ChangeFeed(Protocol):
    """What the search sync needs of the database beyond portable SQL: how far the change log is
    settled, the pages a full rebuild reads, and the lock that makes one process at a time the
    search index's writer."""

    def horizon(self, conn: Connection) -> int:
        """Every transaction with a txid below it has finished: no change below it can appear."""
        ...

    def rebuild_pages(self, batch: int) -> Iterable[Sequence[HotelDoc]]:
        """Every searchable hotel's document in id order, `batch` a page (each page its own
        short query, so no transaction stays open for a whole rebuild)."""
        ...

    def writer_lock(self, timeout: float) -> AbstractContextManager[Lease]:
        """Hold the search index's writer lock for the block, across processes and hosts;
        LockBusy when it is not free within `timeout` seconds (0: a single try)."""
        ...


class Notifications(Protocol):
    def listening(self, channel: str, wake: threading.Event) -> AbstractContextManager[None]:
        """Set `wake` on every notification on `channel` while the block runs, and whenever
        listening (re)starts (one may have been missed meanwhile). A database that cannot notify
        does nothing: callers poll as well, so a lost notification only costs latency."""
        ...


class HotelLoader(Protocol):
    """Bulk writes of generated hotels (backend/seed.py), the database's fastest way in."""

    def write(self, hotels: list[dict[str, Any]], rooms: list[dict[str, Any]]) -> None:
        """One chunk of hotels and their room types, with the ids given, in one transaction."""
        ...

    def finish(self) -> None:
        """After the last chunk: ids the database generates continue after the ones written."""
        ...
