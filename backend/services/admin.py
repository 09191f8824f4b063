"""Read-only views for the admin page: hotels with paging, recent orders with their saga
timelines, and booking/order counts. Writes go through backend.services.hotels."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import col, select

from backend.context import Context
from backend.models import Booking, Hotel, Order, OrderEvent, RoomType, User


@dataclass
class HotelRow:
    hotel: Hotel
    room_types: int
    rooms: int
    price_from: Decimal | None


@dataclass
class HotelPage:
    rows: list[HotelRow]
    total: int


def list_hotels(ctx: Context, text: str = "", limit: int = 10, offset: int = 0) -> HotelPage:
    """Hotels whose name or city contains `text` (case-insensitive), by id."""
    where = []
    if text.strip():
        pattern = f"%{text.strip().lower()}%"
        where.append(
            or_(
                func.lower(col(Hotel.name)).like(pattern), func.lower(col(Hotel.city)).like(pattern)
            )
        )
    with ctx.unit_of_work() as uow:
        session = uow.session
        total = session.exec(select(func.count()).select_from(Hotel).where(*where)).one()
        hotels = session.exec(
            select(Hotel).where(*where).order_by(col(Hotel.id)).offset(offset).limit(limit)
        ).all()
        ids = [h.id for h in hotels]
        stats: dict[int, tuple[Any, ...]] = {
            row[0]: row[1:]
            for row in session.exec(
                select(
                    RoomType.hotel_id,
                    func.count(),
                    func.sum(RoomType.rooms),
                    func.min(RoomType.price),
                )
                .where(col(RoomType.hotel_id).in_(ids))
                .group_by(col(RoomType.hotel_id))
            ).all()
        }
    no_rooms: tuple[Any, ...] = (0, 0, None)
    rows = [
        HotelRow(
            hotel=h,
            room_types=int(stats.get(h.id or 0, no_rooms)[0] or 0),
            rooms=int(stats.get(h.id or 0, no_rooms)[1] or 0),
            price_from=stats.get(h.id or 0, no_rooms)[2],
        )
        for h in hotels
    ]
    return HotelPage(rows=rows, total=int(total))


@dataclass
class AdminOrder:
    order: Order
    guest_email: str
    hotel_name: str
    events: list[OrderEvent] = field(default_factory=list)


def recent_orders(ctx: Context, limit: int = 10, offset: int = 0) -> tuple[list[AdminOrder], int]:
    """Every guest's orders, newest first, each with its saga timeline; and how many there are."""
    with ctx.unit_of_work() as uow:
        session = uow.session
        total = session.exec(select(func.count()).select_from(Order)).one()
        rows = session.exec(
            select(Order, User.email, Hotel.name)
            .join(User, col(User.id) == col(Order.user_id))
            .join(Booking, col(Booking.id) == col(Order.booking_id))
            .join(Hotel, col(Hotel.id) == col(Booking.hotel_id), isouter=True)
            .order_by(col(Order.id).desc())
            .offset(offset)
            .limit(limit)
        ).all()
        ids = [order.id for order, _, _ in rows]
        events: dict[int, list[OrderEvent]] = {}
        for event in session.exec(
            select(OrderEvent)
            .where(col(OrderEvent.order_id).in_(ids))
            .order_by(col(OrderEvent.at), col(OrderEvent.id))
        ).all():
            events.setdefault(event.order_id, []).append(event)
    return [
        AdminOrder(order, email, hotel or "(deleted hotel)", events.get(order.id or 0, []))
        for order, email, hotel in rows
    ], int(total)


def status_counts(ctx: Context) -> dict[str, dict[str, int]]:
    """{"bookings": {status: n}, "orders": {status: n}} from the database."""
    with ctx.unit_of_work() as uow:
        session = uow.session
        bookings = session.exec(
            select(Booking.status, func.count()).group_by(col(Booking.status))
        ).all()
        orders = session.exec(select(Order.status, func.count()).group_by(col(Order.status))).all()
    return {
        "bookings": {str(status): int(n) for status, n in bookings},
        "orders": {str(status): int(n) for status, n in orders},
    }


def counter_values(ctx: Context, name: str, label: str) -> dict[str, int]:
    """One Redis-backed counter of ctx.metrics (e.g. trinity_conflicts by reason)."""
    values: dict[str, int] = {}
    for family in ctx.metrics.collect():
        if family.name != name.removesuffix("_total"):
            continue
        for sample in family.samples:
            if sample.name.endswith("_total") and label in sample.labels:
                values[sample.labels[label]] = int(sample.value)
    return values
