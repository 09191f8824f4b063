"""The composition root: the one place that picks adapters by settings.

Services receive a `Context` and never ask which mode they run in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

import redis
from sqlalchemy import Engine

from backend.db import make_engine
from backend.locks import LockPolicy, RedisLocks
from backend.models import utcnow
from backend.settings import Mode, Settings, get_settings


@dataclass
class Context:
    settings: Settings
    engine: Engine
    redis: redis.Redis
    locks: RedisLocks
    clock: Callable[[], datetime] = field(default=utcnow)


def _redis_client(settings: Settings) -> redis.Redis:
    if settings.mode is Mode.FULL:
        assert settings.redis_url
        # Fail fast when Redis is down: callers answer 503 instead of hanging a request.
        return redis.Redis.from_url(
            settings.redis_url, decode_responses=True, socket_connect_timeout=1, socket_timeout=2
        )
    import fakeredis

    return fakeredis.FakeRedis(server=fakeredis.FakeServer(), decode_responses=True)


def build_context(settings: Settings) -> Context:
    settings.require_servers()
    client = _redis_client(settings)
    policy = LockPolicy(
        ttl_ms=settings.lock_ttl_ms,
        max_wait_ms=settings.lock_max_wait_ms,
        base_backoff_ms=settings.lock_base_backoff_ms,
    )
    return Context(
        settings=settings,
        engine=make_engine(settings.sqlalchemy_url),
        redis=client,
        locks=RedisLocks(client, policy),
    )


@lru_cache
def get_context() -> Context:
    """The process-wide context built from the environment (the web app and the CLI use this)."""
    return build_context(get_settings())
