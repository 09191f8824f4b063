"""Redis cache in front of any SearchIndex (the same port, wrapped).

Key = index name + a digest of the normalized query (the service snaps the viewport outward and
sorts amenities first, so near-identical map moves share a key); the entry carries the cache
version it was computed under. Writes through this wrapper (the sync worker's batches, a reindex)
bump the version once the index confirmed them, so every older entry stops matching at once; the
short TTL sweeps them out of memory.

The version is read *before* the index is queried, in the same round trip as the entry: a result
computed from pre-change data is stored under the old version and never served after the bump.
A hit costs one round trip (version, entry and a lookup tick pipelined), a miss two; hits are
counted as lookups minus misses, so the hit path needs no second trip.

Redis trouble never fails a search: the wrapper logs and asks the index directly.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict
from typing import Any, TypeVar

import redis

from backend.search.grid import Grid
from backend.search.port import (
    AreaCount,
    HotelDoc,
    Progress,
    SearchIndex,
    SearchQuery,
    SearchResult,
)

log = logging.getLogger("trinity.search.cache")
T = TypeVar("T")


def query_digest(query: SearchQuery, *extra: object) -> str:
    raw = json.dumps([asdict(query), *extra], sort_keys=True, default=str)
    return hashlib.sha1(raw.encode()).hexdigest()


class CachedSearch:
    def __init__(self, inner: SearchIndex, client: redis.Redis, ttl_seconds: int, name: str):
        self.inner = inner
        self.redis = client
        self.ttl = ttl_seconds
        self.prefix = f"search:{name}"

    # -- reads ---------------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        return self._cached(
            query_digest(query), lambda: self.inner.search(query), _encode_result, _decode_result
        )

    def count_areas(self, query: SearchQuery, grid: Grid) -> list[AreaCount]:
        return self._cached(
            "areas:" + query_digest(query, asdict(grid)),
            lambda: self.inner.count_areas(query, grid),
            lambda counts: [asdict(c) for c in counts],
            lambda entry: [AreaCount(**c) for c in entry],
        )

    def _cached(
        self,
        digest: str,
        compute: Callable[[], T],
        encode: Callable[[T], Any],
        decode: Callable[[Any], T],
    ) -> T:
        if self.ttl <= 0:
            return compute()
        key = f"{self.prefix}:q:{digest}"
        try:
            with self.redis.pipeline(transaction=False) as pipe:
                pipe.get(f"{self.prefix}:version")
                pipe.get(key)
                pipe.incr(f"{self.prefix}:lookups")
                version, cached, _ = pipe.execute()
        except redis.RedisError as error:
            log.warning("search cache unavailable, asking the index: %s", error)
            return compute()
        version = _text(version) or "0"
        entry = json.loads(_text(cached) or "null")
        if entry is not None and entry["version"] == version:
            return decode(entry["value"])
        value = compute()
        try:
            with self.redis.pipeline(transaction=False) as pipe:
                body = json.dumps({"version": version, "value": encode(value)})
                pipe.set(key, body, ex=self.ttl)
                pipe.incr(f"{self.prefix}:misses")
                pipe.execute()
        except redis.RedisError as error:
            log.warning("could not store a search result: %s", error)
        return value

    def stats(self) -> dict[str, int]:
        lookups, misses, version = self.redis.mget(  # type: ignore[misc]
            f"{self.prefix}:lookups", f"{self.prefix}:misses", f"{self.prefix}:version"
        )
        misses = int(misses or 0)
        hits = max(0, int(lookups or 0) - misses)  # a miss in flight is briefly counted as a hit
        return {"hits": hits, "misses": misses, "version": int(version or 0)}

    def count(self) -> int:
        return self.inner.count()

    def ping(self) -> None:
        self.inner.ping()

    # -- writes: the index first, then the version bump ----------------------------------------

    def bump(self) -> None:
        try:
            self.redis.incr(f"{self.prefix}:version")
        except redis.RedisError as error:
            # Entries written before the change can live until their TTL runs out.
            log.warning("could not bump the search cache version: %s", error)

    def upsert(self, docs: Sequence[HotelDoc]) -> None:
        self.inner.upsert(docs)
        self.bump()

    def delete(self, ids: Sequence[int]) -> None:
        self.inner.delete(ids)
        self.bump()

    def rebuild(self, batches: Iterable[Sequence[HotelDoc]], progress: Progress) -> int:
        done = self.inner.rebuild(batches, progress)
        self.bump()
        return done

    def ensure_ready(self) -> None:
        self.inner.ensure_ready()

    def drop(self) -> None:
        self.inner.drop()
        self.bump()


def _text(value: object) -> str | None:
    # Works with clients made with or without decode_responses.
    return value.decode() if isinstance(value, bytes) else None if value is None else str(value)


def _encode_result(result: SearchResult) -> dict[str, Any]:
    # A copy of the fields, not dataclasses.asdict: its deep copy made a 20-hit miss cost 0.9 ms.
    hits = [dict(vars(h)) for h in result.hits]
    return {"hits": hits, "total": result.total, "exact": result.exact}


def _decode_result(entry: dict[str, Any]) -> SearchResult:
    return SearchResult(
        hits=[HotelDoc.from_fields(h) for h in entry["hits"]],
        total=entry["total"],
        exact=entry["exact"],
    )
