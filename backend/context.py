"""What every service, saga step and process role is given: its ports, built by the root.

`backend/bootstrap.py` (the composition root) picks one adapter per port from the settings; code
that receives a `Context` never asks which database, broker or index it talks to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import dramatiq
import redis
from sqlalchemy import Engine

from backend.locks import RedisLocks, ReplayGate
from backend.metrics import Metrics
from backend.models import utcnow
from backend.payments.gateway import PaymentGateway
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
from backend.settings import Settings
from backend.unit_of_work import PostCommit, UnitOfWork


@dataclass
class Context:
    settings: Settings
    engine: Engine
    sql: Statements  # lone statements on the request hot paths (token, room, hold, key)
    redis: redis.Redis
    locks: RedisLocks  # room-night locks
    key_locks: RedisLocks  # long-held locks (a QA scenario's run)
    replays: ReplayGate  # Idempotency-Keys' answers and locks
    search: SearchIndex  # the index behind its Redis cache (backend.search.cache)
    broker: dramatiq.Broker  # RabbitMQ (full) or StubBroker (local); actors bind in workers/
    gateway: PaymentGateway
    status_bus: StatusBus  # order status changes, for live pages
    metrics: Metrics  # counters shared by every process (Redis)
    stores: StoreFactory  # the database's stores, bound to a unit of work's session
    shortcuts: SagaShortcuts  # the saga's hottest transactions, one statement where possible
    holds: HoldWriter  # the hold's write: one statement where possible
    feed: ChangeFeed  # the search sync's view of hotel_changes: horizon, rebuild pages, locks
    notifications: Notifications  # LISTEN/NOTIFY where the database has it, nothing elsewhere
    hotel_loader: HotelLoader  # bulk writes for the seeder: COPY where the database has it
    clock: Callable[[], datetime] = field(default=utcnow)
    search_in_process: bool = False  # the index and the cache run in this process, no I/O

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.stores, self.post_commit)

    def post_commit(self) -> PostCommit:
        return PostCommit(self.redis, self.status_bus, self.metrics)

    def close(self) -> None:
        """Close the database connections (the engine's pool and the statements' own)."""
        self.sql.close()
        self.engine.dispose()
