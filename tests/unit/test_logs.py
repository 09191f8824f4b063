"""JSON logs carry the bound ids, nest, and forget them when the block ends."""

from __future__ import annotations

import json
import logging

from backend.logs import JsonFormatter, bind


def _format(message: str) -> dict:
    record = logging.LogRecord("trinity.test", logging.INFO, __file__, 1, message, None, None)
    return json.loads(JsonFormatter().format(record))


def test_bound_ids_appear_and_nest_and_go_away() -> None:
    with bind(request_id="r-1"):
        with bind(booking_id=7, order_id=None):
            line = _format("held")
        outer = _format("done")
    after = _format("later")
    assert line["request_id"] == "r-1" and line["booking_id"] == 7 and "order_id" not in line
    assert line["message"] == "held" and line["level"] == "info"
    assert outer == {**outer, "request_id": "r-1"} and "booking_id" not in outer
    assert "request_id" not in after
