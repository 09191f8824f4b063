from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from backend.api.deps import ContextDep
from backend.api.errors import error_responses
from backend.api.schemas import APPROXIMATE
from backend.context import Context
from backend.errors import InvalidInput
from backend.services import search
from backend.services.search import SearchPage, SearchRequest

router = APIRouter(tags=["search"])


# The query string is validated straight into the service's own request (one definition of the
# fields); only `amenities` differs on the wire: a comma list.
SEARCH_REQUEST = TypeAdapter(SearchRequest)


# Integers go on as 64-bit values (the embedded index's OFFSET, Meilisearch's), so the wire takes
# no wider ones; the service narrows each further (limit 1..100, offset >= 0, guests 1..100).
INT64 = {"minimum": -(2**63), "maximum": 2**63 - 1}


def _on_the_wire(field: dict[str, Any]) -> dict[str, Any]:
    """A query string cannot say null: document the value's own type, with the 64-bit range."""
    variants = [v for v in field.pop("anyOf", []) if v.get("type") != "null"]
    field = {**field, **(variants[0] if len(variants) == 1 else {})}
    if field.get("default", "") is None:
        del field["default"]
    return {**field, **INT64} if field.get("type") == "integer" else field


def _wire_schemas() -> dict[str, dict[str, Any]]:
    properties = SEARCH_REQUEST.json_schema()["properties"]
    properties["amenities"] = {"type": "string", "description": "a comma list; a hit has all"}
    properties["clusters"]["description"] = (
        "columns of a grid over the viewport whose cells count the hits (`clusters` in the "
        "answer); 0 or absent: none"
    )
    properties["currency"]["description"] = (
        "ISO 4217, default EUR: the guest's. min_price/max_price are in it, and display_* too."
    )
    return {name: _on_the_wire(field) for name, field in properties.items()}


WIRE_SCHEMAS = _wire_schemas()
INT_FIELDS = [name for name, field in WIRE_SCHEMAS.items() if field.get("type") == "integer"]


def _request_from(query: Mapping[str, str]) -> SearchRequest:
    fields: dict[str, object] = dict(query)
    fields["amenities"] = query.get("amenities", "").split(",")
    request = SEARCH_REQUEST.validate_python(fields)
    for name in INT_FIELDS:
        value = getattr(request, name)
        if value is not None and not INT64["minimum"] <= value <= INT64["maximum"]:
            raise InvalidInput(f"{name} must be a 64-bit integer (at most {INT64['maximum']}).")
    return request


def _documented_query() -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "query", "required": False, "schema": field}
        for name, field in WIRE_SCHEMAS.items()
    ]


class SearchHitOut(BaseModel):
    id: int
    name: str
    city: str
    country: str
    lat: float
    lng: float
    price: Decimal = Field(description="The lowest fitting nightly price, in `currency`.")
    currency: str = Field(description="ISO 4217: the hotel's, what it charges in.")
    rating: float
    amenities: list[str]
    total_price: Decimal | None = Field(
        description="With dates: the stay at that price (price x nights), in `currency`."
    )
    nights: int | None
    display_currency: str = Field(description="The request's `currency` (default EUR).")
    display_price: Decimal = Field(description=f"`price`. {APPROXIMATE}")
    display_total_price: Decimal | None = Field(description=f"`total_price`. {APPROXIMATE}")
    approximate: bool = Field(description="display_* are conversions: not what is charged.")


class ClusterOut(BaseModel):
    """A cell of the `clusters` grid: its corners, how many hits lie in it (those in `hits`
    too; `count_exact` false once the count stopped at 1000) and their mean position."""

    sw_lat: float
    sw_lng: float
    ne_lat: float
    ne_lng: float
    count: int
    count_exact: bool
    lat: float
    lng: float


class SearchOut(BaseModel):
    hits: list[SearchHitOut]
    total: int
    total_exact: bool
    took_ms: float
    clusters: list[ClusterOut] = Field(
        description="With `clusters=N` (N columns, 1..12; the rows follow the viewport's shape "
        "on the map): the non-empty cells of that grid over the viewport (or the world), when "
        "this page does not hold every hit; otherwise empty."
    )


# The hot path of the map, so it avoids FastAPI's per-request costs that do not change the answer:
# - the query string is validated in one pydantic call (FastAPI checks 14 parameters one by one:
#   0.3 ms); a bad value still raises RequestValidationError, so the 422 body is the same;
# - the route is async, so local mode's index-only search (an in-process SQLite index and
#   fakeredis, a few tenths of a ms of CPU) runs inline instead of paying a worker-thread hand-off
#   that costs more than the search; anything that waits (full mode's Meilisearch, Redis and
#   Postgres; the database's availability query) keeps the threadpool;
# - the answer is bytes serialized once by pydantic-core (FastAPI would validate a returned model
#   again and encode it twice: 0.44 vs 0.03 ms for 20 hits).
@router.get(
    "/search",
    response_model=SearchOut,
    openapi_extra={"parameters": _documented_query()},
    responses=error_responses(
        (
            422,
            "`invalid_input`: a bad value, a half-given or inverted viewport, an unknown `currency`.",
        ),
        (503, "`unavailable`: the search engine cannot be reached."),
    ),
)
async def search_hotels(ctx: ContextDep, http: Request) -> Response:
    """Hotels in a map viewport, by text, price and amenities; with dates and guests, only those
    with a fitting room free every night, priced at the lowest such room."""
    try:
        request = _request_from(http.query_params)
    except ValidationError as error:
        raise RequestValidationError(error.errors()) from None
    if _runs_inline(ctx, request):
        page = search.search_hotels(ctx, request)
    else:
        page = await run_in_threadpool(search.search_hotels, ctx, request)
    return Response(_encode(page), media_type="application/json")


def _runs_inline(ctx: Context, request: SearchRequest) -> bool:
    """An index-only search in process (the embedded index and fakeredis): nothing to wait on.
    With dates or guests it also reads the database, whose transactions can queue behind a
    writer, and the event loop (every tab's websocket in local mode) must not wait with it."""
    return ctx.search_in_process and not request.names_a_stay


def _encode(page: SearchPage) -> bytes:
    body = SearchOut(
        hits=[SearchHitOut(**hit.__dict__) for hit in page.hits],
        total=page.total,
        total_exact=page.total_exact,
        took_ms=page.took_ms,
        clusters=[ClusterOut(**cluster.__dict__) for cluster in page.clusters],
    )
    return body.model_dump_json().encode()
