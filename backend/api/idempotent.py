"""Answer a POST at most once per Idempotency-Key: the first answer (success or error) replays."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.responses import JSONResponse
from pydantic import BaseModel

from backend.api.errors import error_body, status_of
from backend.context import Context
from backend.errors import TrinityError
from backend.services import idempotency


def answer_once(
    ctx: Context,
    *,
    user_id: int,
    scope: str,
    key: str | None,
    body: BaseModel,
    action: Callable[[], BaseModel | tuple[int, BaseModel]],
    success_status: int = 200,
) -> JSONResponse:
    """`action` answers a body (sent with `success_status`) or a (status, body) pair."""

    def run() -> idempotency.Response:
        try:
            result = action()
        except TrinityError as error:
            return status_of(error), error_body(error.code, error.message)
        status, answer = result if isinstance(result, tuple) else (success_status, result)
        return status, answer.model_dump(mode="json")

    if key is None:
        status, payload = run()
    else:
        status, payload = idempotency.run_once(
            ctx,
            user_id=user_id,
            scope=scope,
            key=key,
            body=body.model_dump(mode="json"),
            action=run,
        )
    return JSONResponse(payload, status_code=status)
