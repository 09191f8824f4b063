"""Search documents read from the database: one per hotel that has a room type (a hotel without
rooms cannot be booked), with its room types' price range and largest capacity.

The sync worker reads a batch's hotels with `documents_for`; a rebuild pages through every hotel
with `rebuild_pages`, which on PostgreSQL lets the database encode the documents as NDJSON
(`encoded_documents`: a 1M-hotel rebuild then makes no Python object per hotel) and elsewhere
builds them in Python (`all_documents`). A test holds the two encodings equal field for field.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Select, func, text
from sqlmodel import col, select

from backend.models import Hotel, RoomType
from backend.search.port import EncodedBatch, HotelDoc

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


def _json_float(column: str) -> str:
    """A float column as JSON Python reads back as a float: PostgreSQL writes 4.0 as `4`."""
    return (
        f"CASE WHEN {column} = trunc({column}) THEN ({column}::text || '.0')::json "
        f"ELSE to_json({column}) END"
    )


# The same documents as _documents_query + to_document (a test holds them equal field for field),
# built by PostgreSQL: a rebuild then never makes a Python object per hotel. Prices stay numeric
# (`99.00` reads back as a float); amenities go through jsonb, which writes them on one line.
_ENCODED_PAGE = f"""
SELECT string_agg(doc, E'\\n' ORDER BY id), count(*), max(id) FROM (
  SELECT h.id, json_build_object(
    'id', h.id, 'name', h.name, 'city', h.city, 'country', h.country,
    'lat', {_json_float("h.lat")}, 'lng', {_json_float("h.lng")},
    'rating', {_json_float("h.rating")},
    'amenities', CASE json_typeof(h.amenities) WHEN 'array' THEN h.amenities::jsonb
                 ELSE '[]'::jsonb END,
    'description', h.description, 'currency', h.currency,
    'price_min', min(r.price), 'price_max', max(r.price), 'max_capacity', max(r.capacity)
  )::text AS doc
  FROM hotels h JOIN room_types r ON r.hotel_id = h.id
  WHERE h.id > :last AND r.hotel_id > :last
  GROUP BY h.id ORDER BY h.id LIMIT :n
) page"""


def encoded_documents(engine: Engine, batch: int) -> Iterator[EncodedBatch]:
    """all_documents, encoded by PostgreSQL as NDJSON, one page per query."""
    last = 0
    while True:
        with engine.connect() as conn:
            ndjson, size, last_id = conn.execute(
                text(_ENCODED_PAGE), {"last": last, "n": batch}
            ).one()
        if not size:
            return
        last = int(last_id)
        yield EncodedBatch(ndjson, int(size))


def rebuild_pages(engine: Engine, batch: int) -> Iterable[Sequence[HotelDoc]]:
    """What a rebuild reads: database-built JSON where the database can build it."""
    if engine.dialect.name == "postgresql":
        return encoded_documents(engine, batch)
    return all_documents(engine, batch)


def hotel_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM hotels")).scalar_one())
