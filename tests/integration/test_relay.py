"""The outbox relay's promise, batch by batch: a row is marked sent only once the broker holds its
messages. The broker's failure is stood in for by a publisher that raises (the real broker's
restart mid-flow is tests/integration/test_saga_broker_restart.py)."""

# ruff: noqa: F811  (pytest fixtures imported from tests/sagas.py)
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from sagas import SagaHarness, saga, saga_factory  # noqa: F401
from sqlmodel import col, select

from backend.db import transaction
from backend.models import OutboxMessage
from backend.saga.relay import OutboxRelay


class BrokerDown:
    def publish(self, messages: Sequence[Any]) -> None:
        raise ConnectionError("the broker went away")

    def keepalive(self) -> None:
        pass

    def close(self) -> None:
        pass


class Recording(BrokerDown):
    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def publish(self, messages: Sequence[Any]) -> None:
        self.batches.append(sorted(m.args[0]["message_id"] for m in messages))


def _unsent(saga: SagaHarness) -> list[str]:
    with transaction(saga.ctx.engine) as session:
        rows = session.exec(
            select(OutboxMessage).where(col(OutboxMessage.published_at).is_(None))
        ).all()
    return sorted(row.message_id for row in rows)


def test_a_failed_publish_leaves_the_batch_unsent_and_the_next_claim_takes_it(
    saga: SagaHarness,
) -> None:
    for _ in range(3):
        saga.checkout(saga.held_booking())
    waiting = _unsent(saga)  # the holds' and the checkouts' events
    assert len(waiting) >= 3

    relay = OutboxRelay(saga.ctx)
    relay._publisher = BrokerDown()
    with pytest.raises(ConnectionError):
        relay.publish_pending()
    assert _unsent(saga) == waiting  # the marks rolled back with the failed publish

    recording = Recording()
    relay._publisher = recording
    assert relay.publish_pending() == len(waiting)
    assert _unsent(saga) == []
    assert relay.publish_pending() == 0  # nothing is published twice
    [batch] = recording.batches  # one batch, each row's messages once
    assert len(set(batch)) == len(batch) >= 3 and set(batch) <= set(waiting)
