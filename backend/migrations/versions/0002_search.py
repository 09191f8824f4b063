"""search change capture: hotel_changes log fed by triggers, sync checkpoints

Revision ID: 0002_search
Revises: 0001

Every write to hotels or room_types (API, admin page, seeder, raw SQL) appends the hotel's id to
hotel_changes from a trigger, in the writer's own transaction. On PostgreSQL the triggers are
per statement (transition tables: a COPY of 5,000 rows costs one INSERT ... SELECT), record the
transaction id for the gap-free checkpoint, and NOTIFY the sync worker. SQLite only has row
triggers; its writers are serialized, so ids alone order the log.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_search"
down_revision = "0001"
branch_labels = None
depends_on = None

# (table, column holding the hotel id)
SOURCES = [("hotels", "id"), ("room_types", "hotel_id")]
CHANNEL = "hotel_changes"


def upgrade() -> None:
    op.create_table(
        "hotel_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("hotel_id", sa.Integer(), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_hotel_changes_position", "hotel_changes", ["txid", "id"])
    op.create_table(
        "sync_checkpoints",
        sa.Column("name", sa.String(length=40), primary_key=True),
        sa.Column("txid", sa.BigInteger(), nullable=False),
        sa.Column("change_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgres_triggers()
    else:
        _sqlite_triggers()


def _postgres_triggers() -> None:
    events = {
        "insert": ("REFERENCING NEW TABLE AS new_rows", ["new_rows"]),
        "update": (
            "REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows",
            ["new_rows", "old_rows"],
        ),
        "delete": ("REFERENCING OLD TABLE AS old_rows", ["old_rows"]),
    }
    for table, column in SOURCES:
        for event, (referencing, relations) in events.items():
            name = f"hotel_changes_{table}_{event}"
            rows = " UNION ".join(f"SELECT {column} FROM {r}" for r in relations)
            op.execute(
                f"""
                CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE
                    added integer;
                BEGIN
                    INSERT INTO hotel_changes (hotel_id, txid)
                    SELECT DISTINCT changed.{column}, pg_current_xact_id()::text::bigint
                    FROM ({rows}) AS changed;
                    GET DIAGNOSTICS added = ROW_COUNT;
                    IF added > 0 THEN
                        PERFORM pg_notify('{CHANNEL}', '');
                    END IF;
                    RETURN NULL;
                END $$
                """
            )
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} {referencing} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            )


def _sqlite_triggers() -> None:
    for table, column in SOURCES:
        for event, refs in (("insert", ["NEW"]), ("update", ["NEW", "OLD"]), ("delete", ["OLD"])):
            inserts = []
            for ref in refs:
                guard = (
                    f" WHERE OLD.{column} IS NOT NEW.{column}"
                    if ref == "OLD" and event == "update"
                    else ""
                )
                inserts.append(
                    f"INSERT INTO hotel_changes (hotel_id, txid) SELECT {ref}.{column}, 0{guard};"
                )
            op.execute(
                f"CREATE TRIGGER hotel_changes_{table}_{event} AFTER {event.upper()} ON {table} "
                f"BEGIN {' '.join(inserts)} END"
            )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, _ in SOURCES:
        for event in ("insert", "update", "delete"):
            name = f"hotel_changes_{table}_{event}"
            op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgres else ""))
            if postgres:
                op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_table("sync_checkpoints")
    op.drop_index("ix_hotel_changes_position", table_name="hotel_changes")
    op.drop_table("hotel_changes")
