"""How the embedded index answers a SearchQuery: which table drives, the filters, the SQL.

Two plans, both counting only up to TOTAL_CAP (as Meilisearch does) and sorting only ids and keys,
so the full documents are read for the one page returned:

- a viewport without text: `spots_<g>` drives. It is the map-search copy of each hotel's filter
  columns, clustered by (latitude band, longitude, id) in a WITHOUT ROWID table, so a viewport is
  one contiguous range per 0.1-degree band and every filter is checked in the rows just read.
- text, or no viewport: `docs_<g>` drives (FTS5 first when there is text); the viewport, if any,
  is checked on its columns.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from backend.search.grid import Grid
from backend.search.port import TOTAL_CAP, WORLD, BoundingBox, SearchQuery, Sort

DOC_COLUMNS = [
    "id", "name", "city", "country", "lat", "lng", "rating", "amenities", "description",
    "currency", "price_min", "price_max", "max_capacity", "price_min_eur", "price_max_eur",
]  # fmt: skip
# The columns spots_<g> copies from docs_<g>, after its key (band, lng, id).
SPOT_COLUMNS = ["lat", "price_min_eur", "price_max_eur", "amen_keys", "max_capacity", "rating"]
BANDS_PER_DEGREE = 10
# (key, direction) per sort; `{t}` is the driving table. Ties break by id, as in Meilisearch.
SORT_KEYS = {
    Sort.PRICE_ASC: [("{t}.price_min_eur", "ASC"), ("{t}.id", "ASC")],
    Sort.PRICE_DESC: [("{t}.price_min_eur", "DESC"), ("{t}.id", "ASC")],
    Sort.RATING_DESC: [("{t}.rating", "DESC"), ("{t}.id", "ASC")],
}
# Field weights for relevance, in the order of the fts columns: a name match beats a city match
# beats a description match (Meilisearch's `attribute` ranking rule says the same).
BM25 = "bm25(fts_{g}, 10.0, 5.0, 1.0)"
WORD = re.compile(r"\w+", re.UNICODE)


def band(lat: float) -> int:
    """The latitude band a hotel is filed under (monotonic in lat, so a range maps to a range)."""
    return math.floor(lat * BANDS_PER_DEGREE)


def fts_expression(text: str) -> str | None:
    """Every word must match; the last one as a prefix (people are still typing it)."""
    words = WORD.findall(text)
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


@dataclass(frozen=True)
class Plan:
    """`few_sql` first: one pass that is the whole answer when there are at most TOTAL_CAP hits.

    It collects at most TOTAL_CAP + 1 hits in scan order and sorts them; each row carries how
    many it collected. Up to TOTAL_CAP that is every hit, so the page and the count are right.
    One more means total = TOTAL_CAP and the page may be wrong: `hits_sql` sorts every hit for it.
    `count_sql` (capped) serves an empty page, which carries no count. Counting and paging apart
    scanned a viewport twice (~2x the region-zoom median); one pass counting every hit in full
    was 3x slower on 100k-hit viewports.
    """

    few_sql: str  # params + [limit, offset] -> the page's DOC_COLUMNS rows + [hits seen]
    count_sql: str  # params -> one row: min(hits, TOTAL_CAP)
    hits_sql: str  # params + [limit, offset] -> the page's DOC_COLUMNS rows, in order
    points_sql: str  # params -> (lat, lng) of every hit, in scan order
    params: list[Any]


def plan(g: int, query: SearchQuery) -> Plan:
    box = None if query.bbox == WORLD else query.bbox
    expression = fts_expression(query.text)
    params: list[Any] = []
    where: list[str] = []
    keys = SORT_KEYS.get(query.sort, [("{t}.id", "ASC")])
    if expression is not None:
        source = f"docs_{g} AS t JOIN fts_{g} ON fts_{g}.rowid = t.id AND fts_{g} MATCH ?"
        params.append(expression)
        if query.sort is Sort.RELEVANCE:
            keys = [(BM25.format(g=g), "ASC"), ("{t}.id", "ASC")]
        if box is not None:
            where.append("t.lat BETWEEN ? AND ? AND t.lng BETWEEN ? AND ?")
            params += [box.sw_lat, box.ne_lat, box.sw_lng, box.ne_lng]
    elif box is not None:
        source = f"spots_{g} AS t"
        where.append(_viewport(box, params))
    else:
        source = f"docs_{g} AS t"
    where += _filters(query, params)
    from_where = f"FROM {source}" + (" WHERE " + " AND ".join(where) if where else "")
    key_list = [key.format(t="t") for key, _ in keys]
    inner_order = ", ".join(f"k{i} {direction}" for i, (_, direction) in enumerate(keys))
    outer_order = ", ".join(f"top.k{i} {direction}" for i, (_, direction) in enumerate(keys))
    selected = ", ".join(f"{key} AS k{i}" for i, key in enumerate(key_list))
    columns = ", ".join("d." + c for c in DOC_COLUMNS)
    hits = f"SELECT t.id AS id, {selected} {from_where}"
    few = (
        f"SELECT *, count(*) OVER () AS seen FROM ({hits} LIMIT {TOTAL_CAP + 1})"
        f" ORDER BY {inner_order} LIMIT ? OFFSET ?"
    )
    # The page's ids are chosen first, then joined to docs: sorting whole documents would read
    # every hit's row.
    joined = f" AS top CROSS JOIN docs_{g} AS d ON d.id = top.id ORDER BY {outer_order}"
    return Plan(
        few_sql=f"SELECT {columns}, top.seen FROM ({few}){joined}",
        count_sql=f"SELECT count(*) FROM (SELECT 1 {from_where} LIMIT {TOTAL_CAP})",
        hits_sql=f"SELECT {columns} FROM ({hits} ORDER BY {inner_order} LIMIT ? OFFSET ?){joined}",
        points_sql=f"SELECT t.lat AS lat, t.lng AS lng {from_where}",
        params=params,
    )


def _viewport(box: BoundingBox, params: list[Any]) -> str:
    bands = range(band(box.sw_lat), band(box.ne_lat) + 1)
    params += [*bands, box.sw_lng, box.ne_lng, box.sw_lat, box.ne_lat]
    marks = ", ".join("?" * len(bands))
    # One index range per band: band = b AND lng BETWEEN; the lat test cuts the edge bands.
    return f"t.band IN ({marks}) AND t.lng BETWEEN ? AND ? AND t.lat BETWEEN ? AND ?"


def _filters(query: SearchQuery, params: list[Any]) -> list[str]:
    where = []
    low, high = query.price_match.bound_fields()
    if query.min_price is not None:
        where.append(f"t.{low} >= ?")
        params.append(query.min_price)
    if query.max_price is not None:
        where.append(f"t.{high} <= ?")
        params.append(query.max_price)
    for amenity in query.amenities:
        # ",wifi,pool," lets `instr` test membership of ",wifi," without a join.
        where.append("instr(t.amen_keys, ?) > 0")
        params.append(f",{amenity},")
    if query.min_capacity is not None:
        where.append("t.max_capacity >= ?")
        params.append(query.min_capacity)
    return where


def cell_of_sql(grid: Grid) -> tuple[str, list[float]]:
    """SQL for a point's index in `grid.boxes()` (what Grid.cell_of computes): CASE over the
    inner edges, so an edge belongs to the cell below it. The params come first in the text."""

    def index(column: str, edges: tuple[float, ...]) -> str:
        steps = " ".join(f"WHEN {column} <= ? THEN {i}" for i in range(len(edges) - 2))
        return f"(CASE {steps} ELSE {len(edges) - 2} END)" if steps else "0"

    sql = f"{index('lat', grid.lat_edges)} * {grid.columns} + {index('lng', grid.lng_edges)}"
    return sql, [*grid.lat_edges[1:-1], *grid.lng_edges[1:-1]]
