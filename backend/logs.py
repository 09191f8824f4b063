"""JSON log lines that carry the request, booking and order ids across processes.

`bind(request_id=..., order_id=...)` puts ids into a context variable; every log record written
inside the block carries them, whichever module logs. Events and messages carry the same ids, so a
worker binds them again and one grep follows a booking through the web app, relay and workers.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_ids: ContextVar[dict[str, object]] = ContextVar("trinity_log_ids", default={})  # noqa: B039


@contextmanager
def bind(**ids: object) -> Iterator[None]:
    token = _ids.set({**_ids.get(), **{k: v for k, v in ids.items() if v is not None}})
    try:
        yield
    finally:
        _ids.reset(token)


def current_ids() -> dict[str, object]:
    return dict(_ids.get())


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **_ids.get(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_logging(level: str = "INFO") -> None:
    """Send Trinity's loggers to stderr as JSON lines (idempotent)."""
    logger = logging.getLogger("trinity")
    if any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
