"""Every failure leaves the API as `{"error": {"code", "message"}}`: never a trace, never HTML."""

from __future__ import annotations

import logging

import redis
import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend import errors

log = logging.getLogger("trinity.api")

STATUS_BY_ERROR: dict[type[errors.TrinityError], int] = {
    errors.InvalidInput: 422,
    errors.IdempotencyKeyReused: 422,
    errors.NotFound: 404,
    errors.Unauthorized: 401,
    errors.InvalidCredentials: 401,
    errors.Forbidden: 403,
    errors.TooManyAttempts: 429,
    errors.EmailTaken: 409,
    errors.SoldOut: 409,
    errors.Busy: 409,
    errors.NotCancellable: 409,
    errors.NotPayable: 409,
    errors.RoomTypeInUse: 409,
    errors.Unavailable: 503,
}

HTTP_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def status_of(error: errors.TrinityError) -> int:
    return STATUS_BY_ERROR.get(type(error), 400)


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status)


def _describe(exc: RequestValidationError) -> str:
    parts = []
    for item in exc.errors()[:5]:
        where = ".".join(str(p) for p in item.get("loc", ()) if p not in ("body", "query", "path"))
        parts.append(f"{where}: {item.get('msg', 'invalid')}" if where else item.get("msg", ""))
    return "Invalid input: " + "; ".join(parts) if parts else "Invalid input."


def install(api: FastAPI) -> None:
    @api.exception_handler(errors.TrinityError)
    async def _domain(_: Request, exc: errors.TrinityError) -> JSONResponse:
        return error_response(status_of(exc), exc.code, exc.message)

    @api.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "invalid_input", _describe(exc))

    @api.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return error_response(exc.status_code, code, message)

    @api.exception_handler(redis.ConnectionError)
    @api.exception_handler(redis.TimeoutError)
    async def _redis_down(_: Request, exc: Exception) -> JSONResponse:
        log.warning("redis unavailable: %s", exc)
        return error_response(
            503,
            "unavailable",
            "Booking is briefly unavailable (lock service down); nothing was changed. Please retry.",
        )

    @api.exception_handler(sqlalchemy.exc.OperationalError)
    @api.exception_handler(sqlalchemy.exc.TimeoutError)
    async def _database_down(_: Request, exc: Exception) -> JSONResponse:
        # Also the one request that meets a connection the server dropped (e.g. a restart): the
        # pool is discarded then, and the retry gets fresh connections.
        log.warning("database unavailable: %s", exc)
        return error_response(
            503, "unavailable", "The database is briefly unreachable. Please retry in a moment."
        )

    @api.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return error_response(500, "internal_error", "Something went wrong on our side.")
