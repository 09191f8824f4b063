"""Accounts: register, log in (rate-limited), tokens, and the admin bootstrap."""

from __future__ import annotations

from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Row, Select, bindparam
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from backend.context import Context
from backend.db import autocommit, transaction
from backend.errors import (
    EmailTaken,
    InvalidCredentials,
    InvalidInput,
    TooManyAttempts,
    Unauthorized,
)
from backend.models import User

MIN_PASSWORD_LENGTH = 8
_hasher = PasswordHasher()


def _serializer(ctx: Context) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(ctx.settings.secret_key, salt="trinity-auth")


def issue_token(ctx: Context, user: User) -> str:
    return _serializer(ctx).dumps({"uid": user.id})


def normalize_email(email: str) -> str:
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise InvalidInput(f"That email address is not valid: {error}") from None


def register(ctx: Context, email: str, password: str, name: str) -> tuple[str, User]:
    address = normalize_email(email)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if not name.strip():
        raise InvalidInput("Please tell us your name.")
    user = User(email=address, name=name.strip(), password_hash=_hasher.hash(password))
    try:
        with transaction(ctx.engine) as session:
            session.add(user)
    except IntegrityError:
        raise EmailTaken("An account with this email already exists.") from None
    return issue_token(ctx, user), user


def login(ctx: Context, email: str, password: str) -> tuple[str, User]:
    address = email.strip().lower()
    failures_key = f"login-failures:{address}"
    failures_so_far = ctx.redis.get(failures_key)
    if int(str(failures_so_far or 0)) >= ctx.settings.login_max_failures:
        raise TooManyAttempts("Too many failed logins for this account; wait a few minutes.")
    with transaction(ctx.engine) as session:
        user = session.exec(select(User).where(User.email == address)).first()
    if user is None or not _password_matches(user.password_hash, password):
        failures = ctx.redis.incr(failures_key)
        if failures == 1:
            ctx.redis.expire(failures_key, ctx.settings.login_window_seconds)
        raise InvalidCredentials("Wrong email or password.")
    ctx.redis.delete(failures_key)
    return issue_token(ctx, user), user


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Every authenticated request runs one of these: a primary-key read, prepared once.
_USER_BY_ID = select(User).where(User.id == bindparam("uid"))
_USER_ID = select(User.id).where(User.id == bindparam("uid"))


def user_from_token(ctx: Context, token: str) -> User:
    row = _lookup(ctx, _USER_BY_ID, _token_user_id(ctx, token))
    return User(**row._mapping)


def user_id_from_token(ctx: Context, token: str) -> int:
    """Like `user_from_token` for callers that need only the id (holds): no model to build."""
    return int(_lookup(ctx, _USER_ID, _token_user_id(ctx, token))[0])


def _token_user_id(ctx: Context, token: str) -> int:
    try:
        payload = _serializer(ctx).loads(token, max_age=ctx.settings.token_ttl_seconds)
    except SignatureExpired:
        raise Unauthorized("Your session has expired; please log in again.") from None
    except BadSignature:
        raise Unauthorized("Please log in.") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("uid"), int):
        raise Unauthorized("Please log in.")
    return int(payload["uid"])


def _lookup(ctx: Context, query: Select[Any], user_id: int) -> Row[Any]:
    """The user's row, read outside any transaction; a deleted account is logged out."""
    with autocommit(ctx.engine) as connection:
        row = connection.execute(query, {"uid": user_id}).first()
    if row is None:
        raise Unauthorized("Please log in.")
    return row


def ensure_user(ctx: Context, email: str, password: str, name: str, *, is_admin: bool) -> User:
    """Create the account if it does not exist yet (demo users and the admin from settings)."""
    address = normalize_email(email)
    with transaction(ctx.engine) as session:
        user = session.exec(select(User).where(User.email == address)).first()
        if user is None:
            user = User(
                email=address, name=name, password_hash=_hasher.hash(password), is_admin=is_admin
            )
            session.add(user)
        return user


def ensure_guests(ctx: Context, accounts: dict[str, str], password: str) -> dict[str, int]:
    """Create the guest accounts (email -> name) that do not exist yet, all with one password
    hashed once (a QA scenario's crowd: argon2 costs ~0.1-0.7 s a hash); email -> user id."""
    addresses = {normalize_email(email): name for email, name in accounts.items()}
    with transaction(ctx.engine) as session:
        found = session.exec(select(User).where(col(User.email).in_(list(addresses)))).all()
        users = {user.email: user for user in found}
        missing = [email for email in addresses if email not in users]
        if missing:
            password_hash = _hasher.hash(password)
            for email in missing:
                users[email] = User(email=email, name=addresses[email], password_hash=password_hash)
                session.add(users[email])
            session.flush()
        return {email: user.id or 0 for email, user in users.items()}
