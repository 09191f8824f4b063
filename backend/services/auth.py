"""Accounts: register, log in (rate-limited), tokens, and the admin bootstrap."""

from __future__ import annotations

import unicodedata
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Select, bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from backend.context import Context
from backend.errors import (
    EmailTaken,
    InvalidCredentials,
    InvalidInput,
    Unauthorized,
)
from backend.models import User
from backend.services.throttle import Limit, count_attempt, forget

# The limits of an account's fields, checked here so the API and the page enforce the same ones.
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
MAX_EMAIL_LENGTH = 320
MAX_NAME_LENGTH = 200
# Characters a name may not hold: controls (NUL included) and the bidirectional overrides and
# isolates that make a name display as something else ("\u202egnp.exe").
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# In-process callers (seeding, the CLI, benchmarks) name no client: only the account is counted.
IN_PROCESS = "in-process"
_REGISTER_LIMITED = "Too many new accounts from your address; try again later."
_CLIENT_LIMITED = "Too many login attempts from your address; wait a few minutes."
_ACCOUNT_LIMITED = "Too many failed logins for this account; wait a few minutes."
_hasher = PasswordHasher()


def _serializer(ctx: Context) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(ctx.settings.secret_key, salt="trinity-auth")


def issue_token(ctx: Context, user: User) -> str:
    return _serializer(ctx).dumps({"uid": user.id, "ep": user.token_epoch})


def canonical_email(email: str) -> str:
    """One spelling per address: compatibility forms folded (full-width "ａｄｍｉｎ" is "admin")
    and case folded, so lookalikes cannot register a second account."""
    return unicodedata.normalize("NFKC", email).strip().casefold()


def normalize_email(email: str) -> str:
    if len(email) > MAX_EMAIL_LENGTH:
        raise InvalidInput(f"The email address is longer than {MAX_EMAIL_LENGTH} characters.")
    try:
        checked = validate_email(canonical_email(email), check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidInput(f"That email address is not valid: {error}") from None
    return canonical_email(checked.normalized)


def check_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise InvalidInput("Please tell us your name.")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise InvalidInput(f"The name is longer than {MAX_NAME_LENGTH} characters.")
    if any(unicodedata.category(ch) == "Cc" or ch in BIDI_CONTROLS for ch in cleaned):
        raise InvalidInput("The name may not contain control or text-direction characters.")
    return cleaned


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"The password is longer than {MAX_PASSWORD_LENGTH} characters.")
    return password


def register(
    ctx: Context, email: str, password: str, name: str, *, client: str = IN_PROCESS
) -> tuple[str, User]:
    """`client`: the caller's address (both faces pass it); each address may create
    `register_client_max` accounts per window, counted before the password is hashed."""
    address = normalize_email(email)
    check_password(password)
    cleaned_name = check_name(name)
    if client != IN_PROCESS:
        count_attempt(
            ctx.redis,
            [Limit(f"register:{client}", ctx.settings.register_client_max, _REGISTER_LIMITED)],
            ctx.settings.register_window_seconds,
        )
    user = User(email=address, name=cleaned_name, password_hash=_hasher.hash(password))
    try:
        with ctx.unit_of_work() as uow:
            uow.session.add(user)
            uow.commit()
    except IntegrityError:
        raise EmailTaken("An account with this email already exists.") from None
    return issue_token(ctx, user), user


def login(ctx: Context, email: str, password: str, *, client: str = IN_PROCESS) -> tuple[str, User]:
    """Each attempt is counted before the password is checked (atomically, so concurrent guesses
    cannot all pass): per client address, and per address and account; a success clears the
    latter. Guesses from elsewhere never lock the owner out of their own address."""
    address = canonical_email(email)
    if len(address) > MAX_EMAIL_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidCredentials("Wrong email or password.")
    settings = ctx.settings
    failures = Limit(
        f"login-failures:{client}:{address}", settings.login_max_failures, _ACCOUNT_LIMITED
    )
    limits = [failures]
    if client != IN_PROCESS:
        limits.append(
            Limit(f"login-client:{client}", settings.login_client_max_attempts, _CLIENT_LIMITED)
        )
    count_attempt(ctx.redis, limits, settings.login_window_seconds)
    with ctx.unit_of_work() as uow:
        session = uow.session
        user = session.exec(select(User).where(User.email == address)).first()
    if user is None or not _password_matches(user.password_hash, password):
        raise InvalidCredentials("Wrong email or password.")
    forget(ctx.redis, failures)
    return issue_token(ctx, user), user


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Every authenticated request runs one of these: a primary-key read, prepared once.
# A token verifies only in the epoch it was issued in (`revoke_tokens` moves it on): the same
# one-row read as before, so revocation costs the hot path nothing.
_IN_EPOCH = (col(User.id) == bindparam("uid"), col(User.token_epoch) == bindparam("ep"))
_USER_BY_ID = select(User).where(*_IN_EPOCH)
_USER_ID = select(User.id).where(*_IN_EPOCH)
_USER_FIELDS = tuple(_USER_BY_ID.selected_columns.keys())
_NEXT_EPOCH = (
    update(User)
    .where(col(User.id) == bindparam("uid"))
    .values(token_epoch=col(User.token_epoch) + 1)
)


def user_from_token(ctx: Context, token: str) -> User:
    row = _lookup(ctx, _USER_BY_ID, _token_claims(ctx, token))
    return User(**dict(zip(_USER_FIELDS, row, strict=True)))


def user_id_from_token(ctx: Context, token: str) -> int:
    """Like `user_from_token` for callers that need only the id (holds): no model to build."""
    return int(_lookup(ctx, _USER_ID, _token_claims(ctx, token))[0])


def revoke_tokens(ctx: Context, user_id: int) -> None:
    """End every session of the account: each token issued so far stops verifying."""
    with ctx.unit_of_work() as uow:
        uow.session.execute(_NEXT_EPOCH, {"uid": user_id})
        uow.commit()


def _token_claims(ctx: Context, token: str) -> dict[str, int]:
    try:
        payload = _serializer(ctx).loads(token, max_age=ctx.settings.token_ttl_seconds)
    except SignatureExpired:
        raise Unauthorized("Your session has expired; please log in again.") from None
    except BadSignature:
        raise Unauthorized("Please log in.") from None
    # `type(...) is int`: JSON's `true` is a Python bool, and bool is an int subclass (user 1).
    if not isinstance(payload, dict) or type(payload.get("uid")) is not int:
        raise Unauthorized("Please log in.")
    epoch = payload.get("ep", 0)  # tokens from before revocation existed are of epoch 0
    if type(epoch) is not int:
        raise Unauthorized("Please log in.")
    return {"uid": payload["uid"], "ep": epoch}


def _lookup(ctx: Context, query: Select[Any], claims: dict[str, int]) -> tuple[Any, ...]:
    """The user's row, read outside any transaction; a deleted account, or a token revoked since,
    is logged out."""
    row = ctx.sql.first(query, claims)
    if row is None:
        raise Unauthorized("Please log in again.")
    return row


def ensure_user(ctx: Context, email: str, password: str, name: str, *, is_admin: bool) -> User:
    """Create the account if it does not exist yet (demo users and the admin from settings)."""
    address = normalize_email(email)
    with ctx.unit_of_work() as uow:
        session = uow.session
        user = session.exec(select(User).where(User.email == address)).first()
        if user is None:
            user = User(
                email=address, name=name, password_hash=_hasher.hash(password), is_admin=is_admin
            )
            session.add(user)
            uow.commit()
        return user


def ensure_guests(ctx: Context, accounts: dict[str, str], password: str) -> dict[str, int]:
    """Create the guest accounts (email -> name) that do not exist yet, all with one password
    hashed once (a QA scenario's crowd: argon2 costs ~0.1-0.7 s a hash); email -> user id."""
    addresses = {normalize_email(email): name for email, name in accounts.items()}
    with ctx.unit_of_work() as uow:
        session = uow.session
        found = session.exec(select(User).where(col(User.email).in_(list(addresses)))).all()
        users = {user.email: user for user in found}
        missing = [email for email in addresses if email not in users]
        if missing:
            password_hash = _hasher.hash(password)
            for email in missing:
                users[email] = User(email=email, name=addresses[email], password_hash=password_hash)
                session.add(users[email])
            uow.commit()
        return {email: user.id or 0 for email, user in users.items()}
