"""The cluster grid (backend/search/grid.py), the binning of a dated search's hits, and the map's
bubbles counting only what the list does not show (app/pages/index/clusters.py)."""

from __future__ import annotations

import math
import random

import pytest

from app.pages.index.clusters import ClusterCell, cluster_markers
from backend.search.grid import MAX_ROWS, Grid, _mercator_y
from backend.search.port import WORLD, AreaCount, BoundingBox, HotelDoc

PARIS = BoundingBox(ne_lat=49.0, ne_lng=2.6, sw_lat=48.7, sw_lng=2.1)


def doc(id: int, lat: float, lng: float) -> HotelDoc:
    return HotelDoc(
        id=id, name=f"H{id}", city="Paris", country="FR", lat=lat, lng=lng, rating=4.0,
        amenities=[], description="", currency="EUR", price_min=90, price_max=90, max_capacity=2,
    )  # fmt: skip


def test_cells_are_square_on_the_map_so_the_rows_follow_the_viewport_shape() -> None:
    grid = Grid.over(PARIS, 6)
    assert grid.columns == 6
    # 0.5 degrees of longitude by 0.3 of latitude at 49 N: 0.3 / cos(49) = 0.457 "map degrees".
    assert grid.rows == round(6 * 0.457 / 0.5) == 5
    for row in range(grid.rows):
        box = grid.box(0, row)
        height = _mercator_y(box.ne_lat) - _mercator_y(box.sw_lat)
        width = math.radians(box.ne_lng - box.sw_lng)
        assert height / width == pytest.approx(1.0, rel=0.12)
    tall = Grid.over(BoundingBox(ne_lat=10, ne_lng=1, sw_lat=-10, sw_lng=0), 4)
    assert tall.rows == MAX_ROWS  # 20 x 1 degrees: far taller than wide, capped
    assert Grid.over(WORLD, 6).rows == 6  # the Mercator world is square


def test_cells_cover_the_box_without_overlapping() -> None:
    grid = Grid.over(PARIS, 5)
    boxes = grid.boxes()
    assert len(boxes) == grid.columns * grid.rows
    assert (boxes[0].sw_lat, boxes[0].sw_lng) == (PARIS.sw_lat, PARIS.sw_lng)
    assert (boxes[-1].ne_lat, boxes[-1].ne_lng) == (PARIS.ne_lat, PARIS.ne_lng)
    rng = random.Random(3)
    points = [(rng.uniform(48.7, 49.0), rng.uniform(2.1, 2.6)) for _ in range(2000)]
    # Points exactly on inner edges, and the box's corners.
    points += [(lat, lng) for lat in grid.lat_edges for lng in grid.lng_edges]
    for lat, lng in points:
        holders = [i for i, box in enumerate(boxes) if box.contains(lat, lng)]
        assert holders == [grid.cell_of(lat, lng)], (lat, lng)


def test_a_grid_needs_one_to_twelve_columns() -> None:
    with pytest.raises(ValueError):
        Grid.over(PARIS, 0)
    with pytest.raises(ValueError):
        Grid.over(PARIS, 13)
    flat = Grid.over(BoundingBox(ne_lat=1, ne_lng=2, sw_lat=1, sw_lng=0), 3)
    assert flat.rows == 1  # a viewport without height still has a row


def test_binning_counts_every_doc_once_at_its_mean_position() -> None:
    grid = Grid.over(PARIS, 2)  # 2 x 2 (rows: round(2 * 0.457 / 0.5) = 2)
    docs = [doc(1, 48.75, 2.2), doc(2, 48.77, 2.24), doc(3, 48.95, 2.5)]
    counts = grid.count(((d.lat, d.lng) for d in docs), exact=True)
    assert [c.count for c in counts] == [2, 0, 0, 1]
    assert counts[0] == AreaCount(2, True, pytest.approx(48.76), pytest.approx(2.22))  # type: ignore[arg-type]
    assert counts[1] == AreaCount(0, True)
    assert not grid.count(((d.lat, d.lng) for d in docs), exact=False)[3].exact


def test_area_count_of_a_sample() -> None:
    assert AreaCount.of([], 0, True) == AreaCount(0, True, 0.0, 0.0)
    sampled = AreaCount.of([(1.0, 2.0), (3.0, 4.0)], 1000, False)
    assert (sampled.count, sampled.exact, sampled.lat, sampled.lng) == (1000, False, 2.0, 3.0)


class Hit:
    def __init__(self, lat: float, lng: float) -> None:
        self.lat, self.lng = lat, lng


def test_bubbles_count_only_the_hits_without_a_price_marker() -> None:
    west = ClusterCell(0, 0, 1, 1, count=5, count_exact=True, lat=0.5, lng=0.5)
    east = ClusterCell(0, 1.1, 1, 2, count=2, count_exact=True, lat=0.5, lng=1.5)
    crowded = ClusterCell(2, 0, 3, 1, count=1000, count_exact=False, lat=2.5, lng=0.5)
    listed = [Hit(0.2, 0.2), Hit(0.8, 0.9), Hit(0.5, 1.5), Hit(0.4, 1.2), Hit(2.5, 0.5)]
    bubbles = cluster_markers([west, east, crowded], listed)
    # West: 5 hits, 2 listed -> "3"; east: both listed -> no bubble; crowded: "999+".
    assert [(b["id"], b["count"], b["label"]) for b in bubbles] == [(1, 3, "3"), (3, 999, "999+")]
    assert bubbles[0]["bounds"] == [[0, 0], [1, 1]]
    assert bubbles[0]["title"] == "3 more hotels here: zoom in"
    one = cluster_markers([ClusterCell(0, 0, 1, 1, count=1, lat=0.5, lng=0.5)], [])
    assert one[0]["title"] == "1 more hotel here: zoom in"
