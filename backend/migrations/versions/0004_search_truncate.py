"""search change capture: TRUNCATE of hotels or room_types is logged too

Revision ID: 0004_search_truncate
Revises: 0002_search

TRUNCATE fires no row or per-statement DML triggers, so 0002's triggers miss it. On PostgreSQL a
statement-level TRUNCATE trigger appends one row with hotel_id 0 (no hotel has that id), which
the sync worker reads as "every hotel may have changed": it rebuilds the index from the database.

The trigger runs BEFORE the truncation on purpose: PostgreSQL fires every table's BEFORE TRUNCATE
triggers before truncating any, so `TRUNCATE hotels, hotel_changes` (a full reset, as the tests
do) wipes the marker along with the log instead of leaving a rebuild request behind.

SQLite has no TRUNCATE: `DELETE FROM hotels` skips its truncate optimization when the table has
triggers, so 0002's row triggers already see every deleted row. Nothing to do there.
"""

from alembic import op

revision = "0004_search_truncate"
down_revision = "0002_search"
branch_labels = None
depends_on = None

TABLES = ["hotels", "room_types"]
FUNCTION = "hotel_changes_truncate"
ALL_HOTELS = 0  # backend.search.sync.ALL_HOTELS
CHANNEL = "hotel_changes"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"""
        CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO hotel_changes (hotel_id, txid)
            VALUES ({ALL_HOTELS}, pg_current_xact_id()::text::bigint);
            PERFORM pg_notify('{CHANNEL}', '');
            RETURN NULL;
        END $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {FUNCTION}_{table} BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {FUNCTION}_{table} ON {table}")
    op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
