"""Flow 2, map search: validate, ask the index, then (with dates or guests) the database.

Without dates and guests the index answers alone: its documents carry each hotel's lowest nightly
price, and `total` is the index's own count. With dates or guests, the index only narrows by place,
text, amenities and a loose price/capacity test; one batched query then computes, for every
candidate, the lowest price among room types that fit the party and are free for every night.
Candidates are taken whole (up to CANDIDATE_CAP) so `total` and the pages are counted after that
filter, never before it (docs/search.md).

Asked for `clusters` (a grid's columns), a page that does not hold every hit also says how many
hits each cell of the viewport holds and where: the index counts them per cell without dates,
and with dates the fitting candidates are binned here (backend/search/grid.py).

Prices: a hit keeps the hotel's own price and currency (what it charges) and adds the amounts in
the guest's `currency` (default EUR), approximate, at the reference rates. The price bounds are in
that currency and, like the price sort, compare each hotel's price in euros (backend/currency.py),
so hotels of different currencies meet on one scale. With dates a hit also carries the stay's total.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import Engine, func
from sqlmodel import col, select

from backend import currency
from backend.context import Context
from backend.errors import InvalidInput
from backend.models import RoomInventory, RoomType
from backend.search.grid import MAX_COLUMNS, Grid
from backend.search.port import (
    WORLD,
    AreaCount,
    BoundingBox,
    HotelDoc,
    PriceMatch,
    SearchQuery,
    Sort,
)
from backend.services.booking import validate_stay
from backend.stay_time import earliest_today

CANDIDATE_CAP = 1000  # the most candidates checked against the database per dated search
MAX_LIMIT = 100
MAX_TEXT = 200
MAX_AMENITIES = 20
# The viewport is snapped outward to this many decimals (~11 m): map jitter shares a cache key,
# and a hotel inside the asked viewport is never cut off by the rounding.
VIEWPORT_DECIMALS = 4


@dataclass(frozen=True)
class SearchRequest:
    """What a client may ask, as received (every field optional, as in API.md)."""

    ne_lat: float | None = None
    ne_lng: float | None = None
    sw_lat: float | None = None
    sw_lng: float | None = None
    q: str | None = None
    min_price: float | None = None
    max_price: float | None = None
    amenities: Sequence[str] = ()
    check_in: date | None = None
    check_out: date | None = None
    guests: int | None = None
    sort: str = Sort.RELEVANCE.value
    limit: int = 20
    offset: int = 0
    clusters: int = 0  # the cluster grid's columns (rows follow the viewport's shape); 0: none
    currency: str | None = None  # ISO 4217: the guest's, for min_price/max_price and display_*

    @property
    def names_a_stay(self) -> bool:
        """Dates or guests given: the database's availability then decides the hits."""
        return self.check_in is not None or self.check_out is not None or self.guests is not None


@dataclass(frozen=True)
class Hit:
    id: int
    name: str
    city: str
    country: str
    lat: float
    lng: float
    price: Decimal  # the lowest nightly price among fitting (and, with dates, free) room types
    currency: str
    rating: float
    amenities: list[str]
    total_price: Decimal | None  # with dates: price x nights, in the hotel's currency
    nights: int | None
    display_currency: str  # the guest's; display_* are approximate unless it is the hotel's
    display_price: Decimal
    display_total_price: Decimal | None
    approximate: bool


@dataclass(frozen=True)
class Cluster:
    """A cell of the grid and the hits in it (this page's too): how many, and their mean place."""

    sw_lat: float
    sw_lng: float
    ne_lat: float
    ne_lng: float
    count: int
    count_exact: bool  # False when the count stopped at TOTAL_CAP
    lat: float
    lng: float


@dataclass(frozen=True)
class SearchPage:
    hits: list[Hit]
    total: int
    total_exact: bool  # False when the engine or CANDIDATE_CAP stopped counting
    took_ms: float
    clusters: list[Cluster] = field(default_factory=list)


@dataclass(frozen=True)
class Stay:
    check_in: date | None
    check_out: date | None
    guests: int | None

    @property
    def nights(self) -> int | None:
        if self.check_in is None or self.check_out is None:
            return None
        return (self.check_out - self.check_in).days


# -- validation --------------------------------------------------------------------------------------


def _viewport(request: SearchRequest) -> BoundingBox | None:
    corners = (request.ne_lat, request.ne_lng, request.sw_lat, request.sw_lng)
    if all(c is None for c in corners):
        return None
    if any(c is None for c in corners):
        raise InvalidInput("Give all four of ne_lat, ne_lng, sw_lat, sw_lng, or none.")
    ne_lat, ne_lng, sw_lat, sw_lng = (float(c) for c in corners)  # type: ignore[arg-type]
    for lat in (ne_lat, sw_lat):
        if not (math.isfinite(lat) and -90 <= lat <= 90):
            raise InvalidInput("Latitudes must be between -90 and 90.")
    for lng in (ne_lng, sw_lng):
        if not (math.isfinite(lng) and -180 <= lng <= 180):
            raise InvalidInput("Longitudes must be between -180 and 180.")
    if sw_lat > ne_lat or sw_lng > ne_lng:
        raise InvalidInput(
            "The viewport is inverted: sw must be south-west of ne "
            "(split a viewport that crosses the antimeridian in two)."
        )
    step = 10**VIEWPORT_DECIMALS
    return BoundingBox(
        ne_lat=min(90.0, math.ceil(ne_lat * step) / step),
        ne_lng=min(180.0, math.ceil(ne_lng * step) / step),
        sw_lat=max(-90.0, math.floor(sw_lat * step) / step),
        sw_lng=max(-180.0, math.floor(sw_lng * step) / step),
    )


def display_currency(request: SearchRequest) -> str:
    return currency.checked(
        currency.DEFAULT_CURRENCY if request.currency is None else request.currency
    )


def _prices(request: SearchRequest) -> tuple[float | None, float | None]:
    """The bounds, in euros on the index's scale (given in the request's currency)."""
    for price in (request.min_price, request.max_price):
        if price is not None and not (math.isfinite(price) and price >= 0):
            raise InvalidInput("Prices must be numbers >= 0.")
    if (
        request.min_price is not None
        and request.max_price is not None
        and request.min_price > request.max_price
    ):
        raise InvalidInput("min_price cannot be greater than max_price.")
    shown = display_currency(request)
    return tuple(  # type: ignore[return-value]
        None if price is None else currency.index_euros(Decimal(str(price)), shown)
        for price in (request.min_price, request.max_price)
    )


def _stay(request: SearchRequest, today: date) -> Stay | None:
    if (request.check_in is None) != (request.check_out is None):
        raise InvalidInput("Give both check_in and check_out, or neither.")
    if request.check_in is not None and request.check_out is not None:
        validate_stay(request.check_in, request.check_out, today)
    if request.guests is not None and not 1 <= request.guests <= 100:
        raise InvalidInput("guests must be between 1 and 100.")
    if not request.names_a_stay:
        return None
    return Stay(request.check_in, request.check_out, request.guests)


def _amenities(values: Sequence[str]) -> tuple[str, ...]:
    cleaned = sorted({v.strip().lower() for v in values if v.strip()})
    if len(cleaned) > MAX_AMENITIES:
        raise InvalidInput(f"At most {MAX_AMENITIES} amenities.")
    return tuple(cleaned)


def to_query(request: SearchRequest, today: date) -> tuple[SearchQuery, Stay | None]:
    """Validate a request into an index query (normalized, so equal searches share a cache key)."""
    if not 1 <= request.limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}.")
    if request.offset < 0:
        raise InvalidInput("offset cannot be negative.")
    try:
        sort = Sort(request.sort)
    except ValueError:
        allowed = ", ".join(s.value for s in Sort)
        raise InvalidInput(f"sort must be one of {allowed}.") from None
    text = " ".join((request.q or "").split()).lower()
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"q can be at most {MAX_TEXT} characters.")
    min_price, max_price = _prices(request)
    query = SearchQuery(
        bbox=_viewport(request),
        text=text,
        min_price=min_price,
        max_price=max_price,
        amenities=_amenities(request.amenities),
        sort=sort,
        limit=request.limit,
        offset=request.offset,
    )
    return query, _stay(request, today)


# -- the search ---------------------------------------------------------------------------------------


def _grid(request: SearchRequest, query: SearchQuery) -> Grid | None:
    if not 0 <= request.clusters <= MAX_COLUMNS:
        raise InvalidInput(f"clusters must be between 0 (none) and {MAX_COLUMNS}.")
    return Grid.over(query.bbox or WORLD, request.clusters) if request.clusters else None


def search_hotels(ctx: Context, request: SearchRequest) -> SearchPage:
    started = time.perf_counter()
    # Across hotels' zones: only a date already past everywhere is refused (each hold asks the
    # hotel's own clock, backend/stay_time.py).
    query, stay = to_query(request, earliest_today(ctx.clock()))
    shown = display_currency(request)
    grid = _grid(request, query)
    fitting: list[HotelDoc] = []
    if stay is None:
        result = ctx.search.search(query)
        hits = [_hit(doc, _money(doc.price_min), shown) for doc in result.hits]
        total, exact = result.total, result.exact
    else:
        hits, total, exact, fitting = _search_with_stay(ctx, query, stay, shown)
    clusters: list[Cluster] = []
    if grid is not None and not (query.offset == 0 and exact and total <= len(hits)):
        if stay is None:
            counts = ctx.search.count_areas(query, grid)
        else:
            counts = grid.count(((doc.lat, doc.lng) for doc in fitting), exact)
        clusters = _clusters(grid, counts)
    took_ms = round((time.perf_counter() - started) * 1000, 2)
    return SearchPage(hits=hits, total=total, total_exact=exact, took_ms=took_ms, clusters=clusters)


def _clusters(grid: Grid, counts: Sequence[AreaCount]) -> list[Cluster]:
    return [
        Cluster(
            sw_lat=box.sw_lat,
            sw_lng=box.sw_lng,
            ne_lat=box.ne_lat,
            ne_lng=box.ne_lng,
            count=area.count,
            count_exact=area.exact,
            lat=round(area.lat, 6),
            lng=round(area.lng, 6),
        )
        for box, area in zip(grid.boxes(), counts, strict=True)
        if area.count > 0
    ]


def _search_with_stay(
    ctx: Context, query: SearchQuery, stay: Stay, shown: str
) -> tuple[list[Hit], int, bool, list[HotelDoc]]:
    candidates = ctx.search.search(
        replace(
            query,
            price_match=PriceMatch.ANY_ROOM,  # some room type could be in budget: the DB decides
            min_capacity=stay.guests,
            limit=CANDIDATE_CAP,
            offset=0,
        )
    )
    prices = fitting_prices(ctx.engine, [d.id for d in candidates.hits], stay)
    # Each fitting price on the index's scale (euros), as the bounds and the index's sort are.
    fitting = [
        (doc, prices[doc.id], currency.index_euros(prices[doc.id], doc.currency))
        for doc in candidates.hits
        if doc.id in prices
    ]
    fitting = [row for row in fitting if _in_budget(row[2], query)]
    if query.sort in (Sort.PRICE_ASC, Sort.PRICE_DESC):
        # Sort by the price shown (the fitting one), not the index's lowest price of any room.
        sign = 1 if query.sort is Sort.PRICE_ASC else -1
        fitting.sort(key=lambda row: (sign * (row[2] or 0.0), row[0].id))
    page = fitting[query.offset : query.offset + query.limit]
    exact = candidates.exact and candidates.total <= CANDIDATE_CAP
    hits = [_hit(doc, price, shown, stay.nights) for doc, price, _ in page]
    return hits, len(fitting), exact, [doc for doc, _, _ in fitting]


def _in_budget(euros: float | None, query: SearchQuery) -> bool:
    if query.min_price is None and query.max_price is None:
        return True
    if euros is None:  # a currency without a rate cannot be compared with a budget
        return False
    if query.min_price is not None and euros < query.min_price:
        return False
    return query.max_price is None or euros <= query.max_price


def fitting_prices(engine: Engine, hotel_ids: Sequence[int], stay: Stay) -> dict[int, Decimal]:
    """Per hotel, the lowest nightly price of a room type that fits and is free every night.

    One query for all candidates. A missing inventory row means all rooms are free that night
    (backend/inventory.py), so a room type is free when rooms - (most reserved on any night of
    the stay, or 0) >= 1.
    """
    if not hotel_ids:
        return {}
    statement = select(RoomType.hotel_id, func.min(RoomType.price)).where(
        col(RoomType.hotel_id).in_(hotel_ids)
    )
    if stay.guests is not None:
        statement = statement.where(col(RoomType.capacity) >= stay.guests)
    if stay.check_in is not None and stay.check_out is not None:
        busiest = (
            select(func.coalesce(func.max(RoomInventory.reserved), 0))
            .where(col(RoomInventory.room_type_id) == col(RoomType.id))
            .where(col(RoomInventory.night) >= stay.check_in)
            .where(col(RoomInventory.night) < stay.check_out)
            .scalar_subquery()
        )
        statement = statement.where(col(RoomType.rooms) - busiest >= 1)
    statement = statement.group_by(col(RoomType.hotel_id))
    with engine.connect() as conn:
        return {int(h): Decimal(p).quantize(Decimal("0.01")) for h, p in conn.execute(statement)}


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def _hit(doc: HotelDoc, price: Decimal, shown: str, nights: int | None = None) -> Hit:
    total = None if nights is None else price * nights
    return Hit(
        id=doc.id,
        name=doc.name,
        city=doc.city,
        country=doc.country,
        lat=doc.lat,
        lng=doc.lng,
        price=price,
        currency=doc.currency,
        rating=doc.rating,
        amenities=list(doc.amenities),
        total_price=total,
        nights=nights,
        display_currency=shown,
        display_price=currency.convert(price, doc.currency, shown),
        display_total_price=None if total is None else currency.convert(total, doc.currency, shown),
        approximate=doc.currency != shown,
    )
