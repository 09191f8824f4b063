"""Domain errors: small exception classes each API face maps to a status code and a message."""

from __future__ import annotations


class TrinityError(Exception):
    """Base of every expected failure; `code` is the snake_case name clients see."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(TrinityError):
    code = "invalid_input"


class NotFound(TrinityError):
    code = "not_found"


class Unauthorized(TrinityError):
    code = "unauthorized"


class Forbidden(TrinityError):
    code = "forbidden"


class InvalidCredentials(TrinityError):
    code = "invalid_credentials"


class TooManyAttempts(TrinityError):
    code = "too_many_attempts"


class EmailTaken(TrinityError):
    code = "email_taken"


class SoldOut(TrinityError):
    code = "sold_out"


class Busy(TrinityError):
    """The room-night locks stayed contended for the whole bounded wait."""

    code = "busy"


class NotCancellable(TrinityError):
    code = "not_cancellable"


class NotExtendable(TrinityError):
    """The hold is not live any more, or was extended once already."""

    code = "not_extendable"


class NotPayable(TrinityError):
    """The booking is not a live hold (expired, cancelled, or already has an order)."""

    code = "not_payable"


class RoomTypeInUse(TrinityError):
    """Guests hold or have booked the room type for tonight or a later night."""

    code = "room_type_in_use"


class IdempotencyKeyReused(TrinityError):
    code = "idempotency_key_reused"


class Unavailable(TrinityError):
    """A backing server (Redis, the broker) is down; the request changed nothing."""

    code = "unavailable"
