from datetime import date
from decimal import Decimal

from fastapi import APIRouter, Response
from pydantic import BaseModel

from backend.api.deps import ContextDep
from backend.services import search
from backend.services.search import SearchRequest

router = APIRouter(tags=["search"])


class SearchHitOut(BaseModel):
    id: int
    name: str
    city: str
    country: str
    lat: float
    lng: float
    price: Decimal
    currency: str
    rating: float
    amenities: list[str]


class SearchOut(BaseModel):
    hits: list[SearchHitOut]
    total: int
    total_exact: bool
    took_ms: float


# The route answers with bytes serialized once by pydantic-core: FastAPI would validate a
# returned model again and encode it twice (0.44 vs 0.03 ms for 20 hits, the same bytes).
@router.get("/search", response_model=SearchOut)
def search_hotels(
    ctx: ContextDep,
    ne_lat: float | None = None,
    ne_lng: float | None = None,
    sw_lat: float | None = None,
    sw_lng: float | None = None,
    q: str | None = None,
    min_price: float | None = None,
    max_price: float | None = None,
    amenities: str | None = None,
    check_in: date | None = None,
    check_out: date | None = None,
    guests: int | None = None,
    sort: str = "relevance",
    limit: int = 20,
    offset: int = 0,
) -> Response:
    """Hotels in a map viewport, by text, price and amenities; with dates and guests, only those
    with a fitting room free every night, priced at the lowest such room."""
    request = SearchRequest(
        ne_lat=ne_lat,
        ne_lng=ne_lng,
        sw_lat=sw_lat,
        sw_lng=sw_lng,
        q=q,
        min_price=min_price,
        max_price=max_price,
        amenities=(amenities or "").split(","),
        check_in=check_in,
        check_out=check_out,
        guests=guests,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    page = search.search_hotels(ctx, request)
    body = SearchOut(
        hits=[SearchHitOut(**hit.__dict__) for hit in page.hits],
        total=page.total,
        total_exact=page.total_exact,
        took_ms=page.took_ms,
    )
    return Response(body.model_dump_json(), media_type="application/json")
