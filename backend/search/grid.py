"""The cluster grid: a viewport cut into cells that are square on the map (Web Mercator).

The map draws latitudes in Mercator, so equal latitude steps make cells that stretch towards the
poles; the rows are therefore equal steps of Mercator y, and the row count follows the viewport's
shape (a tall viewport gets more rows than columns). Cells never overlap: each one's south and
west edges start just past its neighbour's north and east edges (`math.nextafter`), so a hotel
exactly on an edge is counted once, and the engines (whose ranges include both ends) agree with
`cell_of`.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass

from backend.search.port import AreaCount, BoundingBox

MAX_COLUMNS = 12
MAX_ROWS = 12
# Mercator's edge (where the map stops): a viewport's shape is measured up to it.
MERCATOR_LAT = 85.05112878


def _mercator_y(lat: float) -> float:
    lat = max(-MERCATOR_LAT, min(MERCATOR_LAT, lat))
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _latitude(y: float) -> float:
    return math.degrees(2 * math.atan(math.exp(y)) - math.pi / 2)


@dataclass(frozen=True)
class Grid:
    """Column edges (west to east) and row edges (south to north), both ends included."""

    lng_edges: tuple[float, ...]
    lat_edges: tuple[float, ...]

    @classmethod
    def over(cls, box: BoundingBox, columns: int) -> Grid:
        if not 1 <= columns <= MAX_COLUMNS:
            raise ValueError(f"columns must be between 1 and {MAX_COLUMNS}")
        width = max(box.ne_lng - box.sw_lng, 1e-9) / 360
        south, north = _mercator_y(box.sw_lat), _mercator_y(box.ne_lat)
        height = max(north - south, 0.0) / (2 * math.pi)
        rows = max(1, min(MAX_ROWS, round(columns * height / width)))
        lngs = [box.sw_lng + (box.ne_lng - box.sw_lng) * i / columns for i in range(columns + 1)]
        lats = [_latitude(south + (north - south) * j / rows) for j in range(rows + 1)]
        # The outer edges are the box's own (Mercator stops short of the poles; rounding).
        lngs[0], lngs[-1] = box.sw_lng, box.ne_lng
        lats[0], lats[-1] = box.sw_lat, box.ne_lat
        return cls(tuple(lngs), tuple(lats))

    @property
    def bbox(self) -> BoundingBox:
        """The whole grid."""
        return BoundingBox(
            ne_lat=self.lat_edges[-1],
            ne_lng=self.lng_edges[-1],
            sw_lat=self.lat_edges[0],
            sw_lng=self.lng_edges[0],
        )

    @property
    def columns(self) -> int:
        return len(self.lng_edges) - 1

    @property
    def rows(self) -> int:
        return len(self.lat_edges) - 1

    def boxes(self) -> list[BoundingBox]:
        """Every cell, row by row from the south-west; disjoint, covering the whole box."""
        return [self.box(column, row) for row in range(self.rows) for column in range(self.columns)]

    def box(self, column: int, row: int) -> BoundingBox:
        def start(edges: tuple[float, ...], i: int) -> float:
            return edges[i] if i == 0 else math.nextafter(edges[i], math.inf)

        return BoundingBox(
            ne_lat=self.lat_edges[row + 1],
            ne_lng=self.lng_edges[column + 1],
            sw_lat=start(self.lat_edges, row),
            sw_lng=start(self.lng_edges, column),
        )

    def cell_of(self, lat: float, lng: float) -> int:
        """The index in `boxes()` of the cell holding a point of the box."""
        column = min(max(bisect_left(self.lng_edges, lng) - 1, 0), self.columns - 1)
        row = min(max(bisect_left(self.lat_edges, lat) - 1, 0), self.rows - 1)
        return row * self.columns + column

    def count(self, points: Iterable[tuple[float, float]], exact: bool) -> list[AreaCount]:
        """(lat, lng) points of the box counted per cell, at their mean, in `boxes()` order."""
        cells: list[list[tuple[float, float]]] = [[] for _ in range(self.columns * self.rows)]
        for lat, lng in points:
            cells[self.cell_of(lat, lng)].append((lat, lng))
        return [AreaCount.of(inside, len(inside), exact) for inside in cells]
