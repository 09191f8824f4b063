"""tokens an account can revoke: users.token_epoch

Revision ID: 0007_token_epoch
Revises: 0006_stay_time

A token carries the account's epoch when it was issued (`ep`); `POST /api/auth/logout` moves the
epoch on, and every token issued before no longer verifies (backend/services/auth.py). Existing
accounts start at 0, which is what tokens issued before this revision (without `ep`) count as.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_token_epoch"
down_revision = "0006_stay_time"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("token_epoch", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("token_epoch")
