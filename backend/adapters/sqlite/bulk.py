"""SQLite's bulk load of generated hotels: executemany INSERTs, one transaction a chunk (SQLite
has no COPY, and its INTEGER PRIMARY KEY continues after the largest id by itself)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, insert

from backend.models import Hotel, RoomType


class SqliteHotelLoader:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def write(self, hotels: list[dict[str, Any]], rooms: list[dict[str, Any]]) -> None:
        with self.engine.begin() as connection:
            connection.execute(insert(Hotel), hotels)
            connection.execute(insert(RoomType), rooms)

    def finish(self) -> None:
        pass
