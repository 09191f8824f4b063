"""Every knob Trinity reads from the environment, in one pydantic-settings object."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# A secret a test deployment marks as its own: test mode runs with it or the development one.
TEST_SECRET_PREFIX = "test-"


class Mode(StrEnum):
    LOCAL = "local"  # bundled: SQLite, fakeredis, StubBroker, embedded index
    FULL = "full"  # PostgreSQL, Redis, RabbitMQ, Meilisearch


class SearchEngine(StrEnum):
    EMBEDDED = "embedded"  # an SQLite FTS5 file beside the data (any database)
    MEILISEARCH = "meilisearch"


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


# Local mode's built-in values: public (they are in this file), so full mode refuses them.
DEV_SECRET_KEY = "local-development-secret-not-for-production"
DEV_ADMIN_PASSWORD = "admin-password"
MIN_SECRET_KEY_LENGTH = 32
MIN_ADMIN_PASSWORD_LENGTH = 12
PLACEHOLDER_MARK = "change-me"  # what .env.example's placeholders start with


class InsecureSettings(RuntimeError):
    """Full mode was asked to start with a public secret or password."""


def _is_public(value: str, built_in: str, min_length: int) -> bool:
    return value == built_in or PLACEHOLDER_MARK in value.lower() or len(value) < min_length


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    mode: Mode = Field(Mode.LOCAL, validation_alias=_env("TRINITY_MODE"))
    data_dir: Path = Field(Path(".data"), validation_alias=_env("TRINITY_DATA_DIR"))
    database_url: str | None = Field(None, validation_alias=_env("DATABASE_URL"))
    redis_url: str | None = Field(None, validation_alias=_env("REDIS_URL"))
    broker_url: str | None = Field(None, validation_alias=_env("BROKER_URL"))
    meili_url: str | None = Field(None, validation_alias=_env("MEILI_URL"))
    meili_master_key: str | None = Field(None, validation_alias=_env("MEILI_MASTER_KEY"))
    # The search engine is independent of the database: unset, the mode's own (full: Meilisearch).
    search_engine_choice: SearchEngine | None = Field(
        None, validation_alias=_env("TRINITY_SEARCH_ENGINE")
    )
    # Search: the index name (tests use their own), cache TTL (0 = off), sync worker pacing.
    search_index: str = Field("hotels", validation_alias=_env("TRINITY_SEARCH_INDEX"))
    search_cache_ttl_seconds: int = Field(30, validation_alias=_env("SEARCH_CACHE_TTL_SECONDS"))
    search_sync_poll_seconds: float = Field(0.2, validation_alias=_env("SEARCH_SYNC_POLL_SECONDS"))
    search_sync_batch: int = Field(1000, validation_alias=_env("SEARCH_SYNC_BATCH"))

    secret_key: str = Field(DEV_SECRET_KEY, validation_alias=_env("TRINITY_SECRET_KEY"))
    token_ttl_seconds: int = Field(7 * 24 * 3600, validation_alias=_env("TOKEN_TTL_SECONDS"))
    hold_ttl_seconds: int = Field(600, validation_alias=_env("HOLD_TTL_SECONDS"))
    sweep_interval_seconds: float = Field(5.0, validation_alias=_env("SWEEP_INTERVAL_SECONDS"))

    # Payment saga: queue-name prefix (tests and benchmarks use their own), relay polling fallback,
    # worker threads per process, and the simulated gateway's latency and transient failure rate.
    broker_queue_prefix: str = Field("", validation_alias=_env("BROKER_QUEUE_PREFIX"))
    relay_poll_seconds: float = Field(1.0, validation_alias=_env("RELAY_POLL_SECONDS"))
    worker_threads: int = Field(8, ge=1, validation_alias=_env("WORKER_THREADS"))
    gateway_latency_ms: float = Field(0.0, ge=0, validation_alias=_env("GATEWAY_LATENCY_MS"))
    gateway_failure_rate: float = Field(
        0.0, ge=0, le=1, validation_alias=_env("GATEWAY_FAILURE_RATE")
    )
    # An order with no progress for this long in pending/paid is settled by the sweeper.
    order_deadline_seconds: int = Field(300, ge=1, validation_alias=_env("ORDER_DEADLINE_SECONDS"))

    # Room-night locks: a lock outlives a slow transaction, and a waiter gives up after max_wait.
    lock_ttl_ms: int = Field(5000, validation_alias=_env("LOCK_TTL_MS"))
    lock_max_wait_ms: int = Field(3000, validation_alias=_env("LOCK_MAX_WAIT_MS"))
    lock_base_backoff_ms: float = Field(2.0, validation_alias=_env("LOCK_BASE_BACKOFF_MS"))

    # Login: failures per client address and account (another address cannot lock the owner out),
    # attempts per client address, in one window; registrations per client address per hour.
    login_max_failures: int = Field(5, validation_alias=_env("LOGIN_MAX_FAILURES"))
    login_window_seconds: int = Field(300, validation_alias=_env("LOGIN_WINDOW_SECONDS"))
    login_client_max_attempts: int = Field(
        60, ge=1, validation_alias=_env("LOGIN_CLIENT_MAX_ATTEMPTS")
    )
    register_client_max: int = Field(20, ge=1, validation_alias=_env("REGISTER_CLIENT_MAX"))
    register_window_seconds: int = Field(3600, validation_alias=_env("REGISTER_WINDOW_SECONDS"))
    # Reverse proxies in front of the app whose X-Forwarded-For is believed (0: the TCP peer).
    trusted_proxy_hops: int = Field(0, ge=0, validation_alias=_env("TRINITY_TRUSTED_PROXY_HOPS"))
    # Browser origins besides the app's own that may call it (with credentials) and open its
    # websocket, comma-separated; behind a proxy that rewrites Host, the app's public origin.
    cors_origins_setting: str = Field("", validation_alias=_env("TRINITY_CORS_ORIGINS"))
    # /api/metrics answers an admin's token, or this one (a scraper's `Authorization: Bearer`).
    metrics_token: str | None = Field(None, validation_alias=_env("TRINITY_METRICS_TOKEN"))
    # How long /api/metrics serves its database gauges (table counts) from memory.
    metrics_cache_seconds: float = Field(10.0, ge=0, validation_alias=_env("METRICS_CACHE_SECONDS"))

    admin_email: str = Field("admin@example.com", validation_alias=_env("TRINITY_ADMIN_EMAIL"))
    admin_password: str = Field(DEV_ADMIN_PASSWORD, validation_alias=_env("TRINITY_ADMIN_PASSWORD"))
    demo_hotels: int = Field(10_000, validation_alias=_env("TRINITY_DEMO_HOTELS"))

    # QA's test mode (backend/clock.py, backend/scenarios/): a settable clock and /api/test/*.
    test_mode: bool = Field(False, validation_alias=_env("TRINITY_TEST_MODE"))
    test_mode_allow_full: bool = Field(False, validation_alias=_env("TRINITY_TEST_MODE_ALLOW_FULL"))

    @model_validator(mode="after")
    def _test_mode_only_where_safe(self) -> Settings:
        """Test mode moves time and builds accounts with known passwords: never in production."""
        if not self.test_mode:
            return self
        development = type(self).model_fields["secret_key"].default
        if self.secret_key != development and not self.secret_key.startswith(TEST_SECRET_PREFIX):
            raise ValueError(
                "TRINITY_TEST_MODE=1 is refused with a production TRINITY_SECRET_KEY: use the "
                f"development secret or one starting with {TEST_SECRET_PREFIX!r}."
            )
        if self.mode is Mode.FULL and not self.test_mode_allow_full:
            raise ValueError(
                "TRINITY_TEST_MODE=1 with TRINITY_MODE=full needs TRINITY_TEST_MODE_ALLOW_FULL=1 "
                "(a full deployment in test mode is a staging one: say so explicitly)."
            )
        return self

    @field_validator("database_url")
    @classmethod
    def _psycopg3_driver(cls, url: str | None) -> str | None:
        """Accept plain postgres URLs (as docker and libpq write them) but always drive psycopg 3."""
        if url is None:
            return None
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    @property
    def sqlalchemy_url(self) -> str:
        # Local mode is bundled by definition: a DATABASE_URL left in the shell must not leak in.
        if self.mode is Mode.FULL and self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'trinity.db'}"

    @property
    def cors_origins(self) -> tuple[str, ...]:
        origins = (origin.strip().rstrip("/") for origin in self.cors_origins_setting.split(","))
        return tuple(origin for origin in origins if origin)

    @property
    def runs_roles_in_process(self) -> bool:
        """Local mode's web app runs the relay, workers, sweeper and sync in its own threads."""
        return self.mode is Mode.LOCAL

    @property
    def search_engine(self) -> SearchEngine:
        if self.search_engine_choice is not None:
            return self.search_engine_choice
        return SearchEngine.MEILISEARCH if self.mode is Mode.FULL else SearchEngine.EMBEDDED

    def require_servers(self) -> None:
        """Full mode must name every server; a missing URL is a start-up error, not a late 500."""
        if self.mode is Mode.FULL:
            missing = [
                name
                for name, value in {
                    "DATABASE_URL": self.database_url,
                    "REDIS_URL": self.redis_url,
                    "BROKER_URL": self.broker_url,
                    "MEILI_URL": self.meili_url or self.search_engine is SearchEngine.EMBEDDED,
                }.items()
                if not value
            ]
            if missing:
                raise RuntimeError(f"TRINITY_MODE=full needs {', '.join(missing)}")

    def require_secrets(self) -> None:
        """Full mode serves real guests: a token signed with a public key is admin on the app, so
        an unset, built-in or placeholder secret or admin password is a start-up error."""
        if self.mode is not Mode.FULL:
            return
        problems = []
        if _is_public(self.secret_key, DEV_SECRET_KEY, MIN_SECRET_KEY_LENGTH):
            problems.append(
                f"TRINITY_SECRET_KEY must be a random string of at least {MIN_SECRET_KEY_LENGTH} "
                "characters (e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
            )
        if _is_public(self.admin_password, DEV_ADMIN_PASSWORD, MIN_ADMIN_PASSWORD_LENGTH):
            problems.append(
                f"TRINITY_ADMIN_PASSWORD must be a password of your own of at least "
                f"{MIN_ADMIN_PASSWORD_LENGTH} characters"
            )
        if problems:
            raise InsecureSettings(
                "TRINITY_MODE=full refuses to start with a built-in or placeholder secret: "
                + "; ".join(problems)
                + "."
            )


@lru_cache
def get_settings() -> Settings:
    return Settings()
