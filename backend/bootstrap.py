"""The composition root: the one place that picks adapters by settings.

Services receive a `Context` and never ask which mode they run in.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import dramatiq
import redis
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import Engine

from backend.clock import ServerClock
from backend.context import Context
from backend.db import make_engine
from backend.locks import LockPolicy, RedisLocks, ReplayGate
from backend.metrics import Metrics
from backend.models import utcnow
from backend.payments.simulated import SimulatedGateway
from backend.ports import (
    ChangeFeed,
    HoldWriter,
    HotelLoader,
    Notifications,
    SagaShortcuts,
    Statements,
    StoreFactory,
)
from backend.saga.status_bus import StatusBus
from backend.search.port import SearchIndex
from backend.services.idempotency import RETENTION as IDEMPOTENCY_RETENTION
from backend.settings import Mode, SearchEngine, Settings, get_settings


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
    if settings.search_engine is SearchEngine.MEILISEARCH:
        from backend.search.meili import MeiliIndex

        assert settings.meili_url
        inner = MeiliIndex(settings.meili_url, settings.meili_master_key, settings.search_index)
    else:
        from backend.search.embedded import EmbeddedIndex

        inner = EmbeddedIndex(settings.data_dir / f"search-{settings.search_index}.db")
    return CachedSearch(inner, client, settings.search_cache_ttl_seconds, settings.search_index)


def build_broker(settings: Settings) -> dramatiq.Broker:
    """RabbitMQ (`amqp://`, publisher confirms on, so a message the relay marks sent is really on
    the broker), dramatiq's Redis broker (`redis://`, for the benchmark's comparison), or, in local
    mode, dramatiq's StubBroker consumed by an in-process Worker. Nothing connects yet."""
    if settings.mode is Mode.LOCAL:
        return StubBroker()
    url = settings.broker_url or ""
    if url.startswith(("redis://", "rediss://", "unix://")):
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(url=url)
    from dramatiq.brokers.rabbitmq import RabbitmqBroker

    return RabbitmqBroker(url=url, confirm_delivery=True)


@dataclass(frozen=True)
class _Database:
    """The ports one database serves."""

    stores: StoreFactory
    statements: Statements
    shortcuts: SagaShortcuts
    holds: HoldWriter
    feed: ChangeFeed
    notifications: Notifications
    hotel_loader: HotelLoader


def _database(engine: Engine) -> _Database:
    if engine.dialect.name == "postgresql":
        from backend.adapters.postgres import (
            PostgresFeed,
            PostgresHolds,
            PostgresHotelLoader,
            PostgresNotifications,
            PostgresShortcuts,
            PostgresStatements,
            postgres_stores,
        )

        statements = PostgresStatements(engine)
        return _Database(
            postgres_stores,
            statements,
            PostgresShortcuts(engine),
            PostgresHolds(statements),
            PostgresFeed(engine),
            PostgresNotifications(engine),
            PostgresHotelLoader(engine),
        )
    from backend.adapters.sqlite import (
        SqliteFeed,
        SqliteHolds,
        SqliteHotelLoader,
        SqliteNotifications,
        SqliteShortcuts,
        SqliteStatements,
        sqlite_stores,
    )

    return _Database(
        sqlite_stores,
        SqliteStatements(engine),
        SqliteShortcuts(engine),
        SqliteHolds(engine),
        SqliteFeed(engine),
        SqliteNotifications(),
        SqliteHotelLoader(engine),
    )


def hotel_loader(engine: Engine) -> HotelLoader:
    """The bulk loader for an engine without a whole context (the benchmarks' fresh databases)."""
    return _database(engine).hotel_loader


def build_context(settings: Settings) -> Context:
    settings.require_servers()
    client = _redis_client(settings)
    policy = LockPolicy(
        ttl_ms=settings.lock_ttl_ms,
        max_wait_ms=settings.lock_max_wait_ms,
        base_backoff_ms=settings.lock_base_backoff_ms,
    )
    # A keyed action itself may wait on room locks, so a key's lock outlives theirs.
    long_locks = LockPolicy(ttl_ms=30_000, max_wait_ms=30_000)
    engine = make_engine(settings.sqlalchemy_url)
    database = _database(engine)
    return Context(
        settings=settings,
        engine=engine,
        sql=database.statements,
        stores=database.stores,
        shortcuts=database.shortcuts,
        holds=database.holds,
        feed=database.feed,
        notifications=database.notifications,
        hotel_loader=database.hotel_loader,
        redis=client,
        locks=RedisLocks(client, policy),
        key_locks=RedisLocks(client, long_locks),
        replays=ReplayGate(
            client,
            long_locks,
            retention_s=int(IDEMPOTENCY_RETENTION.total_seconds()),
        ),
        search=_search_index(settings, client),
        broker=build_broker(settings),
        gateway=SimulatedGateway(
            client,
            latency_ms=settings.gateway_latency_ms,
            failure_rate=settings.gateway_failure_rate,
        ),
        status_bus=StatusBus(client),
        metrics=Metrics(client),
        # Test mode's clock QA can move, shared by every process through Redis (backend/clock.py).
        clock=ServerClock(client) if settings.test_mode else utcnow,
        # The embedded index and fakeredis answer without I/O to wait on (see api/routes/search).
        search_in_process=(
            settings.search_engine is SearchEngine.EMBEDDED and settings.mode is Mode.LOCAL
        ),
    )


@lru_cache
def get_context() -> Context:
    """The process-wide context built from the environment (the web app and the CLI use this):
    the one way a server starts, so the place that refuses public secrets in full mode."""
    settings = get_settings()
    settings.require_secrets()
    return build_context(settings)
