"""The floor benchmark sends exactly the messages one real saga sends (backend/saga/topology.py)."""

from __future__ import annotations

from collections import Counter

from bench.saga_floor import messages_by_queue, plan
from bench.saga_floor_actors import chain, orders_messages


def _actors(kind: str) -> list[str]:
    return [consumer.actor_name for consumer in chain(kind)]


def test_each_outcome_walks_the_real_topology() -> None:
    assert _actors("confirmed") == [
        "charge_order", "confirm_booking", "record_payment", "complete_order",
    ]  # fmt: skip
    assert _actors("failed") == ["charge_order", "record_payment"]
    assert _actors("refunded") == [
        "charge_order", "confirm_booking", "record_payment", "complete_order", "refund_order",
        "record_refund",
    ]  # fmt: skip


def test_every_chain_ends_on_the_orders_queue() -> None:
    # The orders worker alone decides when a chain is done: its last message must land there.
    for kind in ("confirmed", "failed", "refunded"):
        assert chain(kind)[-1].queue == "orders"
    assert [orders_messages(k) for k in ("confirmed", "failed", "refunded")] == [2, 1, 3]


def test_the_mix_matches_bench_saga() -> None:
    kinds = plan(1000, 0.20, 0.05)
    assert Counter(kinds) == {"confirmed": 760, "failed": 190, "refunded": 50}
    assert messages_by_queue(kinds) == {"payments": 1050, "inventory": 810, "orders": 1860}
