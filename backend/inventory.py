"""Room-night inventory rows: reserve, release and read, with the database as the final fence."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, Insert, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from backend.models import RoomInventory


def nights(check_in: date, check_out: date) -> list[date]:
    return [check_in + timedelta(days=offset) for offset in range((check_out - check_in).days)]


def reserve_night(session: Session, room_type_id: int, night: date, total: int) -> bool:
    """Take one room of the type for the night if one is free; False when the night is full."""
    return bool(reserve_nights(session, room_type_id, [night], total))


def _upsert(dialect: Any) -> Insert:
    """Insert a night's row, or take one more room of it only while reserved < total."""
    table = RoomInventory.__table__  # type: ignore[attr-defined]
    return (
        dialect.insert(table)
        .on_conflict_do_update(
            index_elements=[table.c.room_type_id, table.c.night],
            set_={"reserved": table.c.reserved + 1},
            where=table.c.reserved < table.c.total,
        )
        .returning(table.c.night)
    )


# Built once: the statement and its compiled form are reused by every hold.
_UPSERTS = {"postgresql": _upsert(postgresql), "sqlite": _upsert(sqlite)}


def reserve_nights(
    executor: Session | Connection, room_type_id: int, stay: Sequence[date], total: int
) -> list[date]:
    """Take one room of the type for every night that has one free, in one statement.

    Returns the nights taken; fewer than asked means some night was full, and the caller rolls its
    transaction back. The first reservation of a night inserts its row (total copied from the room
    type); later ones increment it only while reserved < total. SQLAlchemy sends the rows as one
    multi-row INSERT .. ON CONFLICT (its "insertmanyvalues"); on Postgres it takes the row locks in
    the stay's order, and the CHECK (reserved <= total) rejects any overbooking even if every other
    guard failed.
    """
    if total < 1 or not stay:
        return []
    bind = executor.get_bind() if isinstance(executor, Session) else executor
    rows = [{"room_type_id": room_type_id, "night": n, "total": total, "reserved": 1} for n in stay]
    return [night for (night,) in executor.execute(_UPSERTS[bind.dialect.name], rows)]


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
