"""The saga topology names every consumer; the steps get their ids from the same rule."""

from __future__ import annotations

from backend.saga.topology import CONSUMERS, QUEUES


def test_every_step_is_handed_the_consumer_id_the_topology_names() -> None:
    for consumer in CONSUMERS:
        assert consumer.queue in QUEUES
        assert consumer.handler.consumer_id == consumer.id  # type: ignore[attr-defined]
        assert consumer.id == f"{consumer.queue}.{consumer.actor_name}"


def test_consumer_ids_are_unique() -> None:
    ids = [consumer.id for consumer in CONSUMERS]
    assert len(ids) == len(set(ids)) == 7
