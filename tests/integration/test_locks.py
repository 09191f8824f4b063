"""Lock semantics on both Redis adapters: the real server (full mode) and fakeredis[lua] (local)."""

from __future__ import annotations

import threading
import time

import pytest
import redis

from backend.context import Context
from backend.errors import Busy, SoldOut
from backend.locks import LockPolicy, RedisLocks


@pytest.fixture
def client(ctx: Context) -> redis.Redis:
    return ctx.redis


def test_non_owner_cannot_release(client: redis.Redis) -> None:
    locks = RedisLocks(client, LockPolicy())
    assert locks.try_acquire("k", "owner")
    assert not locks.release("k", "intruder")
    assert client.get("k") == "owner"
    assert locks.release("k", "owner")
    assert client.get("k") is None


def test_dead_holder_blocks_only_until_ttl(client: redis.Redis) -> None:
    locks = RedisLocks(client, LockPolicy(ttl_ms=300, max_wait_ms=2000))
    assert locks.try_acquire("room", "crashed-process")  # never released
    started = time.monotonic()
    with locks.hold_all(["room"]):
        waited = time.monotonic() - started
    assert 0.1 < waited < 1.5


def test_contended_lock_gives_up_with_busy(client: redis.Redis) -> None:
    locks = RedisLocks(client, LockPolicy(ttl_ms=10_000, max_wait_ms=150))
    assert locks.try_acquire("b", "someone")
    started = time.monotonic()
    with pytest.raises(Busy), locks.hold_all(["a", "b"]):
        pass
    assert time.monotonic() - started < 1
    assert client.get("a") is None  # a partial acquisition is rolled back


def test_hold_all_serializes_critical_sections(client: redis.Redis) -> None:
    locks = RedisLocks(client, LockPolicy(ttl_ms=5000, max_wait_ms=5000))
    inside, overlaps = [0], [0]
    guard = threading.Lock()

    def worker() -> None:
        with locks.hold_all(["n2", "n1"]):
            with guard:
                inside[0] += 1
                overlaps[0] = max(overlaps[0], inside[0])
            time.sleep(0.005)
            with guard:
                inside[0] -= 1

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps[0] == 1


def test_all_nights_are_taken_together_or_not_at_all(client: redis.Redis) -> None:
    locks = RedisLocks(client, LockPolicy(ttl_ms=4000))
    assert locks.try_acquire("night:2", "someone")
    assert not locks.try_acquire_all(["night:1", "night:2", "night:3"], "me")
    assert client.get("night:1") is None and client.get("night:3") is None
    assert locks.try_acquire_all(["night:1", "night:3"], "me")
    assert 0 < client.pttl("night:1") <= 4000 and client.get("night:3") == "me"
    # Release only deletes what still carries our token.
    assert locks.release_all(["night:1", "night:2", "night:3"], "me") == 2
    assert client.get("night:2") == "someone"


def test_give_up_ends_the_wait_before_busy(client: redis.Redis) -> None:
    locks = RedisLocks(client, LockPolicy(ttl_ms=10_000, max_wait_ms=5_000))
    assert locks.try_acquire("hot", "winner")
    checks = []

    def sold_out_meanwhile() -> None:
        checks.append(1)
        if len(checks) == 2:
            raise SoldOut("gone")

    started = time.monotonic()
    with pytest.raises(SoldOut), locks.hold_all(["hot"], give_up=sold_out_meanwhile):
        pass
    assert len(checks) == 2 and time.monotonic() - started < 1
    assert client.get("hot") == "winner"
