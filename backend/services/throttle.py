"""Attempt counters in Redis, counted before the work they guard.

One Lua script increments every counter of an attempt (and starts its window) in one atomic step,
so N concurrent attempts see N distinct counts: at most `max_attempts` of them get through, however
many arrive at once. A check-then-increment would let them all pass the check first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import redis

from backend.errors import TooManyAttempts

_COUNT = """
local counts = {}
for i, key in ipairs(KEYS) do
    local count = redis.call('incr', key)
    if count == 1 then
        redis.call('expire', key, ARGV[1])
    end
    counts[i] = count
end
return counts
"""


@dataclass(frozen=True)
class Limit:
    key: str
    max_attempts: int
    message: str  # what the caller is told when this counter is over


def count_attempt(client: redis.Redis, limits: Sequence[Limit], window_seconds: int) -> None:
    """One more attempt on every counter; TooManyAttempts if any of them is now over its limit."""
    script = client.register_script(_COUNT)
    counts = script(keys=[limit.key for limit in limits], args=[window_seconds])
    for limit, count in zip(limits, counts, strict=True):
        if int(count) > limit.max_attempts:
            raise TooManyAttempts(limit.message)


def forget(client: redis.Redis, limit: Limit) -> None:
    client.delete(limit.key)


def client_address(peer: str | None, forwarded_for: str, trusted_proxy_hops: int) -> str:
    """Who is asking: the TCP peer, or with N trusted reverse proxies in front, the address the
    N-th proxy from us saw (X-Forwarded-For is the client's own to write, so never by default).
    The same rule as Reflex's `trusted_proxy_hops` for the page's websocket."""
    if trusted_proxy_hops > 0:
        hops = [ip.strip() for ip in forwarded_for.split(",") if ip.strip()]
        if len(hops) >= trusted_proxy_hops:
            return hops[-trusted_proxy_hops]
    return peer or "unknown"
