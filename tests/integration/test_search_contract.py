"""One contract, two engines: the embedded index (local) and Meilisearch (full) must agree."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from modes import MODES

from backend.search.embedded import EmbeddedIndex
from backend.search.grid import Grid
from backend.search.meili import MeiliIndex
from backend.search.port import (
    TOTAL_CAP,
    WORLD,
    BoundingBox,
    HotelDoc,
    PriceMatch,
    SearchIndex,
    SearchQuery,
    Sort,
)


def doc(id: int, lat: float, lng: float, price: float, **fields: object) -> HotelDoc:
    base: dict[str, object] = {
        "name": f"Plain Stay {id}",
        "city": "Alderton",
        "country": "GB",
        "rating": 3.0 + id / 10,
        "amenities": ["wifi"],
        "description": "Rooms and beds.",
        "currency": "EUR",  # the queries' bounds are in euros: the same figures
        "price_max": price + 50,
        "max_capacity": 2,
    }
    base.update(fields)
    return HotelDoc(id=id, lat=lat, lng=lng, price_min=price, **base)  # type: ignore[arg-type]


BOX = BoundingBox(ne_lat=41.0, ne_lng=11.0, sw_lat=40.0, sw_lng=10.0)
DOCS = [
    doc(1, 40.0, 10.0, 100, name="Zephyr Palace", amenities=["WiFi", "pool"], rating=4.9),  # SW
    doc(2, 40.5, 10.5, 80, name="Harbor Lodge", description="A morning zephyr on the terrace."),
    doc(3, 41.0, 11.0, 210, name="Corner Inn", city="Brixham", max_capacity=4),  # NE corner
    doc(4, 41.0, 10.5, 150, amenities=["wifi", "pool", "spa"], price_max=400),  # north edge
    doc(5, 40.5, 10.0, 60, amenities=[]),  # west edge
    doc(6, 41.001, 10.5, 90),  # just north of the box
    doc(7, 40.5, 11.001, 95),  # just east of the box
    doc(8, -33.9, 151.2, 300, name="Opera Suites", city="Sydney", country="AU", max_capacity=6),
]
IN_BOX = {1, 2, 3, 4, 5}


@pytest.fixture(scope="module", params=MODES)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SearchIndex]:
    index: SearchIndex
    if request.param == "local":
        index = EmbeddedIndex(Path(tmp_path_factory.mktemp("search")) / "search.db")
    else:
        if not os.environ.get("MEILI_URL"):
            pytest.fail("Full-mode search tests need MEILI_URL (run `make test`).")
        index = MeiliIndex(
            os.environ["MEILI_URL"],
            os.environ.get("MEILI_MASTER_KEY"),
            f"test_{uuid.uuid4().hex[:10]}",
        )
    index.ensure_ready()
    index.upsert(DOCS)
    yield index
    index.drop()


def ids(index: SearchIndex, **query: object) -> list[int]:
    return [h.id for h in index.search(SearchQuery(**query)).hits]  # type: ignore[arg-type]


def test_viewport_includes_hotels_exactly_on_the_edges(engine: SearchIndex) -> None:
    result = engine.search(SearchQuery(bbox=BOX, limit=100))
    assert {h.id for h in result.hits} == IN_BOX
    assert result.total == 5 and result.exact


def test_empty_viewport_and_whole_world(engine: SearchIndex) -> None:
    empty = engine.search(SearchQuery(bbox=BoundingBox(1, 1, 0, 0)))
    assert empty.hits == [] and empty.total == 0
    world = engine.search(SearchQuery(bbox=WORLD, limit=100))
    assert world.total == 8 and {h.id for h in world.hits} == {d.id for d in DOCS}
    no_box = engine.search(SearchQuery(limit=100))
    assert no_box.total == 8


def test_hits_carry_the_whole_document(engine: SearchIndex) -> None:
    [hit] = engine.search(SearchQuery(text="Opera")).hits
    assert hit == DOCS[7]


def test_text_matches_prefixes_in_name_city_and_description(engine: SearchIndex) -> None:
    assert set(ids(engine, text="zeph")) == {1, 2}
    assert ids(engine, text="brixh") == [3]
    assert set(ids(engine, text="alderton zephyr")) == {1, 2}
    assert ids(engine, text="zephyr", bbox=BoundingBox(40.6, 10.6, 40.4, 10.4)) == [2]
    assert ids(engine, text="qqqxxz") == []


def test_relevance_ranks_a_name_match_above_a_description_match(engine: SearchIndex) -> None:
    assert ids(engine, text="zephyr") == [1, 2]


def test_price_range_on_the_lowest_price(engine: SearchIndex) -> None:
    assert set(ids(engine, min_price=90, max_price=150, limit=100)) == {1, 4, 6, 7}
    assert set(ids(engine, min_price=210, limit=100)) == {3, 8}
    assert set(ids(engine, max_price=60, limit=100)) == {5}


def test_price_range_touching_any_room(engine: SearchIndex) -> None:
    # Hotel 4's rooms cost 150..400: a 300-350 budget can still fit one of them.
    loose = ids(engine, min_price=300, max_price=350, price_match=PriceMatch.ANY_ROOM, limit=100)
    assert set(loose) == {4, 8}


MIXED_BOX = BoundingBox(ne_lat=-49.0, ne_lng=-119.0, sw_lat=-50.0, sw_lng=-120.0)
MIXED = [  # by their own figures 104 < 102 < 103 < 101; in euros 80 < 90 < 100 < 110
    doc(101, -49.5, -119.5, 18590, currency="JPY", price_max=33800),  # 110 EUR, up to 200
    doc(102, -49.5, -119.4, 90, currency="EUR", price_max=90),
    doc(103, -49.5, -119.3, 117, currency="USD", price_max=234),  # 100 EUR, up to 200
    doc(104, -49.5, -119.2, 68.4, currency="GBP", price_max=68.4),  # 80 EUR
]


def test_prices_compare_in_euros_across_currencies(engine: SearchIndex) -> None:
    engine.upsert(MIXED)
    try:
        assert [d.price_min_eur for d in MIXED] == [110.0, 90.0, 100.0, 80.0]
        assert ids(engine, bbox=MIXED_BOX, sort=Sort.PRICE_ASC) == [104, 102, 103, 101]
        assert ids(engine, bbox=MIXED_BOX, sort=Sort.PRICE_DESC) == [101, 103, 102, 104]
        assert set(ids(engine, bbox=MIXED_BOX, min_price=85, max_price=100)) == {102, 103}
        loose = ids(
            engine, bbox=MIXED_BOX, min_price=150, max_price=250, price_match=PriceMatch.ANY_ROOM
        )
        assert set(loose) == {101, 103}
        [hit] = engine.search(SearchQuery(bbox=MIXED_BOX, min_price=105)).hits
        assert hit == MIXED[0] and hit.price_min == 18590 and hit.currency == "JPY"
    finally:
        engine.delete([d.id for d in MIXED])


def test_amenities_are_all_of_and_case_insensitive(engine: SearchIndex) -> None:
    assert set(ids(engine, amenities=("wifi", "pool"), limit=100)) == {1, 4}
    assert ids(engine, amenities=("wifi", "pool", "spa")) == [4]
    assert ids(engine, amenities=("sauna",)) == []


def test_capacity(engine: SearchIndex) -> None:
    assert set(ids(engine, min_capacity=4, limit=100)) == {3, 8}


def test_sort_orders(engine: SearchIndex) -> None:
    by_price = sorted(DOCS, key=lambda d: d.price_min)
    assert ids(engine, sort=Sort.PRICE_ASC, limit=100) == [d.id for d in by_price]
    assert ids(engine, sort=Sort.PRICE_DESC, limit=100) == [d.id for d in reversed(by_price)]
    by_rating = sorted(DOCS, key=lambda d: -d.rating)
    assert ids(engine, sort=Sort.RATING_DESC, limit=100) == [d.id for d in by_rating]
    assert ids(engine, bbox=BOX, sort=Sort.PRICE_ASC) == [5, 2, 1, 4, 3]
    assert ids(engine, text="zephyr", sort=Sort.PRICE_ASC) == [2, 1]  # sort beats relevance


def test_pagination_is_a_partition_with_an_exact_total(engine: SearchIndex) -> None:
    everything = ids(engine, sort=Sort.PRICE_ASC, limit=100)
    pages = []
    for offset in (0, 3, 6):
        result = engine.search(SearchQuery(sort=Sort.PRICE_ASC, limit=3, offset=offset))
        assert result.total == 8
        pages += [h.id for h in result.hits]
    assert pages == everything
    assert ids(engine, sort=Sort.PRICE_ASC, limit=3, offset=2) == everything[2:5]
    past_the_end = engine.search(SearchQuery(sort=Sort.PRICE_ASC, limit=5, offset=8))
    assert past_the_end.hits == [] and past_the_end.total == 8
    assert ids(engine, limit=3) == [1, 2, 3]  # relevance without text: stable id order


# A crowded viewport far from the others: more hits than engines count exhaustively.
CROWD_BOX = BoundingBox(ne_lat=-59.0, ne_lng=-99.0, sw_lat=-60.0, sw_lng=-100.0)
CROWD = [
    doc(
        10_000 + i,
        -60.0 + (i % 40) * 0.02,
        -100.0 + (i // 40) * 0.02,
        100 + i % 250,  # ties on price: the id breaks them
        rating=1.0 + (i % 41) / 10,
        amenities=["wifi"] + ["onsen"] * (i < TOTAL_CAP - 1) + ["hammam"] * (i < TOTAL_CAP),
    )
    for i in range(TOTAL_CAP + 10)
]


@pytest.fixture
def crowd(engine: SearchIndex) -> Iterator[SearchIndex]:
    engine.upsert(CROWD)
    yield engine
    engine.delete([d.id for d in CROWD])


def test_totals_are_exact_below_the_cap_and_capped_above(crowd: SearchIndex) -> None:
    everything = crowd.search(SearchQuery(bbox=CROWD_BOX))
    assert (everything.total, everything.exact) == (TOTAL_CAP, False)
    one_short = crowd.search(SearchQuery(bbox=CROWD_BOX, amenities=("onsen",)))
    assert (one_short.total, one_short.exact) == (TOTAL_CAP - 1, True)
    exactly = crowd.search(SearchQuery(bbox=CROWD_BOX, amenities=("hammam",)))
    assert (exactly.total, exactly.exact) == (TOTAL_CAP, False)
    cheap = crowd.search(SearchQuery(bbox=CROWD_BOX, max_price=101))
    assert (cheap.total, cheap.exact) == (10, True)  # prices 100 and 101, 5 times each


def test_a_crowded_viewport_pages_in_order(crowd: SearchIndex) -> None:
    def expected(key: Callable[[HotelDoc], Any], offset: int = 0) -> list[int]:
        ordered = sorted(CROWD, key=key)
        return [d.id for d in ordered[offset : offset + 20]]

    box = CROWD_BOX
    assert ids(crowd, bbox=box, sort=Sort.PRICE_ASC) == expected(lambda d: (d.price_min, d.id))
    assert ids(crowd, bbox=box, sort=Sort.PRICE_ASC, offset=40) == expected(
        lambda d: (d.price_min, d.id), 40
    )
    assert ids(crowd, bbox=box, sort=Sort.PRICE_DESC) == expected(lambda d: (-d.price_min, d.id))
    assert ids(crowd, bbox=box, sort=Sort.RATING_DESC) == expected(lambda d: (-d.rating, d.id))
    assert ids(crowd, bbox=box, offset=7) == expected(lambda d: d.id, 7)
    last = crowd.search(SearchQuery(bbox=box, amenities=("onsen",), limit=10, offset=990))
    assert [h.id for h in last.hits] == [d.id for d in CROWD[990 : TOTAL_CAP - 1]]
    assert (last.total, last.exact) == (TOTAL_CAP - 1, True)
    spa = [d for d in CROWD[:TOTAL_CAP] if d.price_min >= 300]  # the ones with "hammam"
    expensive_first = [d.id for d in sorted(spa, key=lambda d: (-d.price_min, d.id))][:20]
    query = {"bbox": box, "amenities": ("hammam",), "min_price": 300, "sort": Sort.PRICE_DESC}
    assert ids(crowd, **query) == expensive_first


def test_no_page_reaches_past_the_cap(crowd: SearchIndex) -> None:
    # Meilisearch never returns the hits after its maxTotalHits-th; the embedded engine agrees.
    edge = crowd.search(SearchQuery(bbox=CROWD_BOX, offset=TOTAL_CAP - 10, limit=20))
    assert [h.id for h in edge.hits] == [d.id for d in CROWD[TOTAL_CAP - 10 : TOTAL_CAP]]
    beyond = crowd.search(SearchQuery(bbox=CROWD_BOX, offset=TOTAL_CAP, limit=20))
    assert (beyond.hits, beyond.total, beyond.exact) == ([], TOTAL_CAP, False)


def test_area_counts_partition_the_hits_and_sit_among_them(engine: SearchIndex) -> None:
    grid = Grid.over(BOX, 2)  # 2 x 3 over the box (a degree of latitude at 40 N is taller)
    counts = engine.count_areas(SearchQuery(), grid)
    expected = [0] * len(grid.boxes())
    for d in DOCS:
        if d.id in IN_BOX:
            expected[grid.cell_of(d.lat, d.lng)] += 1
    assert [c.count for c in counts] == expected and sum(expected) == len(IN_BOX)
    for box, area in zip(grid.boxes(), counts, strict=True):
        assert area.exact
        if area.count:
            assert box.contains(area.lat, area.lng)
    # The query's filters apply in every cell, its own bbox does not.
    whole = Grid.over(BOX, 1)
    pooled = engine.count_areas(SearchQuery(bbox=WORLD, amenities=("pool",)), whole)
    assert [(a.count, a.lat, a.lng) for a in pooled] == [(2, 40.5, 10.25)]  # hotels 1 and 4
    assert [a.count for a in engine.count_areas(SearchQuery(text="zephyr"), whole)] == [2]
    world = engine.count_areas(SearchQuery(), Grid.over(WORLD, 2))
    assert sum(a.count for a in world) == len(DOCS)


def test_area_counts_stop_at_the_cap_like_totals(crowd: SearchIndex) -> None:
    cell = Grid(
        lng_edges=(CROWD_BOX.sw_lng, CROWD_BOX.ne_lng),
        lat_edges=(CROWD_BOX.sw_lat, CROWD_BOX.ne_lat),
    )
    [full] = crowd.count_areas(SearchQuery(), cell)
    [short] = crowd.count_areas(SearchQuery(amenities=("onsen",)), cell)
    assert (full.count, full.exact) == (TOTAL_CAP, False)
    assert (short.count, short.exact) == (TOTAL_CAP - 1, True)
    assert CROWD_BOX.contains(full.lat, full.lng)
    # More hits than the cap in the grid: cell by cell (Meilisearch's multi-search), and the
    # cells below the cap are still exact.
    world = Grid.over(WORLD, 2)
    expected = [0] * 4
    for d in DOCS:
        expected[world.cell_of(d.lat, d.lng)] += 1
    expected[world.cell_of(CROWD[0].lat, CROWD[0].lng)] = TOTAL_CAP
    counts = crowd.count_areas(SearchQuery(), world)
    assert [a.count for a in counts] == expected
    assert [a.exact for a in counts] == [n < TOTAL_CAP for n in expected]


def test_the_embedded_engine_counts_a_dense_grid_cell_by_cell_the_same(tmp_path: Path) -> None:
    """Above `dense_limit` hits the embedded engine scans each cell (at most TOTAL_CAP rows)
    instead of grouping every hit in one pass: the same counts, and the same means below the cap."""
    one_pass, per_cell = (
        EmbeddedIndex(tmp_path / "a.db"),
        EmbeddedIndex(tmp_path / "b.db", dense_limit=3),
    )
    for index in (one_pass, per_cell):
        index.upsert(DOCS + CROWD)
    try:
        for query, grid in (
            (SearchQuery(), Grid.over(BOX, 3)),
            (SearchQuery(max_price=120), Grid.over(CROWD_BOX, 4)),
            (SearchQuery(), Grid.over(WORLD, 2)),
        ):
            fast, slow = one_pass.count_areas(query, grid), per_cell.count_areas(query, grid)
            assert [(a.count, a.exact) for a in fast] == [(a.count, a.exact) for a in slow]
            for a, b in zip(fast, slow, strict=True):
                if a.exact:
                    assert (a.lat, a.lng) == (pytest.approx(b.lat), pytest.approx(b.lng))
        assert sum(a.count for a in fast) == TOTAL_CAP + len(DOCS)  # the crowd's cell is capped
    finally:
        one_pass.drop()
        per_cell.drop()


def test_upsert_replaces_and_delete_removes(engine: SearchIndex) -> None:
    renamed = replace(DOCS[4], name="Quokka Rest", price_min=61.0)
    engine.upsert([renamed])
    try:
        assert engine.count() == 8
        assert ids(engine, text="quokka") == [5]
        assert engine.search(SearchQuery(text="quokka")).hits[0].price_min == 61.0
        engine.delete([5, 424242])  # an unknown id is no error
        assert ids(engine, text="quokka") == [] and engine.count() == 7
    finally:
        engine.upsert([DOCS[4]])
    assert engine.count() == 8


def test_rebuild_swaps_in_a_fresh_index_while_searches_keep_working(engine: SearchIndex) -> None:
    failures: list[BaseException] = []
    stop = threading.Event()

    def keep_searching() -> None:
        while not stop.is_set():
            try:
                assert engine.search(SearchQuery(bbox=BOX)).total >= 1
            except BaseException as error:  # collected and asserted on below
                failures.append(error)

    searcher = threading.Thread(target=keep_searching)
    searcher.start()
    done: list[int] = []
    try:
        fresh = [replace(d, name=f"Rebuilt {d.id}") if d.id == 2 else d for d in DOCS]
        assert engine.rebuild([fresh[:4], fresh[4:]], done.append) == 8
    finally:
        stop.set()
        searcher.join()
    assert failures == [] and sum(done) == 8
    assert ids(engine, text="rebuilt") == [2] and engine.count() == 8
    engine.upsert([DOCS[1]])


def test_a_rebuild_that_fails_midway_leaves_the_live_index_as_it_was(engine: SearchIndex) -> None:
    """The database going away halfway through a reindex: the error reaches the caller, the live
    index keeps every document, and both writes and the next rebuild still work."""

    def batches_then_failure() -> Iterator[list[HotelDoc]]:
        yield [replace(d, name=f"Halfway {d.id}") for d in DOCS[:4]]
        raise ConnectionError("the database went away")

    with pytest.raises(ConnectionError):
        engine.rebuild(batches_then_failure(), lambda n: None)
    assert ids(engine, text="halfway") == [] and engine.count() == 8
    assert ids(engine, text="opera") == [8]
    engine.upsert([replace(DOCS[0], name="Zephyr Lodge Again")])
    assert ids(engine, text="again") == [1]
    assert engine.rebuild([DOCS], lambda n: None) == 8
    assert ids(engine, text="again") == [] and engine.count() == 8
