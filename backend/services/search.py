"""Flow 2, map search: validate, ask the index, then (with dates or guests) the database.

Without dates and guests the index answers alone: its documents carry each hotel's lowest nightly
price, and `total` is the index's own count. With dates or guests, the index only narrows by place,
text, amenities and a loose price/capacity test; one batched query then computes, for every
candidate, the lowest price among room types that fit the party and are free for every night.
Candidates are taken whole (up to CANDIDATE_CAP) so `total` and the pages are counted after that
filter, never before it (docs/search.md).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import Engine, func
from sqlmodel import col, select

from backend.context import Context
from backend.errors import InvalidInput
from backend.models import RoomInventory, RoomType
from backend.search.port import BoundingBox, HotelDoc, PriceMatch, SearchQuery, Sort
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


@dataclass(frozen=True)
class SearchPage:
    hits: list[Hit]
    total: int
    total_exact: bool  # False when the engine or CANDIDATE_CAP stopped counting
    took_ms: float


@dataclass(frozen=True)
class Stay:
    check_in: date | None
    check_out: date | None
    guests: int | None


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


def _prices(request: SearchRequest) -> tuple[float | None, float | None]:
    for price in (request.min_price, request.max_price):
        if price is not None and not (math.isfinite(price) and price >= 0):
            raise InvalidInput("Prices must be numbers >= 0.")
    if (
        request.min_price is not None
        and request.max_price is not None
        and request.min_price > request.max_price
    ):
        raise InvalidInput("min_price cannot be greater than max_price.")
    return request.min_price, request.max_price


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


def search_hotels(ctx: Context, request: SearchRequest) -> SearchPage:
    started = time.perf_counter()
    # Across hotels' zones: only a date already past everywhere is refused (each hold asks the
    # hotel's own clock, backend/stay_time.py).
    query, stay = to_query(request, earliest_today(ctx.clock()))
    if stay is None:
        result = ctx.search.search(query)
        hits = [_hit(doc, _money(doc.price_min)) for doc in result.hits]
        total, exact = result.total, result.exact
    else:
        hits, total, exact = _search_with_stay(ctx, query, stay)
    took_ms = round((time.perf_counter() - started) * 1000, 2)
    return SearchPage(hits=hits, total=total, total_exact=exact, took_ms=took_ms)


def _search_with_stay(ctx: Context, query: SearchQuery, stay: Stay) -> tuple[list[Hit], int, bool]:
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
    fitting = [
        (doc, prices[doc.id])
        for doc in candidates.hits
        if doc.id in prices and _in_budget(prices[doc.id], query)
    ]
    if query.sort in (Sort.PRICE_ASC, Sort.PRICE_DESC):
        # Sort by the price shown (the fitting one), not the index's lowest price of any room.
        sign = 1 if query.sort is Sort.PRICE_ASC else -1
        fitting.sort(key=lambda pair: (sign * pair[1], pair[0].id))
    page = fitting[query.offset : query.offset + query.limit]
    exact = candidates.exact and candidates.total <= CANDIDATE_CAP
    return [_hit(doc, price) for doc, price in page], len(fitting), exact


def _in_budget(price: Decimal, query: SearchQuery) -> bool:
    if query.min_price is not None and price < Decimal(str(query.min_price)):
        return False
    return query.max_price is None or price <= Decimal(str(query.max_price))


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


def _hit(doc: HotelDoc, price: Decimal) -> Hit:
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
    )
