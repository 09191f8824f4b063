"""The composition root: the one place that picks adapters by settings.

Services receive a `Context` and never ask which mode they run in.
"""

from __future__ import annotations

from functools import lru_cache

import redis

from backend.context import Context
from backend.db import make_engine
from backend.locks import LockPolicy, RedisLocks
from backend.metrics import Metrics
from backend.payments.simulated import SimulatedGateway
from backend.saga.broker import build_broker
from backend.saga.status_bus import StatusBus
from backend.search.port import SearchIndex
from backend.settings import Mode, Settings, get_settings


def _redis_client(settings: Settings) -> redis.Redis:
    if settings.mode is Mode.FULL:
        assert settings.redis_url
        # Fail fast when Redis is down: callers answer 503 instead of hanging a request.
        return redis.Redis.from_url(
            settings.redis_url, decode_responses=True, socket_connect_timeout=1, socket_timeout=2
        )
    import fakeredis

    return fakeredis.FakeRedis(server=fakeredis.FakeServer(), decode_responses=True)


def _search_index(settings: Settings, client: redis.Redis) -> SearchIndex:
    from backend.search.cache import CachedSearch

    inner: SearchIndex
    if settings.mode is Mode.FULL:
        from backend.search.meili import MeiliIndex

        assert settings.meili_url
        inner = MeiliIndex(settings.meili_url, settings.meili_master_key, settings.search_index)
    else:
        from backend.search.embedded import EmbeddedIndex

        inner = EmbeddedIndex(settings.data_dir / f"search-{settings.search_index}.db")
    return CachedSearch(inner, client, settings.search_cache_ttl_seconds, settings.search_index)


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
        search=_search_index(settings, client),
        broker=build_broker(settings),
        gateway=SimulatedGateway(
            client,
            latency_ms=settings.gateway_latency_ms,
            failure_rate=settings.gateway_failure_rate,
        ),
        status_bus=StatusBus(client),
        metrics=Metrics(client),
    )


@lru_cache
def get_context() -> Context:
    """The process-wide context built from the environment (the web app and the CLI use this)."""
    return build_context(get_settings())
