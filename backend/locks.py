"""Redis locks per room type and night: SET NX PX with a random token, Lua compare-and-delete.

A hold locks all its nights in one round trip: a Lua script SETs every key NX or none, so a caller
never holds a partial set and never has to roll one back. The locks only keep contending writers
out of the database's way; the database CHECK constraint is the fence that holds even when a lock
expires mid-transaction (Kleppmann).
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import redis

from backend.errors import Busy

# Deletes each key only when it still holds our token, so a holder whose lock expired and was
# taken over by someone else cannot release the new owner's lock.
_RELEASE = """
local released = 0
for _, key in ipairs(KEYS) do
    if redis.call('get', key) == ARGV[1] then
        released = released + redis.call('del', key)
    end
end
return released
"""

# All or nothing: if any key is taken nothing is set, so the caller simply retries later.
_ACQUIRE_ALL = """
for _, key in ipairs(KEYS) do
    if redis.call('exists', key) == 1 then
        return 0
    end
end
for _, key in ipairs(KEYS) do
    redis.call('set', key, ARGV[1], 'PX', ARGV[2])
end
return 1
"""


@dataclass(frozen=True)
class LockPolicy:
    ttl_ms: int = 5000
    max_wait_ms: int = 3000
    base_backoff_ms: float = 2.0
    max_backoff_ms: float = 100.0


class RedisLocks:
    def __init__(self, client: redis.Redis, policy: LockPolicy) -> None:
        self._redis = client
        self._policy = policy
        self._acquire_all = client.register_script(_ACQUIRE_ALL)
        self._release = client.register_script(_RELEASE)

    def try_acquire(self, key: str, token: str) -> bool:
        return self.try_acquire_all([key], token)

    def try_acquire_all(self, keys: Sequence[str], token: str) -> bool:
        return bool(self._acquire_all(keys=list(keys), args=[token, self._policy.ttl_ms]))

    def release(self, key: str, token: str) -> bool:
        return self.release_all([key], token) == 1

    def release_all(self, keys: Sequence[str], token: str) -> int:
        return int(self._release(keys=list(keys), args=[token]))

    @contextmanager
    def hold_all(
        self, keys: Sequence[str], give_up: Callable[[], None] | None = None
    ) -> Iterator[float]:
        """Hold every key (sorted, as a fixed order for readers of the key space).

        Retries with exponential backoff and full jitter until `max_wait_ms`, then raises Busy.
        `give_up` runs before each retry and may raise to stop waiting for a lost cause (a room
        sold out meanwhile). Yields the milliseconds spent waiting.
        """
        ordered = sorted(set(keys))
        token = secrets.token_hex(16)
        started = time.monotonic()
        deadline = started + self._policy.max_wait_ms / 1000
        attempt = 0
        while not self.try_acquire_all(ordered, token):
            if time.monotonic() >= deadline:
                raise Busy("These dates are being booked by someone else right now; try again.")
            _pause(self._policy, attempt, deadline)
            attempt += 1
            if give_up is not None:
                give_up()
        try:
            yield (time.monotonic() - started) * 1000
        finally:
            self.release_all(ordered, token)


def _pause(policy: LockPolicy, attempt: int, deadline: float) -> None:
    """Exponential backoff with full jitter, never past `deadline` (a monotonic time)."""
    backoff = min(policy.max_backoff_ms, policy.base_backoff_ms * 2**attempt)
    time.sleep(min(random.uniform(0, backoff) / 1000, max(0.0, deadline - time.monotonic())))


def room_night_key(room_type_id: int, night: object) -> str:
    # The hash tag keeps one room type's nights in one Redis Cluster slot, as one script needs.
    return f"lock:{{room_type:{room_type_id}}}:{night}"


# One Idempotency-Key: the answer stored for it, else its lock, in one round trip.
_CLAIM = """
local answer = redis.call('get', KEYS[1])
if answer then
    return {0, answer}
end
if redis.call('set', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then
    return {1, ''}
end
return {2, ''}
"""

# Store the answer (when there is one) and let go of the key's lock if it is still ours.
_SETTLE = """
if ARGV[2] ~= '' then
    redis.call('set', KEYS[1], ARGV[2], 'EX', ARGV[3])
end
if redis.call('get', KEYS[2]) == ARGV[1] then
    redis.call('del', KEYS[2])
end
return 1
"""


@dataclass(frozen=True)
class Claim:
    """A key's stored answer (a replay), or the token of the lock that lets the caller answer."""

    answer: str | None = None
    token: str | None = None


class ReplayGate:
    """Idempotency-Keys in Redis: a key's answer and the lock of its first request, side by side
    (one hash tag, so one Cluster slot). `claim` reads the answer or takes the lock in one script,
    and a waiter's every retry reads the answer again; `settle` stores it and unlocks in another."""

    def __init__(self, client: redis.Redis, policy: LockPolicy, retention_s: int) -> None:
        self._policy = policy
        self._retention_s = retention_s
        self._claim = client.register_script(_CLAIM)
        self._settle = client.register_script(_SETTLE)

    @staticmethod
    def _keys(name: str) -> list[str]:
        return [f"idempotency:{{{name}}}:answer", f"idempotency:{{{name}}}:lock"]

    def claim(self, name: str) -> Claim:
        """The stored answer, or the key's lock; waits (backoff with jitter) while another request
        of the same key is answering, then raises Busy after `max_wait_ms`."""
        token = secrets.token_hex(16)
        deadline = time.monotonic() + self._policy.max_wait_ms / 1000
        attempt = 0
        while True:
            outcome, answer = self._claim(keys=self._keys(name), args=[token, self._policy.ttl_ms])
            if int(outcome) == 0:
                return Claim(answer=answer)  # the app's clients decode responses to str
            if int(outcome) == 1:
                return Claim(token=token)
            if time.monotonic() >= deadline:
                raise Busy("This request is still being answered; try again in a moment.")
            _pause(self._policy, attempt, deadline)
            attempt += 1

    def settle(self, name: str, token: str, answer: str | None) -> None:
        """Store `answer` (None: nothing to replay, the action failed) and release the lock."""
        self._settle(keys=self._keys(name), args=[token, answer or "", self._retention_s])
