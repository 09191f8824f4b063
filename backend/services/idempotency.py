"""Idempotency-Key handling: the first response to a key is stored and replayed.

Concurrent replays of one key are serialized by a Redis lock, so exactly one of them runs the
action; the others wait and replay what it stored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from backend.context import Context
from backend.db import transaction
from backend.errors import IdempotencyKeyReused, InvalidInput
from backend.models import IdempotencyRecord

Response = tuple[int, dict[str, Any]]
RETENTION = timedelta(hours=48)
MAX_KEY_LENGTH = 255


def request_hash(secret_key: str, body: dict[str, Any]) -> str:
    """A keyed fingerprint (HMAC-SHA256 with the app's secret): the checkout's body holds a card
    number, and a plain hash of {booking_id, card_number} kept for 48 h could be brute-forced
    back to the card (16 digits, Luhn, a known prefix) by anyone who reads the table."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(secret_key.encode(), canonical.encode(), hashlib.sha256).hexdigest()


def run_once(
    ctx: Context,
    *,
    user_id: int,
    scope: str,
    key: str,
    body: dict[str, Any],
    action: Callable[[], Response],
) -> Response:
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise InvalidInput("Idempotency-Key must be 1 to 255 characters long.")
    fingerprint = request_hash(ctx.settings.secret_key, body)
    with ctx.key_locks.hold_all([f"idempotency:{scope}:{user_id}:{key}"]):
        stored = _find(ctx, user_id, scope, key)
        if stored is not None:
            if stored.request_hash != fingerprint:
                raise IdempotencyKeyReused(
                    "This Idempotency-Key was already used with a different request body."
                )
            return stored.status_code, stored.response
        status, response = action()
        record = IdempotencyRecord(
            user_id=user_id,
            scope=scope,
            key=key,
            request_hash=fingerprint,
            status_code=status,
            response=response,
        )
        try:
            with transaction(ctx.engine) as session:
                session.add(record)
        except IntegrityError:
            # Only reachable if the key's lock expired mid-action: the first stored answer wins.
            first = _find(ctx, user_id, scope, key)
            if first is not None:
                return first.status_code, first.response
            raise
        return status, response


def _find(ctx: Context, user_id: int, scope: str, key: str) -> IdempotencyRecord | None:
    with transaction(ctx.engine) as session:
        return session.exec(
            select(IdempotencyRecord)
            .where(IdempotencyRecord.user_id == user_id)
            .where(IdempotencyRecord.scope == scope)
            .where(IdempotencyRecord.key == key)
        ).first()


def purge_expired(ctx: Context) -> int:
    with transaction(ctx.engine) as session:
        result = session.execute(
            delete(IdempotencyRecord).where(
                col(IdempotencyRecord.created_at) < ctx.clock() - RETENTION
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
