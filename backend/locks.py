"""Redis locks per room type and night: SET NX PX with a random token, Lua compare-and-delete.

The locks only keep contending writers out of the database's way; the database CHECK constraint is
the fence that holds even when a lock expires mid-transaction (Kleppmann).
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import redis

from backend.errors import Busy

# Deletes the key only when it still holds our token, so a holder whose lock expired and was taken
# over by someone else cannot release the new owner's lock.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
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
        self._release = client.register_script(_RELEASE)

    def try_acquire(self, key: str, token: str) -> bool:
        return bool(self._redis.set(key, token, nx=True, px=self._policy.ttl_ms))

    def release(self, key: str, token: str) -> bool:
        return bool(self._release(keys=[key], args=[token]))

    @contextmanager
    def hold_all(self, keys: Sequence[str]) -> Iterator[float]:
        """Hold every key (sorted, so two callers never wait on each other in a cycle).

        Retries with exponential backoff and full jitter until `max_wait_ms`, then raises Busy.
        Yields the milliseconds spent waiting.
        """
        ordered = sorted(set(keys))
        token = secrets.token_hex(16)
        started = time.monotonic()
        deadline = started + self._policy.max_wait_ms / 1000
        attempt = 0
        while True:
            taken = self._take_in_order(ordered, token)
            if taken == len(ordered):
                break
            self._release_all(ordered[:taken], token)
            if time.monotonic() >= deadline:
                raise Busy("These dates are being booked by someone else right now; try again.")
            backoff = min(self._policy.max_backoff_ms, self._policy.base_backoff_ms * 2**attempt)
            time.sleep(
                min(random.uniform(0, backoff) / 1000, max(0.0, deadline - time.monotonic()))
            )
            attempt += 1
        try:
            yield (time.monotonic() - started) * 1000
        finally:
            self._release_all(ordered, token)

    def _take_in_order(self, keys: Sequence[str], token: str) -> int:
        for index, key in enumerate(keys):
            if not self.try_acquire(key, token):
                return index
        return len(keys)

    def _release_all(self, keys: Sequence[str], token: str) -> None:
        for key in keys:
            self.release(key, token)


def room_night_key(room_type_id: int, night: object) -> str:
    return f"lock:room_type:{room_type_id}:{night}"
