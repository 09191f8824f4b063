"""Redis cache in front of any SearchIndex (the same port, wrapped).

Key = index name + cache version + a digest of the normalized query (the service snaps the viewport
outward and sorts amenities first, so near-identical map moves share a key). Writes through this
wrapper (the sync worker's batches, a reindex) bump the version once the index confirmed them, so
every older entry is unreachable at once; the short TTL sweeps them out of memory.

The version is read *before* the index is queried: a result computed from pre-change data is
stored under the old version and never served after the bump.

Redis trouble never fails a search: the wrapper logs and asks the index directly.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict

import redis

from backend.search.port import HotelDoc, Progress, SearchIndex, SearchQuery, SearchResult

log = logging.getLogger("trinity.search.cache")


def query_digest(query: SearchQuery) -> str:
    raw = json.dumps(asdict(query), sort_keys=True, default=str)
    return hashlib.sha1(raw.encode()).hexdigest()


class CachedSearch:
    def __init__(self, inner: SearchIndex, client: redis.Redis, ttl_seconds: int, name: str):
        self.inner = inner
        self.redis = client
        self.ttl = ttl_seconds
        self.prefix = f"search:{name}"

    # -- reads ---------------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        if self.ttl <= 0:
            return self.inner.search(query)
        try:
            version = _text(self.redis.get(f"{self.prefix}:version")) or "0"
            key = f"{self.prefix}:q:{version}:{query_digest(query)}"
            cached = _text(self.redis.get(key))
        except redis.RedisError as error:
            log.warning("search cache unavailable, asking the index: %s", error)
            return self.inner.search(query)
        if cached is not None:
            self._count("hits")
            return _decode(cached)
        self._count("misses")
        result = self.inner.search(query)
        try:
            self.redis.set(key, _encode(result), ex=self.ttl)
        except redis.RedisError as error:
            log.warning("could not store a search result: %s", error)
        return result

    def _count(self, what: str) -> None:
        # A lost counter tick is not worth failing a search.
        with contextlib.suppress(redis.RedisError):
            self.redis.incr(f"{self.prefix}:{what}")

    def stats(self) -> dict[str, int]:
        hits, misses, version = self.redis.mget(  # type: ignore[misc]
            f"{self.prefix}:hits", f"{self.prefix}:misses", f"{self.prefix}:version"
        )
        return {"hits": int(hits or 0), "misses": int(misses or 0), "version": int(version or 0)}

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


def _encode(result: SearchResult) -> str:
    return json.dumps(
        {"hits": [asdict(h) for h in result.hits], "total": result.total, "exact": result.exact}
    )


def _decode(raw: str) -> SearchResult:
    body = json.loads(raw)
    return SearchResult(
        hits=[HotelDoc(**h) for h in body["hits"]], total=body["total"], exact=body["exact"]
    )
