"""Emptying the hotels table reaches the index: TRUNCATE on PostgreSQL (migration 0004's trigger),
DELETE without WHERE on SQLite (which has no TRUNCATE; its row triggers see every row)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from search_fixtures import insert_hotel_sql, search_context
from sqlalchemy import Connection, text

from backend.context import Context
from backend.search.checkpoint import pending_changes
from backend.search.port import SearchQuery
from backend.search.sync import ALL_HOTELS, sync_once
from backend.seed import seed_hotels


@pytest.fixture
def ctx(mode: str, settings_factory: Any) -> Iterator[Context]:
    yield from search_context(mode, settings_factory)


def drain(ctx: Context) -> None:
    while sync_once(ctx):
        pass


def indexed_ids(ctx: Context) -> list[int]:
    return sorted(h.id for h in ctx.search.search(SearchQuery(limit=100)).hits)


def empty_hotels(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("TRUNCATE hotels CASCADE"))  # room types, inventory, bookings too
    else:
        conn.execute(text("DELETE FROM hotels"))  # room types follow by ON DELETE CASCADE


def truncate_markers(ctx: Context) -> int:
    with ctx.engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM hotel_changes WHERE hotel_id = :all"),
                {"all": ALL_HOTELS},
            ).scalar_one()
        )


def test_emptying_hotels_empties_the_index_and_keeps_later_inserts(mode: str, ctx: Context) -> None:
    seed_hotels(ctx, 40, seed=5)
    drain(ctx)
    assert ctx.search.count() == 40
    with ctx.engine.begin() as conn:
        empty_hotels(conn)
    assert truncate_markers(ctx) == (2 if mode == "full" else 0)  # hotels and room_types
    if mode == "local":
        assert pending_changes(ctx.engine) >= 40  # one row per deleted hotel
    after = insert_hotel_sql(ctx, "After The Wipe")
    drain(ctx)
    assert indexed_ids(ctx) == [after]
    assert ctx.search.count() == 1
    if mode == "local":  # on PostgreSQL the checkpoint also waits for the server's horizon
        assert pending_changes(ctx.engine) == 0


def test_a_hotel_added_in_the_truncating_transaction_survives(mode: str, ctx: Context) -> None:
    seed_hotels(ctx, 10, seed=6)
    drain(ctx)
    with ctx.engine.begin() as conn:
        empty_hotels(conn)
        fresh = conn.execute(
            text(
                "INSERT INTO hotels (name, city, country, lat, lng, rating, amenities, description, "
                "currency, cancellation_policy, updated_at) VALUES ('Phoenix Lodge', 'Porto', 'PT', "
                "41.15, -8.61, 4.1, '[]', '', 'EUR', 'flexible', CURRENT_TIMESTAMP) RETURNING id"
            )
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO room_types (hotel_id, name, capacity, rooms, price) "
                "VALUES (:h, 'Double', 2, 1, 88)"
            ),
            {"h": fresh},
        )
    drain(ctx)
    assert indexed_ids(ctx) == [fresh]
    assert [h.name for h in ctx.search.search(SearchQuery(text="phoenix")).hits] == [
        "Phoenix Lodge"
    ]


def test_truncating_the_log_with_the_hotels_leaves_no_rebuild_request(
    mode: str, ctx: Context
) -> None:
    if mode == "local":
        pytest.skip("SQLite has no TRUNCATE")
    seed_hotels(ctx, 5, seed=8)
    with ctx.engine.begin() as conn:
        conn.execute(text("TRUNCATE hotels, hotel_changes CASCADE"))
    # The trigger runs BEFORE the truncation: the log's own truncation takes its marker along.
    assert truncate_markers(ctx) == 0
