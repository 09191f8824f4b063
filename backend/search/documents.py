"""Search documents read from the database: one per hotel that has a room type (a hotel without
rooms cannot be booked), with its room types' price range and largest capacity.

The sync worker reads a batch's hotels with `documents_for`; a rebuild pages through every hotel
with the change feed's `rebuild_pages`: `all_documents` here on SQLite, documents encoded by the
database as NDJSON on PostgreSQL (backend/adapters/postgres/documents.py). A test holds the two
encodings equal field for field.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Select, func, text
from sqlmodel import col, select

from backend.models import Hotel, RoomType
from backend.search.port import HotelDoc

REBUILD_BATCH = 5000


def _documents_query() -> Select[Any]:
    """Hotels with their room types' price range and capacity, one row each. A hotel without room
    types cannot be booked: the inner join leaves it out, so it is not searchable."""
    return (
        select(  # type: ignore[call-overload]  # sqlmodel types up to 4 columns
            Hotel.id, Hotel.name, Hotel.city, Hotel.country, Hotel.lat, Hotel.lng, Hotel.rating,
            Hotel.amenities, Hotel.description, Hotel.currency,
            func.min(RoomType.price), func.max(RoomType.price), func.max(RoomType.capacity),
        )
        .join(RoomType, col(RoomType.hotel_id) == col(Hotel.id))
        .group_by(col(Hotel.id))
    )  # fmt: skip


def _document(row: Any) -> HotelDoc:
    return HotelDoc(
        id=row[0], name=row[1], city=row[2], country=row[3], lat=row[4], lng=row[5],
        rating=row[6], amenities=list(row[7] or []), description=row[8], currency=row[9],
        price_min=float(row[10]), price_max=float(row[11]), max_capacity=int(row[12]),
    )  # fmt: skip


def documents_for(conn: Connection, hotel_ids: Sequence[int]) -> tuple[list[HotelDoc], list[int]]:
    """Current documents of these hotels, and the ids that should leave the index."""
    if not hotel_ids:
        return [], []
    rows = conn.execute(_documents_query().where(col(Hotel.id).in_(hotel_ids))).all()
    docs = [_document(row) for row in rows]
    kept = {d.id for d in docs}
    return docs, [i for i in hotel_ids if i not in kept]


def all_documents(engine: Engine, batch: int) -> Iterator[list[HotelDoc]]:
    """Every searchable hotel in id order, `batch` at a time; one short query per batch (keyset
    pagination), so no transaction stays open for the whole rebuild."""
    query = _documents_query().order_by(col(Hotel.id)).limit(batch)
    last = 0
    while True:
        with engine.connect() as conn:
            # Both bounds: without the room types' one PostgreSQL merge-joins them from the start.
            after = query.where(col(Hotel.id) > last, col(RoomType.hotel_id) > last)
            rows = conn.execute(after).all()
        if not rows:
            return
        last = rows[-1][0]
        yield [_document(row) for row in rows]


def hotel_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM hotels")).scalar_one())
