"""Idempotency-Key handling: the first response to a key is stored and replayed.

Concurrent requests with one key are serialized by a Redis lock, so exactly one of them runs the
action; the others wait and replay what it stored. The answer is kept twice, for the retention
period: in Redis beside the key's lock (`ReplayGate`: the lookup and the lock are one round trip,
the hot path of every keyed hold) and, for answers that changed something (2xx), in the database,
whose unique key is the fence; a refusal (4xx) wrote nothing, so it is kept in Redis only. When Redis
has lost a key's answer (a flushed or replaced server), the action runs again and the insert
finds the first answer: that one is replayed (and cached again). The actions are safe to run twice
by themselves: a second hold of the guest's stay resumes the first, a second checkout of a
booking is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from backend.context import Context
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
    name = f"{scope}:{user_id}:{key}"
    claim = ctx.replays.claim(name)
    if claim.answer is not None:
        return _replay(json.loads(claim.answer), fingerprint)
    assert claim.token is not None
    answer: dict[str, Any] | None = None
    try:
        status, response = action()
        answer = {"request_hash": fingerprint, "status_code": status, "response": response}
        if status >= 400:  # a refusal wrote nothing, so running it again is harmless: Redis only
            return status, response
        try:
            _store(ctx, user_id, scope, key, answer)
        except IntegrityError:
            # The key was answered before: Redis lost that answer, or this key's lock expired
            # mid-action. The first stored answer wins.
            first = _find(ctx, user_id, scope, key)
            if first is None:
                raise
            answer = first
            return _replay(answer, fingerprint)
        return status, response
    finally:
        ctx.replays.settle(name, claim.token, None if answer is None else json.dumps(answer))


def _replay(answer: dict[str, Any], fingerprint: str) -> Response:
    if answer["request_hash"] != fingerprint:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used with a different request body."
        )
    return int(answer["status_code"]), answer["response"]


# One statement each, its own transaction (`ctx.sql`): the insert runs on every successful POST
# with a key (a hold's hot path), where a Session's BEGIN/COMMIT and ORM flush cost more CPU than
# the statement (bench.hold_cpu in docs/performance.md); the lookup only when the insert collides.
_RECORDS: Table = IdempotencyRecord.__table__  # type: ignore[attr-defined]
_ANSWER = ("request_hash", "status_code", "response")
_FIND = select(*(_RECORDS.c[name] for name in _ANSWER)).where(
    _RECORDS.c.user_id == bindparam("user_id"),
    _RECORDS.c.scope == bindparam("scope"),
    _RECORDS.c.key == bindparam("key"),
)
_INSERT = insert(_RECORDS).values(
    {name: bindparam(name) for name in ("user_id", "scope", "key", "created_at", *_ANSWER)}
)


def _find(ctx: Context, user_id: int, scope: str, key: str) -> dict[str, Any] | None:
    row = ctx.sql.first(_FIND, {"user_id": user_id, "scope": scope, "key": key})
    return None if row is None else dict(zip(_ANSWER, row, strict=True))


def _store(ctx: Context, user_id: int, scope: str, key: str, answer: dict[str, Any]) -> None:
    row = {"user_id": user_id, "scope": scope, "key": key, "created_at": ctx.clock(), **answer}
    ctx.sql.run(_INSERT, row)


def purge_expired(ctx: Context) -> int:
    with ctx.unit_of_work() as uow:
        session = uow.session
        result = session.execute(
            delete(IdempotencyRecord).where(
                col(IdempotencyRecord.created_at) < ctx.clock() - RETENTION
            )
        )
        uow.commit()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
