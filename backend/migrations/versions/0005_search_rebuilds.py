"""search: rebuild requests for the sync worker; the checkpoint loses its compare-and-set version

Revision ID: 0005_search_rebuilds
Revises: 0004_search_truncate

The sync worker is now the search index's only writer. `trinity reindex` inserts a row into
search_rebuilds and waits; the worker (or the reindex itself, when no worker holds the writer
lock) rebuilds, writing its progress into the row, and marks every request that was waiting when
it began as finished: two requests made together cost one rebuild. On PostgreSQL an insert
NOTIFYs the worker's channel, so it starts at once instead of at its next poll.

Nobody but the worker moves the checkpoint any more, so sync_checkpoints.version (a reindex's
compare-and-set) and the `reindex` hold row (a pruning floor while a reindex ran) go.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_search_rebuilds"
down_revision = "0004_search_truncate"
branch_labels = None
depends_on = None

FUNCTION = "search_rebuild_requested"
CHANNEL = "hotel_changes"  # backend.search.sync.CHANNEL: the worker listens there


def upgrade() -> None:
    op.create_table(
        "search_rebuilds",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column(
            "requested_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("indexed", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("error", sa.String(length=500), nullable=True),
        sqlite_autoincrement=True,
    )
    op.execute("DELETE FROM sync_checkpoints WHERE name = 'reindex'")
    with op.batch_alter_table("sync_checkpoints") as table:
        table.drop_column("version")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('{CHANNEL}', '');
                RETURN NULL;
            END $$
            """
        )
        op.execute(
            f"CREATE TRIGGER {FUNCTION} AFTER INSERT ON search_rebuilds "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {FUNCTION} ON search_rebuilds")
        op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    with op.batch_alter_table("sync_checkpoints") as table:
        table.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
    op.drop_table("search_rebuilds")
