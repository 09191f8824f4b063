"""Search documents built by PostgreSQL as NDJSON: a 1M-hotel rebuild then makes no Python object
per hotel. The same documents as backend.search.documents builds in Python (a test holds the two
encodings equal field for field)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Engine, text

from backend.currency import INDEX_DECIMALS, rates_json
from backend.search.port import EncodedBatch


def _json_float(column: str) -> str:
    """A float column as JSON Python reads back as a float: PostgreSQL writes 4.0 as `4`."""
    return (
        f"CASE WHEN {column} = trunc({column}) THEN ({column}::text || '.0')::json "
        f"ELSE to_json({column}) END"
    )


# The same documents as _documents_query + to_document, built by PostgreSQL. Prices stay numeric
# (`99.00` reads back as a float), the euro prices too (backend/currency.py's index_euros,
# from the same table); amenities go through jsonb, which writes them on one line.
_ENCODED_PAGE = f"""
SELECT string_agg(doc, E'\\n' ORDER BY id), count(*), max(id) FROM (
  SELECT h.id, json_build_object(
    'id', h.id, 'name', h.name, 'city', h.city, 'country', h.country,
    'lat', {_json_float("h.lat")}, 'lng', {_json_float("h.lng")},
    'rating', {_json_float("h.rating")},
    'amenities', CASE json_typeof(h.amenities) WHEN 'array' THEN h.amenities::jsonb
                 ELSE '[]'::jsonb END,
    'description', h.description, 'currency', h.currency,
    'price_min', min(r.price), 'price_max', max(r.price), 'max_capacity', max(r.capacity),
    'price_min_eur', round(min(r.price) / (CAST(:rates AS jsonb) ->> h.currency)::numeric, {INDEX_DECIMALS}),
    'price_max_eur', round(max(r.price) / (CAST(:rates AS jsonb) ->> h.currency)::numeric, {INDEX_DECIMALS})
  )::text AS doc
  FROM hotels h JOIN room_types r ON r.hotel_id = h.id
  WHERE h.id > :last AND r.hotel_id > :last
  GROUP BY h.id ORDER BY h.id LIMIT :n
) page"""


def encoded_documents(engine: Engine, batch: int) -> Iterator[EncodedBatch]:
    """backend.search.documents.all_documents, encoded by PostgreSQL as NDJSON, one page per
    query (keyset pagination, as there)."""
    last = 0
    while True:
        with engine.connect() as conn:
            ndjson, size, last_id = conn.execute(
                text(_ENCODED_PAGE), {"last": last, "n": batch, "rates": rates_json()}
            ).one()
        if not size:
            return
        last = int(last_id)
        yield EncodedBatch(ndjson, int(size))
