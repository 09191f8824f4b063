"""Room-night inventory: the nights of a stay and how full they are.

Reserving and releasing nights is a store of the unit of work (`RoomNights` in backend/ports.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.models import RoomInventory


def nights(check_in: date, check_out: date) -> list[date]:
    return [check_in + timedelta(days=offset) for offset in range((check_out - check_in).days)]


def busiest_night_reserved(
    session: Session, room_type_ids: Iterable[int], check_in: date, check_out: date
) -> dict[int, int]:
    """Rooms reserved on the fullest night of the stay, per room type (missing = none reserved)."""
    ids = list(room_type_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(RoomInventory.room_type_id, func.max(RoomInventory.reserved))
        .where(col(RoomInventory.room_type_id).in_(ids))
        .where(col(RoomInventory.night) >= check_in)
        .where(col(RoomInventory.night) < check_out)
        .group_by(col(RoomInventory.room_type_id))
    ).all()
    return {room_type_id: int(reserved or 0) for room_type_id, reserved in rows}
