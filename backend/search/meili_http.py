"""Meilisearch's REST API for the adapter's reads and bulk additions, on a kept-alive pool.

Why not the SDK: it sets and pops `Content-Type` on one headers dict shared by every call, so a
health ping on one thread can strip the header from a search on another (a 415; read in its code),
and it opens a new connection per call.

Why urllib3 and not httpx: a search is on every map move, and the client's own CPU is part of its
latency on a small machine. Per 20-hit search at 10k hotels, measured in one process (load ~6):
httpx 1.26 ms of our CPU, p50/p95 2.05/7.62 ms; urllib3 0.70 ms, 1.43/3.53 ms.

Why `Accept-Encoding: identity`: Meilisearch streams a gzipped body in several writes, and on a
kept-alive connection its Nagle waits for our delayed ACK: 40 ms on a share of searches. urllib3
sets TCP_NODELAY on its own side.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import HTTPError

from backend.errors import Unavailable


class MeiliHttpError(RuntimeError):
    """Meilisearch answered a request with an error status."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"Meilisearch answered {status}: {body.get('message', body)}")
        self.status = status
        self.code = str(body.get("code", ""))


log = logging.getLogger("trinity.search.meili")

UNREACHABLE = "The search engine is briefly unreachable. Please retry in a moment."


class MeiliHttp:
    """Thread-safe: urllib3 gives each concurrent request its own connection from the pool.

    One retry of any request, also after a connection the server closed while idle: every call
    made here is safe to repeat (a search; an upsert by id or a delete by filter is a new task
    with the same effect; a task poll).
    """

    # As many kept connections as FastAPI's worker threads (anyio's default limit): a search
    # beyond the pool's size gets a connection that is closed after it, with a warning.
    def __init__(self, url: str, api_key: str | None, timeout: float, pool_size: int = 40) -> None:
        headers = {"Accept-Encoding": "identity", "Content-Type": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self.base_path = urlsplit(url).path.rstrip("/")  # Meilisearch behind a path prefix
        self.pool = urllib3.connection_from_url(
            url,
            maxsize=pool_size,
            headers=headers,
            timeout=urllib3.Timeout(total=timeout),
            retries=urllib3.Retry(total=1, redirect=0, status=0, allowed_methods=None),
        )

    def get(self, path: str) -> Any:
        return self._request("GET", path)

    def post(
        self,
        path: str,
        payload: Any = None,
        *,
        body: bytes | None = None,
        content_type: str = "application/json",
        timeout: float | None = None,
    ) -> Any:
        """POST `payload` as JSON, or `body` as is with its `content_type`."""
        data = body if body is not None else json.dumps(payload).encode()
        return self._request("POST", path, data, content_type, timeout)

    def _request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str = "application/json",
        timeout: float | None = None,
    ) -> Any:
        extra: dict[str, Any] = {}
        if timeout is not None:
            extra["timeout"] = urllib3.Timeout(total=timeout)
        if content_type != "application/json":
            extra["headers"] = {**self.pool.headers, "Content-Type": content_type}
        try:
            response = self.pool.urlopen(method, self.base_path + path, body=body, **extra)
        except HTTPError as error:
            raise Unavailable(UNREACHABLE) from error
        # A busy or failing engine (5xx, 429), or a proxy's page instead of its JSON, is the
        # engine being unavailable to this request, not a fault in it: 503, not 500.
        if response.status >= 500 or response.status == 429:
            log.warning("Meilisearch answered %s: %.300r", response.status, response.data)
            raise Unavailable(UNREACHABLE)
        try:
            answer = json.loads(response.data) if response.data else {}
        except ValueError as error:
            log.warning("Meilisearch answered %s, not JSON: %.300r", response.status, response.data)
            raise Unavailable(UNREACHABLE) from error
        if response.status >= 400:
            raise MeiliHttpError(response.status, answer)
        return answer
