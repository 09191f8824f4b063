"""The search engine is independent of the database: PostgreSQL with the embedded index.

Full mode defaults to Meilisearch, but TRINITY_SEARCH_ENGINE=embedded keeps an SQLite FTS5 file
beside the data (backend/settings.py). Then no MEILI_URL is needed, the context's index is the
embedded one behind the Redis cache, and hotels written to PostgreSQL reach it through the sync.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from factories import stay
from modes import MODES, full_settings, reset_full
from search_fixtures import eventually, running_sync

from backend.adapters.postgres import PostgresShortcuts, postgres_stores
from backend.bootstrap import build_context
from backend.context import Context
from backend.search.cache import CachedSearch
from backend.search.embedded import EmbeddedIndex
from backend.search.rebuilds import reindex
from backend.services.hotels import RoomTypeSpec, create_hotel
from backend.services.search import SearchRequest, search_hotels
from backend.settings import Mode, SearchEngine, Settings

pytestmark = pytest.mark.skipif(
    "full" not in MODES, reason="full mode deselected by TRINITY_TEST_MODES"
)


@pytest.fixture
def embedded_env(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """The environment of a full-mode deployment that chose the embedded index: the servers'
    URLs (this session's database and Redis database), TRINITY_SEARCH_ENGINE=embedded, and no
    MEILI_URL at all. Yields the data directory."""
    redis_url = full_settings(postgres_url).redis_url
    assert redis_url
    monkeypatch.setenv("TRINITY_MODE", "full")
    monkeypatch.setenv("TRINITY_SEARCH_ENGINE", "embedded")
    monkeypatch.setenv("TRINITY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TRINITY_SEARCH_INDEX", f"combo_{uuid.uuid4().hex[:12]}")
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.delenv("MEILI_URL", raising=False)
    monkeypatch.delenv("MEILI_MASTER_KEY", raising=False)
    if not Settings().broker_url:
        pytest.fail("Full-mode tests need BROKER_URL (run `make test`, which starts the servers).")
    yield tmp_path


def test_the_embedded_index_needs_no_meili_url(embedded_env: Path) -> None:
    settings = Settings()
    assert settings.mode is Mode.FULL
    assert settings.search_engine_choice is SearchEngine.EMBEDDED
    assert settings.search_engine is SearchEngine.EMBEDDED
    assert settings.meili_url is None
    assert settings.data_dir == embedded_env
    settings.require_servers()  # no error: MEILI_URL is not asked for
    explicit = Settings(
        mode=Mode.FULL, search_engine_choice=SearchEngine.EMBEDDED, data_dir=embedded_env
    )
    assert explicit.search_engine is SearchEngine.EMBEDDED
    explicit.require_servers()


def test_without_the_embedded_choice_full_mode_asks_for_meili_url(
    embedded_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRINITY_SEARCH_ENGINE")
    settings = Settings()
    assert settings.search_engine is SearchEngine.MEILISEARCH
    with pytest.raises(RuntimeError, match=r"needs MEILI_URL$"):
        settings.require_servers()
    with pytest.raises(RuntimeError, match=r"needs MEILI_URL$"):
        build_context(settings)


def test_the_embedded_choice_still_asks_for_the_other_servers(
    embedded_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BROKER_URL", raising=False)
    with pytest.raises(RuntimeError) as raised:
        Settings().require_servers()
    assert str(raised.value) == "TRINITY_MODE=full needs BROKER_URL"


@pytest.fixture
def embedded_ctx(embedded_env: Path) -> Iterator[Context]:
    context = build_context(Settings())
    reset_full(context)
    try:
        yield context
    finally:
        context.search.drop()
        context.close()
        context.redis.close()


def test_the_context_pairs_postgres_with_the_embedded_index(
    embedded_ctx: Context, embedded_env: Path
) -> None:
    ctx = embedded_ctx
    assert ctx.engine.dialect.name == "postgresql"
    assert ctx.stores is postgres_stores
    assert isinstance(ctx.shortcuts, PostgresShortcuts)
    assert isinstance(ctx.search, CachedSearch)
    assert isinstance(ctx.search.inner, EmbeddedIndex)
    assert ctx.search.inner.path == embedded_env / f"search-{ctx.settings.search_index}.db"
    assert ctx.search.ttl == ctx.settings.search_cache_ttl_seconds > 0
    assert ctx.search_in_process is False  # Redis (the cache) is a server in full mode


def _hotel(ctx: Context, name: str, city: str, price: str) -> int:
    view = create_hotel(
        ctx,
        {
            "name": name, "city": city, "country": "PT", "lat": 41.15, "lng": -8.61,
            "rating": 4.6, "amenities": ["wifi", "terrace"], "description": "Tiles and river.",
            "currency": "EUR",
        },
        [RoomTypeSpec(name="Double", capacity=2, rooms=2, price=Decimal(price))],
    )  # fmt: skip
    return view.hotel.id or 0


def _found(ctx: Context, q: str) -> list[int]:
    return [hit.id for hit in search_hotels(ctx, SearchRequest(q=q)).hits]


def test_a_hotel_created_on_postgres_is_found_through_the_embedded_index(
    embedded_ctx: Context,
) -> None:
    ctx = embedded_ctx
    ctx.search.ensure_ready()
    assert _found(ctx, "azulejo") == []  # and that empty answer is now in the cache
    first = _hotel(ctx, "Casa do Azulejo", "Porto", "95.00")
    assert _found(ctx, "azulejo") == []  # nothing reaches the index but the sync
    with running_sync(ctx):
        eventually(lambda: _found(ctx, "azulejo") == [first], within=10)
        second = _hotel(ctx, "Azulejo Novo", "Braga", "70.50")  # while the worker listens
        eventually(lambda: sorted(_found(ctx, "azulejo")) == sorted([first, second]), within=10)
    assert ctx.search.inner.count() == 2  # type: ignore[attr-defined]
    assert ctx.search.stats()["version"] >= 1  # type: ignore[attr-defined]
    page = search_hotels(ctx, SearchRequest(q="porto"))
    assert [(h.id, h.name, h.city, h.price, h.currency) for h in page.hits] == [
        (first, "Casa do Azulejo", "Porto", Decimal("95.00"), "EUR")
    ]
    check_in, check_out = stay()  # with dates: the index narrows, PostgreSQL prices the stay
    dated = search_hotels(
        ctx, SearchRequest(q="azulejo", check_in=check_in, check_out=check_out, guests=2)
    )
    assert sorted((h.id, h.price) for h in dated.hits) == sorted(
        [(first, Decimal("95.00")), (second, Decimal("70.50"))]
    )
    # A rebuild reads PostgreSQL-built NDJSON pages (backend/search/documents.py): the embedded
    # index takes them too.
    assert reindex(ctx, lambda n: None) == 2
    assert ctx.search.inner.count() == 2  # type: ignore[attr-defined]
    assert sorted(_found(ctx, "azulejo")) == sorted([first, second])
    assert _found(ctx, "braga") == [second]
