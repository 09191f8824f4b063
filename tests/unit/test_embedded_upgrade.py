"""An embedded index file written before prices were compared in euros is upgraded in place:
its documents gain the euro columns (from their own price and currency) and searches use them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from backend.search.embedded import EmbeddedIndex
from backend.search.port import BoundingBox, SearchQuery, Sort

OLD_LAYOUT = [
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER)",
    "INSERT INTO meta VALUES ('generation', 1)",
    """CREATE TABLE docs_1 (
        id INTEGER PRIMARY KEY, name TEXT, city TEXT, country TEXT, lat REAL, lng REAL,
        rating REAL, amenities TEXT, amen_keys TEXT, description TEXT, currency TEXT,
        price_min REAL, price_max REAL, max_capacity INTEGER)""",
    "CREATE INDEX docs_1_price ON docs_1 (price_min, id)",
    """CREATE TABLE spots_1 (
        band INTEGER, lng REAL, id INTEGER, lat REAL, price_min REAL, price_max REAL,
        amen_keys TEXT, max_capacity INTEGER, rating REAL,
        PRIMARY KEY (band, lng, id)) WITHOUT ROWID""",
    "CREATE VIRTUAL TABLE fts_1 USING fts5(name, city, description)",
]
ROWS = [  # id, name, currency, price_min, price_max: 100, 90 and 110 euros
    (1, "Yen Inn", "JPY", 16900.0, 16900.0),
    (2, "Euro Inn", "EUR", 90.0, 120.0),
    (3, "Dollar Inn", "USD", 128.7, 128.7),
]


def test_an_old_file_gains_euro_prices(tmp_path: Path) -> None:
    path = tmp_path / "search.db"
    with sqlite3.connect(path) as conn:
        for statement in OLD_LAYOUT:
            conn.execute(statement)
        for id, name, code, low, high in ROWS:
            conn.execute(
                "INSERT INTO docs_1 VALUES (?, ?, 'Town', 'XX', 10.0, ?, 4.0, '[]', ',', '', ?, "
                "?, ?, 2)",
                (id, name, 10.0 + id / 100, code, low, high),
            )
            conn.execute(
                "INSERT INTO spots_1 VALUES (100, ?, ?, 10.0, ?, ?, ',', 2, 4.0)",
                (10.0 + id / 100, id, low, high),
            )
    index = EmbeddedIndex(path)
    try:
        cheapest = index.search(SearchQuery(sort=Sort.PRICE_ASC))
        assert [h.id for h in cheapest.hits] == [2, 1, 3]
        assert [h.price_min_eur for h in cheapest.hits] == [90.0, 100.0, 110.0]
        in_budget = index.search(SearchQuery(min_price=95, max_price=105))
        assert [h.id for h in in_budget.hits] == [1]

        box = BoundingBox(ne_lat=10.5, ne_lng=10.5, sw_lat=9.5, sw_lng=9.5)
        viewport = index.search(SearchQuery(bbox=box, max_price=100, sort=Sort.PRICE_DESC))
        assert [h.id for h in viewport.hits] == [1, 2]  # spots_1 derived again, with euros
    finally:
        index.close()
