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
    success_status: int,
    action: Callable[[], BaseModel],
) -> JSONResponse:
    def run() -> idempotency.Response:
        try:
            result = action()
        except TrinityError as error:
            return status_of(error), error_body(error.code, error.message)
        return success_status, result.model_dump(mode="json")

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
