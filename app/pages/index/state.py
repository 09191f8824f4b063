"""The search page's state: the query parsed from and written back to the URL, the search, the
hits and the map's markers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

import reflex as rx

from app.browser import replace_url
from app.format import amenity_label, nights_label, parse_date, shown
from app.guest_currency import PARAM, CurrencyState
from app.pages.index.clusters import ClusterCell, cluster_markers
from app.state import call, context
from app.stay import StayParams, StayVars
from backend.errors import TrinityError
from backend.services.search import Hit, SearchPage, SearchRequest, search_hotels
from backend.stay_time import earliest_today

log = logging.getLogger("trinity.web.search")

PAGE_SIZE = 30  # hits per page of the list ("Show more" adds the next page)
# The cluster grid's columns: cells of a ~700 px wide map are ~115 px, a cluster bubble's room.
CLUSTER_COLUMNS = 6
VIEWPORT_DEBOUNCE_MS = 300
PRICE_DEBOUNCE_MS = 600
SORTS = [
    ("relevance", "Best match"),
    ("price_asc", "Price: low to high"),
    ("price_desc", "Price: high to low"),
    ("rating_desc", "Top rated"),
]
SORT_VALUES = {value for value, _ in SORTS}
AMENITY_FILTERS = ["wifi", "breakfast", "parking", "pool", "gym", "spa", "pet_friendly", "sea_view"]
VIEWPORT_KEYS = ("ne_lat", "ne_lng", "sw_lat", "sw_lng")


@dataclass
class HitCard:
    id: int = 0
    name: str = ""
    place: str = ""  # "Lisbon, PT"
    rating: float = 0.0
    price: str = ""  # with dates the stay's total, else the nightly "from": the guest's currency
    price_note: str = "per night"  # what `price` is: "per night" or "for 3 nights"
    nightly: str = ""  # with dates, the nightly price beside the total ("€95 a night")
    amenities: list[str] = field(default_factory=list)  # labels, a few
    href: str = ""
    lat: float = 0.0
    lng: float = 0.0


def parse_price(text: str | None) -> str:
    """A price filter as typed: digits (and one dot) only, else empty."""
    try:
        value = float(text or "")
    except ValueError:
        return ""
    if value < 0 or value != value or value == float("inf"):
        return ""
    return f"{value:g}"


def parse_viewport(query: Mapping[str, str]) -> list[float]:
    """[ne_lat, ne_lng, sw_lat, sw_lng] when all four corners are valid, else []."""
    try:
        ne_lat, ne_lng, sw_lat, sw_lng = (float(query[k]) for k in VIEWPORT_KEYS)
    except (KeyError, ValueError):
        return []
    if not (-90 <= sw_lat < ne_lat <= 90 and -180 <= sw_lng < ne_lng <= 180):
        return []
    return [ne_lat, ne_lng, sw_lat, sw_lng]


def viewport_from_map(view: Mapping[str, Any]) -> list[float]:
    """The map's bounds, clamped to what the search accepts (the map can show more than a world)."""
    try:
        ne_lat = min(90.0, float(view["ne_lat"]))
        sw_lat = max(-90.0, float(view["sw_lat"]))
        ne_lng, sw_lng = float(view["ne_lng"]), float(view["sw_lng"])
    except (KeyError, TypeError, ValueError):
        return []
    if ne_lng - sw_lng >= 360 or ne_lng > 180 or sw_lng < -180:
        # Wider than the world, or across the antimeridian: the search takes the whole width.
        ne_lng, sw_lng = 180.0, -180.0
    return [round(v, 5) for v in (ne_lat, ne_lng, sw_lat, sw_lng)]


def hit_prices(hit: Hit, guest: str) -> dict[str, str]:
    """A card's and marker's prices: with dates the stay's total first, the night beside it."""
    nightly = shown(hit.price, hit.currency, guest)
    if hit.total_price is None or hit.nights is None:
        return {"price": nightly, "price_note": "per night", "nightly": ""}
    return {
        "price": shown(hit.total_price, hit.currency, guest),
        "price_note": f"for {nights_label(hit.nights)}",
        "nightly": f"{nightly} a night",
    }


class SearchState(StayVars, rx.State):
    ready: bool = False  # the first search has answered (the map mounts then)
    loading: bool = False
    error: str = ""
    # Filters (as shown and as put into the URL).
    place: str = ""
    q: str = ""
    min_price: str = ""
    max_price: str = ""
    amenities: list[str] = []  # noqa: RUF012 (a Reflex state var)
    sort: str = "relevance"
    viewport: list[float] = []  # noqa: RUF012 ([ne_lat, ne_lng, sw_lat, sw_lng] or none)
    # Results and the map.
    hits: list[HitCard] = []  # noqa: RUF012 (every page shown so far)
    clusters: list[ClusterCell] = []  # noqa: RUF012 (the first page's grid)
    loading_more: bool = False
    total: int = 0
    total_exact: bool = True
    initial_bounds: list[list[float]] = []  # noqa: RUF012 (the view the map mounts with)
    fit_bounds: list[list[float]] = []  # noqa: RUF012
    fit_key: int = 0
    guest_currency: str = "EUR"  # prices and the price filter are in it

    # -- derived ------------------------------------------------------------------------------

    @rx.var
    def markers(self) -> list[dict[str, Any]]:
        # No `active` here: the map and the cards highlight each other in the browser.
        return [
            {
                "id": hit.id,
                "lat": hit.lat,
                "lng": hit.lng,
                "label": hit.price,
                "title": f"{hit.name}, {hit.price} {hit.price_note}",
            }
            for hit in self.hits
        ]

    @rx.var
    def cluster_markers(self) -> list[dict[str, Any]]:
        return cluster_markers(self.clusters, self.hits)

    @rx.var
    def has_more(self) -> bool:
        return len(self.hits) < self.total

    @rx.var
    def more_text(self) -> str:
        return f"Show {min(PAGE_SIZE, self.total - len(self.hits))} more"

    @rx.var
    def count_text(self) -> str:
        if self.total == 0:
            return "No hotels"
        noun = "hotel" if self.total == 1 else "hotels"
        more = "" if self.total_exact else "+"
        if self.total > len(self.hits):
            return f"Showing {len(self.hits)} of {self.total}{more} {noun}"
        return f"{self.total}{more} {noun}"

    @rx.var
    def has_filters(self) -> bool:
        return bool(self.q or self.min_price or self.max_price or self.amenities or self.viewport)

    @rx.var
    def map_badge(self) -> str:
        return "Searching this area…" if self.loading else ""

    # -- helpers ------------------------------------------------------------------------------

    def _query(self) -> dict[str, str]:
        query: dict[str, str] = {}
        if self.q:
            query["q"] = self.q
        query.update(self._stay().query())
        if self.min_price:
            query["min_price"] = self.min_price
        if self.max_price:
            query["max_price"] = self.max_price
        if self.amenities:
            query["amenities"] = ",".join(self.amenities)
        if self.sort != "relevance":
            query["sort"] = self.sort
        if self.viewport:
            query.update(zip(VIEWPORT_KEYS, (f"{v:g}" for v in self.viewport), strict=True))
        query[PARAM] = self.guest_currency
        return query

    def _url(self) -> str:
        return "/?" + urlencode(self._query())

    def _request(self, offset: int = 0) -> SearchRequest:
        stay = self._stay()
        corners = dict(zip(VIEWPORT_KEYS, self.viewport, strict=True)) if self.viewport else {}
        return SearchRequest(
            q=self.q or None,
            check_in=stay.check_in,
            check_out=stay.check_out,
            guests=stay.guests,
            min_price=float(self.min_price) if self.min_price else None,
            max_price=float(self.max_price) if self.max_price else None,
            amenities=tuple(self.amenities),
            sort=self.sort,
            limit=PAGE_SIZE,
            offset=offset,
            clusters=CLUSTER_COLUMNS if offset == 0 else 0,  # later pages keep the first's
            currency=self.guest_currency,
            **corners,
        )

    def _cards(self, page: SearchPage) -> list[HitCard]:
        query = urlencode({**self._stay().query(), PARAM: self.guest_currency})
        return [
            HitCard(
                id=hit.id,
                name=hit.name,
                place=f"{hit.city}, {hit.country}",
                rating=hit.rating,
                **hit_prices(hit, self.guest_currency),
                amenities=[amenity_label(a) for a in hit.amenities[:4]],
                href=f"/hotel/{hit.id}?{query}",
                lat=hit.lat,
                lng=hit.lng,
            )
            for hit in page.hits
        ]

    def _show(self, page: SearchPage) -> None:
        self.hits = self._cards(page)
        self.clusters = [ClusterCell(**vars(cell)) for cell in page.clusters]
        self.total = page.total
        self.total_exact = page.total_exact

    def _fit_to_hits(self) -> None:
        if not self.hits:
            return
        lats = [h.lat for h in self.hits]
        lngs = [h.lng for h in self.hits]
        self.fit_bounds = [[min(lats), min(lngs)], [max(lats), max(lngs)]]
        self.fit_key += 1

    async def _fetch(self, request: SearchRequest) -> SearchPage | None:
        """The search's answer, or None with the error to show."""
        try:
            return await call(search_hotels, request)
        except TrinityError as error:
            self.error = error.message
        except Exception:
            log.exception("search failed")
            self.error = "Search is unavailable right now. Please try again in a moment."
        return None

    async def _search(self, fit: bool = False) -> AsyncIterator[rx.event.EventSpec | None]:
        """Search with the current filters: loading state, results or error, then the URL."""
        self.loading = True
        self.error = ""
        self.guest_currency = (await self.get_state(CurrencyState)).shown
        if self.ready:
            # Before the first results the page shows placeholders anyway: a "loading" delta
            # would only cost the browser a render on the way to the results.
            yield
        page = await self._fetch(self._request())
        if page is not None:
            self._show(page)
            if fit:
                self._fit_to_hits()
        self.loading = False
        self.ready = True
        yield replace_url(self._url())

    # -- events -------------------------------------------------------------------------------

    @rx.event
    async def load(self) -> AsyncIterator[rx.event.EventSpec | None]:
        params = self.router.url.query_parameters
        today = context().clock().date()  # the default stay counts from here
        # As the search itself: a date is past only when it is past for every hotel's clock.
        earliest = earliest_today(context().clock())
        self.today = earliest.isoformat()
        self._set_stay(StayParams.from_query(params, today, earliest))
        self.q = " ".join(params.get("q", "").split())[:200]
        self.place = self.q
        self.min_price = parse_price(params.get("min_price"))
        self.max_price = parse_price(params.get("max_price"))
        if self.min_price and self.max_price and float(self.min_price) > float(self.max_price):
            self.min_price, self.max_price = self.max_price, self.min_price
        self.amenities = sorted(
            {a for a in params.get("amenities", "").split(",") if a in AMENITY_FILTERS}
        )
        sort = params.get("sort", "relevance")
        self.sort = sort if sort in SORT_VALUES else "relevance"
        self.viewport = parse_viewport(params)
        self.ready = False
        if self.viewport:
            ne_lat, ne_lng, sw_lat, sw_lng = self.viewport
            self.initial_bounds = [[sw_lat, sw_lng], [ne_lat, ne_lng]]
        else:
            self.initial_bounds = []
        async for update in self._search(fit=not self.viewport):
            yield update

    @rx.event
    async def submit_place(self, form: dict[str, Any]) -> AsyncIterator[rx.event.EventSpec | None]:
        """A new place: search it everywhere (no viewport) and fit the map to what was found."""
        self.place = " ".join(str(form.get("place", "")).split())[:200]
        self.q = self.place
        self.viewport = []
        async for update in self._search(fit=True):
            yield update

    @rx.event
    def set_place(self, value: str) -> None:
        self.place = value

    @rx.event
    async def set_viewport(self, view: dict[str, Any]) -> AsyncIterator[rx.event.EventSpec | None]:
        if not view.get("user"):
            return  # the app's own fit: the results already match
        viewport = viewport_from_map(view)
        if not viewport or viewport == self.viewport:
            return
        self.viewport = viewport
        async for update in self._search():
            yield update

    @rx.event
    async def set_check_in(self, value: str) -> AsyncIterator[rx.event.EventSpec | None]:
        day = parse_date(value)
        if day is None or day < date.fromisoformat(self.today):
            return
        self._set_stay(self._stay().with_check_in(day))
        async for update in self._search():
            yield update

    @rx.event
    async def set_check_out(self, value: str) -> AsyncIterator[rx.event.EventSpec | None]:
        day = parse_date(value)
        if day is None:
            return
        self._set_stay(self._stay().with_check_out(day))
        async for update in self._search():
            yield update

    @rx.event
    async def set_guests(self, value: str) -> AsyncIterator[rx.event.EventSpec | None]:
        stay = self._stay()
        self._set_stay(StayParams.from_query({**stay.query(), "guests": value}, stay.check_in))
        async for update in self._search():
            yield update

    @rx.event
    async def set_min_price(self, value: str) -> AsyncIterator[rx.event.EventSpec | None]:
        self.min_price = parse_price(value)
        async for update in self._search():
            yield update

    @rx.event
    async def set_max_price(self, value: str) -> AsyncIterator[rx.event.EventSpec | None]:
        self.max_price = parse_price(value)
        async for update in self._search():
            yield update

    @rx.event
    async def toggle_amenity(
        self, code: str, checked: bool
    ) -> AsyncIterator[rx.event.EventSpec | None]:
        chosen = set(self.amenities)
        if checked:
            chosen.add(code)
        else:
            chosen.discard(code)
        self.amenities = sorted(chosen & set(AMENITY_FILTERS))
        async for update in self._search():
            yield update

    @rx.event
    async def set_sort(self, value: str) -> AsyncIterator[rx.event.EventSpec | None]:
        self.sort = value if value in SORT_VALUES else "relevance"
        async for update in self._search():
            yield update

    @rx.event
    async def clear_filters(self) -> AsyncIterator[rx.event.EventSpec | None]:
        self.place = self.q = ""
        self.min_price = self.max_price = ""
        self.amenities = []
        self.viewport = []
        async for update in self._search(fit=True):
            yield update

    @rx.event
    async def retry(self) -> AsyncIterator[rx.event.EventSpec | None]:
        async for update in self._search():
            yield update

    @rx.event
    async def show_more(self) -> AsyncIterator[None]:
        """The next page below the list (and as price markers): the filters and the map stay."""
        if self.loading or self.loading_more or not self.has_more:
            return
        self.loading_more = True
        yield
        page = await self._fetch(self._request(offset=len(self.hits)))
        if page is not None:
            shown = {hit.id for hit in self.hits}  # a hotel that moved up a page meanwhile
            self.hits = self.hits + [c for c in self._cards(page) if c.id not in shown]
            self.total = page.total
            self.total_exact = page.total_exact
        self.loading_more = False

    @rx.event
    def open_hotel(self, hotel_id: int) -> rx.event.EventSpec | None:
        hit = next((h for h in self.hits if h.id == hotel_id), None)
        return rx.redirect(hit.href) if hit else None
