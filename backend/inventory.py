"""Room-night inventory rows: reserve, release and read, with the database as the final fence."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from sqlalchemy import func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from backend.models import RoomInventory


def nights(check_in: date, check_out: date) -> list[date]:
    return [check_in + timedelta(days=offset) for offset in range((check_out - check_in).days)]


def reserve_night(session: Session, room_type_id: int, night: date, total: int) -> bool:
    """Take one room of the type for the night if one is free; False when the night is full.

    The first reservation of a night inserts its row (total copied from the room type); later ones
    increment it only while reserved < total. On Postgres the upsert takes the row lock, and the
    CHECK (reserved <= total) rejects any overbooking even if every other guard failed.
    """
    if total < 1:
        return False
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    table = RoomInventory.__table__  # type: ignore[attr-defined]
    statement = (
        insert(table)
        .values(room_type_id=room_type_id, night=night, total=total, reserved=1)
        .on_conflict_do_update(
            index_elements=[table.c.room_type_id, table.c.night],
            set_={"reserved": table.c.reserved + 1},
            where=table.c.reserved < table.c.total,
        )
        .returning(table.c.reserved)
    )
    return session.execute(statement).first() is not None


def release_nights(session: Session, room_type_id: int, stay: Sequence[date]) -> None:
    session.execute(
        update(RoomInventory)
        .where(col(RoomInventory.room_type_id) == room_type_id)
        .where(col(RoomInventory.night).in_(stay))
        .where(col(RoomInventory.reserved) > 0)
        .values(reserved=col(RoomInventory.reserved) - 1)
    )


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
