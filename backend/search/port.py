"""The search index port: what services ask of a search engine, whichever engine it is.

Documents are derived from the database (hotels + their room types) and are idempotent to write:
upserting the same hotel twice leaves one document, so the sync worker can replay safely.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol, overload

from backend.currency import index_euros

if TYPE_CHECKING:
    from backend.search.grid import Grid


class Sort(StrEnum):
    RELEVANCE = "relevance"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    RATING_DESC = "rating_desc"


class PriceMatch(StrEnum):
    """How a price range meets a hotel's room prices."""

    LOWEST = "lowest"  # the hotel's lowest nightly price lies in the range
    ANY_ROOM = "any_room"  # some room type could lie in it (a loose pre-filter; the DB decides)

    def bound_fields(self) -> tuple[str, str]:
        """The HotelDoc fields that min_price and max_price are compared with (>= and <=)."""
        if self is PriceMatch.LOWEST:
            return "price_min_eur", "price_min_eur"
        return "price_max_eur", "price_min_eur"  # the hotel's price range overlaps the budget


@dataclass(frozen=True)
class BoundingBox:
    """A map viewport, edges included. Never crosses the antimeridian (sw_lng <= ne_lng)."""

    ne_lat: float
    ne_lng: float
    sw_lat: float
    sw_lng: float

    def contains(self, lat: float, lng: float) -> bool:
        return self.sw_lat <= lat <= self.ne_lat and self.sw_lng <= lng <= self.ne_lng


WORLD = BoundingBox(ne_lat=90, ne_lng=180, sw_lat=-90, sw_lng=-180)


@dataclass(frozen=True)
class SearchQuery:
    bbox: BoundingBox | None = None
    text: str = ""
    min_price: float | None = None  # in euros, as the index's price_*_eur fields
    max_price: float | None = None
    price_match: PriceMatch = PriceMatch.LOWEST
    amenities: tuple[str, ...] = ()  # lower case; a hit has all of them
    min_capacity: int | None = None  # some room type sleeps at least this many
    sort: Sort = Sort.RELEVANCE
    limit: int = 20
    offset: int = 0


@dataclass(frozen=True)
class HotelDoc:
    """One hotel as the index stores it; prices are the range over its room types."""

    id: int
    name: str
    city: str
    country: str
    lat: float
    lng: float
    rating: float
    amenities: list[str]
    description: str
    currency: str
    price_min: float
    price_max: float
    max_capacity: int
    # The same range in euros (backend/currency.py): what price filters and sorts compare, so
    # hotels of different currencies meet on one scale. Always derived (never passed), so a
    # `replace(doc, price_min=...)` cannot leave them stale; None for an unknown currency.
    price_min_eur: float | None = field(init=False)
    price_max_eur: float | None = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "price_min_eur", index_euros(self.price_min, self.currency))
        object.__setattr__(self, "price_max_eur", index_euros(self.price_max, self.currency))

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> HotelDoc:
        """A document from a stored copy of its fields (derived ones and unknown keys dropped)."""
        return cls(**{k: v for k, v in fields.items() if k in _INIT_FIELDS})


_INIT_FIELDS = frozenset(f.name for f in fields(HotelDoc) if f.init)


class EncodedBatch(Sequence[HotelDoc]):
    """Documents already encoded as NDJSON, one HotelDoc's fields a line (PostgreSQL builds them
    for a rebuild: backend/search/documents.py). The Meilisearch adapter sends the text as it is;
    any other engine reads HotelDocs from it."""

    def __init__(self, ndjson: str, size: int) -> None:
        self.ndjson = ndjson
        self.size = size

    def __len__(self) -> int:
        return self.size

    @overload
    def __getitem__(self, index: int) -> HotelDoc: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[HotelDoc]: ...

    def __getitem__(self, index: int | slice) -> HotelDoc | Sequence[HotelDoc]:
        return self.docs[index]

    @cached_property
    def docs(self) -> list[HotelDoc]:
        return [HotelDoc.from_fields(json.loads(line)) for line in self.ndjson.split("\n")]


# Engines count hits exhaustively up to this many (Meilisearch's maxTotalHits); above it a
# result says total == TOTAL_CAP, exact False. Counting every hit of a region-sized viewport at 1M
# hotels costs more than finding the page.
TOTAL_CAP = 1000


@dataclass(frozen=True)
class AreaCount:
    """How many hits an area holds (capped at TOTAL_CAP, like a search's total) and where they
    lie: the mean position of the hits the engine looked at (every hit below the cap)."""

    count: int
    exact: bool
    lat: float = 0.0
    lng: float = 0.0

    @classmethod
    def of(cls, points: Iterable[tuple[float, float]], count: int, exact: bool) -> AreaCount:
        """From (lat, lng) points: the area's hits, or a sample of them when there are many."""
        listed = list(points)
        if not listed or count == 0:
            return cls(count=0, exact=True)
        lat = sum(p[0] for p in listed) / len(listed)
        lng = sum(p[1] for p in listed) / len(listed)
        return cls(count=count, exact=exact, lat=lat, lng=lng)


@dataclass
class SearchResult:
    hits: list[HotelDoc]
    total: int  # min(hits, TOTAL_CAP)
    exact: bool = True  # total < TOTAL_CAP: the count was not capped


Progress = Callable[[int], None]


class SearchIndex(Protocol):
    """A search engine holding HotelDocs. Writes return once the engine has applied them."""

    def search(self, query: SearchQuery) -> SearchResult: ...

    def count_areas(self, query: SearchQuery, grid: Grid) -> list[AreaCount]:
        """The query's hits in each cell of `grid` (the query's own bbox is replaced), one
        AreaCount per cell in `grid.boxes()` order: the map's clusters."""
        ...

    def upsert(self, docs: Sequence[HotelDoc]) -> None: ...

    def delete(self, ids: Sequence[int]) -> None: ...

    def rebuild(self, batches: Iterable[Sequence[HotelDoc]], progress: Progress) -> int:
        """Fill a fresh index from `batches`, then swap it in; searches keep working meanwhile."""
        ...

    def ensure_ready(self) -> None:
        """Create the index and apply its settings (idempotent)."""
        ...

    def count(self) -> int: ...

    def ping(self) -> None: ...

    def drop(self) -> None:
        """Delete the index entirely (tests and a forced reset)."""
        ...
