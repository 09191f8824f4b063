"""Meilisearch adapter (full mode): settings made by code, the viewport as two numeric ranges.

Every write waits for its task, so "upsert returned" means "searchable": the sync worker advances
its checkpoint only after that.

Why `lat`/`lng` ranges and not `_geoBoundingBox`: with `_geo` filterable, Meilisearch 1.21
rewrites its whole geo tree on every document write ("writing geo points": ~1 s per one-document
write at 100k hotels, growing linearly), which rules out sub-second sync. Two range filters on
plain numeric facets gave the same hits for 300 of 300 benchmark viewports at the same latency
(p50 3.8 vs 3.7 ms at 100k), and a one-document write costs tens of milliseconds.

Searches, document writes and task polls go through our own kept-alive client (`meili_http.py`
says why); the SDK is left with the rare index-level calls (create, settings, swap, delete). A
rebuild's additions may be NDJSON the database already built (`EncodedBatch`).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

import meilisearch

from backend.search.grid import Grid
from backend.search.meili_http import MeiliHttp, MeiliHttpError
from backend.search.port import (
    TOTAL_CAP,
    WORLD,
    AreaCount,
    BoundingBox,
    EncodedBatch,
    HotelDoc,
    Progress,
    SearchQuery,
    SearchResult,
    Sort,
)

log = logging.getLogger("trinity.search.meili")

REBUILD_TIMEOUT_MS = 3_600_000
# Clusters: up to FEW_HITS hits are counted from their positions; above, each cell is counted by
# Meilisearch and placed by the mean of its first AREA_SAMPLE hits (by id: spread like the hotels).
FEW_HITS = 200
AREA_SAMPLE = 10
ADD_TIMEOUT_S = 120.0  # a loaded server can take a while to store a large payload
SETTINGS: dict[str, Any] = {
    "searchableAttributes": ["name", "city", "description"],
    # Only what filters() uses: every facet costs indexing time on each write.
    "filterableAttributes": [
        "lat", "lng", "id", "price_min_eur", "price_max_eur", "amenities", "max_capacity",
    ],
    # Prices are compared in euros: hotels of different currencies on one scale.
    "sortableAttributes": ["price_min_eur", "rating", "id"],
    # Nothing searches facet values, and proximity "same attribute or not" spares the word-pair
    # databases (a quarter of a full index build at 100k); both are paid on every write.
    "facetSearch": False,
    "proximityPrecision": "byAttribute",
    # `sort` first: an explicit sort order is strict even with text; relevance ties break by id
    # so pages never overlap or skip (the embedded index breaks ties the same way).
    "rankingRules": ["sort", "words", "typo", "proximity", "attribute", "exactness", "id:asc"],
    "pagination": {"maxTotalHits": TOTAL_CAP},
}  # fmt: skip
SORT = {
    Sort.PRICE_ASC: ["price_min_eur:asc"],
    Sort.PRICE_DESC: ["price_min_eur:desc"],
    Sort.RATING_DESC: ["rating:desc"],
}


class IndexWriteFailed(RuntimeError):
    """Meilisearch accepted a task but could not apply it."""


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def filters(query: SearchQuery) -> list[str]:
    parts: list[str] = []
    box = query.bbox
    if box is not None and box != WORLD:
        parts += [f"lat {box.sw_lat} TO {box.ne_lat}", f"lng {box.sw_lng} TO {box.ne_lng}"]
    low, high = query.price_match.bound_fields()
    if query.min_price is not None:
        parts.append(f"{low} >= {query.min_price}")
    if query.max_price is not None:
        parts.append(f"{high} <= {query.max_price}")
    parts += [f"amenities = {_quote(a)}" for a in query.amenities]
    if query.min_capacity is not None:
        parts.append(f"max_capacity >= {query.min_capacity}")
    return parts


def _index_missing(error: MeiliHttpError) -> bool:
    return error.status == 404 and error.code == "index_not_found"


def to_document(doc: HotelDoc) -> dict[str, Any]:
    # A copy of the fields, not dataclasses.asdict: its deep copy cost ~10x more per document,
    # a sizeable share of a 1M-hotel rebuild's CPU.
    return dict(vars(doc))


def from_hit(hit: dict[str, Any]) -> HotelDoc:
    return HotelDoc.from_fields(hit)


class MeiliIndex:
    def __init__(
        self, url: str, api_key: str | None, uid: str, task_timeout_ms: int = 60_000
    ) -> None:
        self.client = meilisearch.Client(url, api_key, timeout=10)  # index-level calls only
        self.http = MeiliHttp(url, api_key, timeout=10)
        self.uid = uid
        self.task_timeout_ms = task_timeout_ms
        self._ready = False

    # -- writes --------------------------------------------------------------------------------

    def _wait(self, task_uid: int, timeout_ms: int | None = None, interval_ms: int = 5) -> None:
        """Poll the task on the kept-alive read client: the SDK's own wait opens a connection per
        poll (2.2 vs 0.8 ms of our CPU each); at a 5 ms interval that was a quarter of a core,
        taken from Meilisearch on a small machine while it indexes the very batch we wait for."""
        deadline = time.monotonic() + (timeout_ms or self.task_timeout_ms) / 1000
        while True:
            task = self.http.get(f"/tasks/{task_uid}")
            if task["status"] in ("succeeded", "failed", "canceled"):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"Meilisearch task {task_uid} still {task['status']}")
            time.sleep(interval_ms / 1000)
        if task["status"] != "succeeded":
            raise IndexWriteFailed(
                f"Meilisearch task {task_uid} {task['status']}: {task.get('error')}"
            )

    def _configure(self, uid: str) -> None:
        try:
            self._wait(self.client.create_index(uid, {"primaryKey": "id"}).task_uid)
        except IndexWriteFailed as error:
            if "index_already_exists" not in str(error):
                raise
        self._wait(self.client.index(uid).update_settings(SETTINGS).task_uid)

    def ensure_ready(self) -> None:
        if not self._ready:
            self._configure(self.uid)
            self._ready = True

    def upsert(self, docs: Sequence[HotelDoc]) -> None:
        if docs:
            self.ensure_ready()
            self._wait(self._add(self.uid, docs))

    def delete(self, ids: Sequence[int]) -> None:
        if ids:
            self.ensure_ready()
            id_list = ", ".join(str(int(i)) for i in ids)
            answer = self.http.post(
                f"/indexes/{self.uid}/documents/delete", {"filter": f"id IN [{id_list}]"}
            )
            self._wait(int(answer["taskUid"]))

    def rebuild(self, batches: Iterable[Sequence[HotelDoc]], progress: Progress) -> int:
        """Fill `<uid>__rebuild`, swap it with the live index, drop the old one."""
        fresh = f"{self.uid}__rebuild"
        self._drop(fresh)
        self._configure(fresh)
        # Enqueue everything first (Meilisearch batches consecutive additions), then follow the
        # tasks in order for the progress bar.
        pending = [(self._add(fresh, batch), len(batch)) for batch in batches]
        done = 0
        for task_uid, size in pending:
            # Meilisearch merges the queued additions into large batches: one wait can be minutes.
            self._wait(task_uid, timeout_ms=REBUILD_TIMEOUT_MS, interval_ms=200)
            done += size
            progress(size)
        self.ensure_ready()
        self._wait(self.client.swap_indexes([{"indexes": [self.uid, fresh]}]).task_uid)
        self._drop(fresh)
        return done

    def _add(self, uid: str, batch: Sequence[HotelDoc]) -> int:
        """Enqueue an addition; returns its task's uid."""
        if isinstance(batch, EncodedBatch):
            body, kind = batch.ndjson.encode(), "application/x-ndjson"
        else:
            body, kind = json.dumps([to_document(d) for d in batch]).encode(), "application/json"
        answer = self.http.post(
            f"/indexes/{uid}/documents?primaryKey=id",
            body=body,
            content_type=kind,
            timeout=ADD_TIMEOUT_S,
        )
        return int(answer["taskUid"])

    def _drop(self, uid: str) -> None:
        try:
            self._wait(self.client.delete_index(uid).task_uid)
        except IndexWriteFailed as error:
            if "index_not_found" not in str(error):
                raise

    def drop(self) -> None:
        self._drop(self.uid)
        self._ready = False

    # -- reads ---------------------------------------------------------------------------------

    def ping(self) -> None:
        self.http.get("/health")

    def count(self) -> int:
        try:
            stats = self.http.get(f"/indexes/{self.uid}/stats")
        except MeiliHttpError as error:
            if _index_missing(error):
                return 0
            raise
        return int(stats["numberOfDocuments"])

    def count_areas(self, query: SearchQuery, grid: Grid) -> list[AreaCount]:
        """Up to FEW_HITS hits, one search for all their positions, counted here; more, one
        multi-search of a query per cell: page mode counts each exhaustively up to TOTAL_CAP, and
        its first AREA_SAMPLE hits place it. At 100k hotels, fetching 1000 positions took 50-80
        ms, 200 took ~10, a 36-cell multi-search 15-40."""
        try:
            few = self.http.post(
                f"/indexes/{self.uid}/search", self._positions(query, grid.bbox, FEW_HITS)
            )
            if int(few.get("totalHits", 0)) <= FEW_HITS:
                return grid.count(((h["lat"], h["lng"]) for h in few["hits"]), exact=True)
            queries = [
                {"indexUid": self.uid, **self._positions(query, box, AREA_SAMPLE)}
                for box in grid.boxes()
            ]
            body = self.http.post("/multi-search", {"queries": queries})
        except MeiliHttpError as error:
            if _index_missing(error):
                return [AreaCount(0, True) for _ in grid.boxes()]
            raise
        counts = []
        for result in body["results"]:
            total = int(result.get("totalHits", 0))
            points = [(h["lat"], h["lng"]) for h in result["hits"]]
            counts.append(AreaCount.of(points, total, total < TOTAL_CAP))
        return counts

    @staticmethod
    def _positions(query: SearchQuery, box: BoundingBox, hits: int) -> dict[str, Any]:
        """A search of `query` in `box` for the positions of its first `hits` hits, counted."""
        return {
            "q": query.text,
            "filter": filters(replace(query, bbox=box)),
            "matchingStrategy": "all",
            "page": 1,
            "hitsPerPage": hits,
            "attributesToRetrieve": ["lat", "lng"],
        }

    def search(self, query: SearchQuery) -> SearchResult:
        params: dict[str, Any] = {
            "q": query.text,
            "filter": filters(query),
            "matchingStrategy": "all",
        }
        if query.sort in SORT:
            params["sort"] = SORT[query.sort]
        # Page mode gives an exhaustive `totalHits`; an offset that is not a multiple of the
        # limit is served as one larger first page, cut here.
        aligned = query.offset % query.limit == 0
        if aligned:
            params.update(page=query.offset // query.limit + 1, hitsPerPage=query.limit)
        else:
            params.update(page=1, hitsPerPage=query.offset + query.limit)
        try:
            body = self.http.post(f"/indexes/{self.uid}/search", params)
        except MeiliHttpError as error:
            if _index_missing(error):  # nothing synced yet: honestly empty
                return SearchResult(hits=[], total=0)
            raise
        hits = body["hits"] if aligned else body["hits"][query.offset :]
        total = int(body.get("totalHits", 0))
        return SearchResult(hits=[from_hit(h) for h in hits], total=total, exact=total < TOTAL_CAP)
