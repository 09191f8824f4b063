"""Pieces shared by the one-statement saga steps (backend/adapters/postgres/shortcuts.py): the rows
their data-modifying CTEs insert, as typed parameters."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam, select

SEEN_COLUMNS = ("consumer", "message_id", "processed_at")  # a processed-message row
OUTBOX_COLUMNS = ("event_type", "payload", "created_at", "message_id")  # an outbox row


def param_row(table: Table, prefix: str, columns: tuple[str, ...]) -> Any:
    """SELECT of typed parameters named `prefix_column`: the row an INSERT .. SELECT inserts."""
    return select(*(bindparam(f"{prefix}_{c}", type_=table.c[c].type) for c in columns))
