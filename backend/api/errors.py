"""Every failure leaves the API as `{"error": {"code", "message"}}`: never a trace, never HTML."""

from __future__ import annotations

import logging
from typing import Any

import redis
import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from backend import errors
from backend.api.schemas import MAX_BODY_BYTES, NO_NUL

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
    errors.NotExtendable: 409,
    errors.NotPayable: 409,
    errors.RoomTypeInUse: 409,
    errors.Unavailable: 503,
}

HTTP_CODES = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
}


class ErrorDetail(BaseModel):
    code: str = Field(description="snake_case, stable: clients branch on it.")
    message: str = Field(description="A sentence for people; it may change.")


class ErrorOut(BaseModel):
    """The body of every error answer."""

    error: ErrorDetail


# What each error status means on any operation; an operation may say more (its own 409 codes).
ERROR_DESCRIPTIONS: dict[int, str] = {
    401: "`unauthorized`: no bearer token, or not a valid one.",
    403: "`forbidden`: only administrators can do this.",
    404: "`not_found`: nothing has that id, or it belongs to another user.",
    409: "A conflict with the current state (see the code).",
    413: f"`body_too_large`: the request body is over {MAX_BODY_BYTES // 1024} KiB.",
    422: (
        "`invalid_input`: a value out of range or of the wrong type, an unknown field, a body "
        "that is not a JSON object, a query parameter that is repeated or not documented here, "
        "or text that is not UTF-8."
    ),
    429: "`too_many_attempts`: wait a few minutes before trying again.",
    503: "`unavailable`: a backing server is briefly unreachable; nothing was changed. Retry.",
}


def error_responses(*statuses: int | tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses, each with the error body's schema.

    A `(status, description)` pair says what that status means on this operation.
    """
    documented: dict[int | str, dict[str, Any]] = {}
    for item in statuses:
        status, description = item if isinstance(item, tuple) else (item, ERROR_DESCRIPTIONS[item])
        documented[status] = {"model": ErrorOut, "description": description}
    return documented


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def status_of(error: errors.TrinityError) -> int:
    return STATUS_BY_ERROR.get(type(error), 400)


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status)


def _body_problem(item: Any) -> str | None:
    """A body that is not a JSON object at all: one sentence says it, not a field list."""
    if item.get("type") == "json_invalid":
        reason = item.get("ctx", {}).get("error", "malformed")
        return f"The body is not valid JSON ({reason}, at character {item['loc'][-1]})."
    if item.get("loc") == ("body",) and item.get("type") == "model_attributes_type":
        return "The body must be a JSON object, sent as Content-Type: application/json."
    return None


def _describe_one(item: Any) -> str:
    where = ".".join(str(p) for p in item.get("loc", ()) if p not in ("body", "query", "path"))
    if item.get("ctx", {}).get("pattern") == NO_NUL:
        return f"{where}: text cannot contain the NUL character (U+0000)"
    message = item.get("msg", "invalid")
    return f"{where}: {message}" if where else message


def _describe(exc: RequestValidationError) -> str:
    found = exc.errors()
    if found and (sentence := _body_problem(found[0])):
        return sentence
    parts = [_describe_one(item) for item in found[:5]]
    return "Invalid input: " + "; ".join(parts) if parts else "Invalid input."


def _unreadable_body(exc: StarletteHTTPException) -> str:
    """FastAPI answers 400 when it cannot even decode the body; say why, as a 422."""
    cause = exc.__cause__
    if isinstance(cause, UnicodeDecodeError):
        return "The body is not valid UTF-8 JSON."
    if isinstance(cause, RecursionError):
        return "The body is nested too deeply to be read."
    return "The body could not be read as JSON (a number in it may be too long)."


def _allowed_methods(request: Request) -> str:
    """Every method the document lists for the path: Starlette's Allow names only those of the
    first route that matched (GET and POST /api/bookings are two routes)."""
    for template, operations in request.app.openapi()["paths"].items():
        if compile_path(template)[0].match(request.url.path):
            methods = {method.upper() for method in operations}
            return ", ".join(sorted(methods | ({"HEAD"} if "GET" in methods else set())))
    return ""


def install(api: FastAPI) -> None:
    @api.exception_handler(errors.TrinityError)
    async def _domain(_: Request, exc: errors.TrinityError) -> JSONResponse:
        return error_response(status_of(exc), exc.code, exc.message)

    @api.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "invalid_input", _describe(exc))

    @api.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # the API raises no 400: it is a body FastAPI could not decode
            return error_response(422, "invalid_input", _unreadable_body(exc))
        code = HTTP_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
        return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=headers)

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
