"""PostgreSQL stores: the shared SQL ones, with the orders consumer's two commonest pairs of
statements as one statement each (data-modifying CTEs, same transaction, same effects).

`claim` inserts the consumer's processed-message row and locks the order; `move` updates the order
and appends its timeline entry. Every statement is built once, so its compiled form is reused.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, exists, select
from sqlalchemy.dialects import postgresql
from sqlmodel import Session

from backend.adapters.sql import (
    APPEND_EVENT,
    ORDERS,
    PROCESSED,
    SAVE_ORDER,
    SqlOrders,
    Statements,
    event_row,
    processed_row,
    saved_order,
    sql_stores,
)
from backend.models import Order, OrderEvent
from backend.ports import Stores

STATEMENTS = Statements(postgresql)
_EXISTS_BY_ID = select(ORDERS.c.id).where(ORDERS.c.id == bindparam("order_id"))
_PROCESSED_AT = (
    select(PROCESSED.c.processed_at)
    .where(PROCESSED.c.consumer == bindparam("consumer"))
    .where(PROCESSED.c.message_id == bindparam("message_id"))
)
# The UPDATE rides along as a CTE of the timeline INSERT (one round trip).
_MOVE = APPEND_EVENT.add_cte(SAVE_ORDER.returning(ORDERS.c.id).cte("saved"))


def _claim() -> Select[Any]:
    seen = (
        postgresql.insert(PROCESSED)
        .values(
            consumer=bindparam("consumer"),
            message_id=bindparam("message_id"),
            processed_at=bindparam("processed_at"),
        )
        .on_conflict_do_nothing()
        .returning(PROCESSED.c.message_id)
        .cte("seen")
    )
    return (
        select(ORDERS)
        .where(ORDERS.c.id == bindparam("order_id"))
        .where(exists(select(seen.c.message_id)))
        .with_for_update(of=ORDERS)
    )


_CLAIM = _claim()


class PostgresOrders(SqlOrders):
    def claim(self, consumer: str, message_id: str, order_id: int) -> tuple[bool, Order | None]:
        params = processed_row(consumer, message_id) | {"order_id": order_id}
        found = self.session.connection().execute(_CLAIM, params).first()
        if found is not None:
            return True, Order(**found._mapping)
        # No row: a duplicate (the processed row was there), or no such order. Asked without a
        # lock: a duplicate must not hold up the order's next message.
        if (
            self.session.connection().execute(_EXISTS_BY_ID, {"order_id": order_id}).first()
            is not None
        ):
            return False, None
        # No such order (rare: the message is bad, and the caller rolls back). Fresh only if the
        # processed row is the one this statement inserted, told by its timestamp.
        recorded = self.session.connection().execute(_PROCESSED_AT, params).scalar_one_or_none()
        return recorded == params["processed_at"], None

    def move(self, order: Order, entry: OrderEvent) -> None:
        self.session.connection().execute(_MOVE, saved_order(order) | event_row(entry))


def postgres_stores(session: Session) -> Stores:
    return sql_stores(session, STATEMENTS, orders=PostgresOrders)
