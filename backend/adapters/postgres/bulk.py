"""PostgreSQL's bulk load of generated hotels: COPY, the fastest way in (bench/seed.py measures it
against executemany INSERTs)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, text

HOTEL_COLUMNS = [
    "id", "name", "city", "country", "lat", "lng", "rating", "amenities", "description",
    "currency", "timezone", "cancellation_policy", "updated_at",
]  # fmt: skip
ROOM_TYPE_COLUMNS = ["id", "hotel_id", "name", "capacity", "rooms", "price"]


class PostgresHotelLoader:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def write(self, hotels: list[dict[str, Any]], rooms: list[dict[str, Any]]) -> None:
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            hotels_sql = f"COPY hotels ({', '.join(HOTEL_COLUMNS)}) FROM STDIN"
            with cursor.copy(hotels_sql) as copy:  # type: ignore[attr-defined]
                for hotel in hotels:
                    copy.write_row(
                        [
                            json.dumps(hotel[c]) if c == "amenities" else hotel[c]
                            for c in HOTEL_COLUMNS
                        ]
                    )
            rooms_sql = f"COPY room_types ({', '.join(ROOM_TYPE_COLUMNS)}) FROM STDIN"
            with cursor.copy(rooms_sql) as copy:  # type: ignore[attr-defined]
                for room in rooms:
                    copy.write_row([room[c] for c in ROOM_TYPE_COLUMNS])
            raw.commit()
        finally:
            raw.close()

    def finish(self) -> None:
        # COPY wrote the ids itself: the serial sequences would otherwise hand them out again.
        with self.engine.begin() as connection:
            for table in ("hotels", "room_types"):
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT MAX(id) FROM {table}))"
                    )
                )
