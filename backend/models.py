"""All database tables of Trinity (SQLModel), in one module to keep imports acyclic.

Inventory keeps a row only for nights that carry reservations: a missing row means every room of
the type is free that night, so 1M hotels cost no rows until guests book them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import uuid4

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class BookingStatus(StrEnum):
    HELD = "held"
    CONFIRMED = "confirmed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class CancellationPolicy(StrEnum):
    # The rules a guest reads (deadlines, refund shares) live in backend/cancellation.py.
    FLEXIBLE = "flexible"
    MODERATE = "moderate"
    STRICT = "strict"


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(index=True, unique=True, max_length=320)
    name: str = Field(max_length=200)
    password_hash: str
    is_admin: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    # Tokens carry the epoch they were issued in; moving it on revokes them all (0007_token_epoch).
    token_epoch: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class Hotel(SQLModel, table=True):
    __tablename__ = "hotels"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    city: str = Field(max_length=120, index=True)
    country: str = Field(max_length=2)
    lat: float
    lng: float
    rating: float = 0.0
    amenities: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    description: str = ""
    currency: str = Field(default="EUR", max_length=3)
    # IANA zone of the hotel's clock: its "today", check-in times and deadlines (0006_stay_time).
    timezone: str = Field(default="UTC", max_length=64)
    cancellation_policy: CancellationPolicy = Field(
        default=CancellationPolicy.FLEXIBLE,
        sa_type=String(20),  # type: ignore[call-overload]
    )
    updated_at: datetime = Field(default_factory=utcnow)


class RoomType(SQLModel, table=True):
    __tablename__ = "room_types"
    __table_args__ = (
        CheckConstraint("capacity >= 1", name="room_type_capacity_positive"),
        CheckConstraint("rooms >= 0", name="room_type_rooms_not_negative"),
        CheckConstraint("price >= 0", name="room_type_price_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    hotel_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("hotels.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    name: str = Field(max_length=120)
    capacity: int
    rooms: int
    price: Decimal = Field(max_digits=10, decimal_places=2)


class RoomInventory(SQLModel, table=True):
    """One room type on one night; created by the first reservation of that night."""

    __tablename__ = "room_inventory"
    __table_args__ = (
        CheckConstraint("reserved <= total", name="inventory_not_overbooked"),
        CheckConstraint("reserved >= 0", name="inventory_not_negative"),
    )

    room_type_id: int = Field(
        sa_column=Column(Integer, ForeignKey("room_types.id", ondelete="CASCADE"), primary_key=True)
    )
    night: date = Field(primary_key=True)
    total: int
    reserved: int = 0


class Booking(SQLModel, table=True):
    __tablename__ = "bookings"
    __table_args__ = (
        Index("ix_bookings_user_created", "user_id", "created_at"),
        Index("ix_bookings_status_expiry", "status", "hold_expires_at"),
        # One held booking per guest, room type and dates: a second hold resumes the first
        # (backend/services/booking.py); the fence if the room-night locks ever fail.
        Index(
            "uq_bookings_one_hold",
            "user_id",
            "room_type_id",
            "check_in",
            "check_out",
            unique=True,
            sqlite_where=text("status = 'held'"),
            postgresql_where=text("status = 'held'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id")
    hotel_id: int = Field(index=True)
    room_type_id: int = Field(index=True)
    check_in: date
    check_out: date
    guests: int
    status: BookingStatus = Field(
        default=BookingStatus.HELD,
        sa_type=String(20),  # type: ignore[call-overload]
    )
    hold_expires_at: datetime
    hold_extended: bool = False  # a hold may be extended once (0006_stay_time)
    total_price: Decimal = Field(max_digits=12, decimal_places=2)
    currency: str = Field(max_length=3)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class IdempotencyRecord(SQLModel, table=True):
    """The first response to an Idempotency-Key, replayed for the same user, scope and body."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("user_id", "scope", "key", name="uq_idempotency_key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int
    scope: str = Field(max_length=40)
    key: str = Field(max_length=255)
    request_hash: str = Field(max_length=64)
    status_code: int
    response: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, index=True)


class OutboxMessage(SQLModel, table=True):
    """An event written in the same transaction as the change that caused it; a relay publishes it."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    event_type: str = Field(max_length=80)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    published_at: datetime | None = Field(default=None, index=True)
    # Globally unique: consumers remember it to ignore a second delivery (migration 0003_saga).
    message_id: str | None = Field(
        default_factory=lambda: str(uuid4()), max_length=36, unique=True, index=True
    )


# --- Flow 3: the payment saga (migration 0003_saga) ---


class OrderStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    REFUNDED = "refunded"


class Order(SQLModel, table=True):
    """Payment for one held booking; its status only moves along `backend.saga.orders`."""

    __tablename__ = "orders"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    booking_id: int = Field(foreign_key="bookings.id", unique=True)  # one order per booking
    status: OrderStatus = Field(
        default=OrderStatus.PENDING,
        sa_type=String(20),  # type: ignore[call-overload]
    )
    amount: Decimal = Field(max_digits=12, decimal_places=2)
    currency: str = Field(max_length=3)
    refunded_amount: Decimal = Field(default=Decimal("0"), max_digits=12, decimal_places=2)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, index=True)


class OrderEvent(SQLModel, table=True):
    """One entry of an order's saga timeline (OrderCreated, PaymentSucceeded, ...)."""

    __tablename__ = "order_events"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    type: str = Field(max_length=60)
    at: datetime = Field(default_factory=utcnow)
    detail: str = ""
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class PaymentKind(StrEnum):
    CHARGE = "charge"
    REFUND = "refund"


class Payment(SQLModel, table=True):
    """Money that moved at the gateway: a charge or a refund, recorded once per idempotency key."""

    __tablename__ = "payments"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    kind: PaymentKind = Field(sa_type=String(10))  # type: ignore[call-overload]
    amount: Decimal = Field(max_digits=12, decimal_places=2)
    currency: str = Field(max_length=3)
    gateway_ref: str = Field(max_length=80)
    idempotency_key: str = Field(max_length=120, unique=True)
    created_at: datetime = Field(default_factory=utcnow)


class ProcessedMessage(SQLModel, table=True):
    """A message a consumer has applied; inserted in the same transaction as the effect."""

    __tablename__ = "processed_messages"

    consumer: str = Field(max_length=60, primary_key=True)
    message_id: str = Field(max_length=36, primary_key=True)
    processed_at: datetime = Field(default_factory=utcnow)


class HotelChange(SQLModel, table=True):
    """A hotel or one of its room types changed: one row per hotel, written by database triggers
    (migration 0002_search), read by the search sync worker (backend/search/sync.py).

    `txid` is the writing transaction's id on PostgreSQL (0 on SQLite, whose writers commit in id
    order anyway); the worker's checkpoint is the position (txid, id).
    """

    __tablename__ = "hotel_changes"
    __table_args__ = (
        Index("ix_hotel_changes_position", "txid", "id"),
        {"sqlite_autoincrement": True},  # ids are never reused after pruning
    )

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    )
    hotel_id: int
    txid: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    changed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), server_default=func.now())
    )


class SyncCheckpoint(SQLModel, table=True):
    """How far a consumer of hotel_changes got: every change at or before it is in the index."""

    __tablename__ = "sync_checkpoints"

    name: str = Field(primary_key=True, max_length=40)
    txid: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    change_id: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


class SearchRebuild(SQLModel, table=True):
    """A request for a full rebuild of the search index (`trinity reindex`), served by the index's
    one writer (backend/search/rebuilds.py), which records its progress here."""

    __tablename__ = "search_rebuilds"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    )
    requested_at: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    started_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    finished_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    indexed: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    error: str | None = Field(default=None, max_length=500)
