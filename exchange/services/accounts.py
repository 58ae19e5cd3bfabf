"""Accounts: creating users, checking passwords, and single-use tokens sent by e-mail.

A sign-up is held in a signed link (``signup_token``), not in the database: no row exists
until the person follows the e-mailed link, so the sign-up form can answer the same for an
address that has an account and one that has not.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from exchange.db import db
from exchange.models import (
    Agency,
    AuthToken,
    Registration,
    TokenPurpose,
    User,
    UserRole,
    normalise_email,
)

# Checked against when no account matches, so a wrong address costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(Exception):
    """A rule prevented the change; the message is safe to show."""


class TokenError(Exception):
    """The link cannot be used; ``reason`` is "invalid", "expired" or "used"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def find_user(email: str) -> User | None:
    return db.session.scalars(select(User).filter_by(email=normalise_email(email))).one_or_none()


def create_user(
    email: str,
    display_name: str,
    *,
    password: str | None = None,
    password_hash: str | None = None,
    agency_id: int | None = None,
    locale: str = "th",
    role: UserRole = UserRole.PARTICIPANT,
) -> User:
    """A new account; raises AccountError when the address is taken (in any letter case).

    *password_hash* is one made earlier by ``hash_password`` (a confirmed sign-up)."""
    user = User(
        email=normalise_email(email),
        display_name=display_name.strip(),
        password_hash=password_hash,
        agency_id=agency_id,
        locale=locale,
        role=role,
    )
    if password is not None:
        user.set_password(password)
    try:
        with db.session.begin_nested():  # a lost race on the unique e-mail undoes only this
            db.session.add(user)
    except IntegrityError:
        raise AccountError(_("An account with this e-mail address already exists.")) from None
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with this address and password, else None (same cost either way)."""
    user = find_user(email)
    if user is None or user.password_hash is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def issue_token(
    user: User,
    purpose: TokenPurpose,
    now: datetime,
    hours: float,
    registration: Registration | None = None,
) -> str:
    """Create a token and return its secret; only the secret's hash is stored."""
    secret = secrets.token_urlsafe(32)
    db.session.add(
        AuthToken(
            token_hash=_hash(secret),
            purpose=purpose,
            user_id=user.id,
            registration_id=registration.id if registration is not None else None,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    db.session.flush()
    return secret


def check_token(secret: str, purpose: TokenPurpose, now: datetime) -> AuthToken:
    """The token for *secret*, if it can still be used; raises TokenError otherwise."""
    token = db.session.scalars(
        select(AuthToken).filter_by(token_hash=_hash(secret), purpose=purpose)
    ).one_or_none()
    if token is None:
        raise TokenError("invalid")
    if token.used_at is not None:
        raise TokenError("used")
    if token.expires_at <= now:
        raise TokenError("expired")
    return token


def use_token(secret: str, purpose: TokenPurpose, now: datetime) -> AuthToken:
    """Check the token and mark it used, atomically: a second use (even a racing one) fails."""
    token = check_token(secret, purpose, now)
    claimed = db.session.execute(
        AuthToken.__table__.update()
        .where(AuthToken.id == token.id, AuthToken.used_at.is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:
        raise TokenError("used")
    db.session.refresh(token)
    return token


def hash_password(password: str) -> str:
    """The stored form of *password* (scrypt, salted), as ``User.set_password`` makes it."""
    return generate_password_hash(password)


# --- sign-up held in a signed link ---------------------------------------------------------

_SIGNUP_SALT = "exchange.signup-confirm"


@dataclass(frozen=True)
class SignupRequest:
    """What the sign-up form gave, carried by the e-mailed link until it is confirmed.

    The link is signed, not encrypted: it holds the password's hash, never the password."""

    email: str
    display_name: str
    password_hash: str
    agency_id: int | None
    locale: str
    register: str | None = None  # a session's slug: register for it once confirmed
    next: str | None = None


def signup_token(signup: SignupRequest) -> str:
    return _signup_serializer().dumps(asdict(signup))


def read_signup_token(token: str, max_age_hours: float) -> SignupRequest:
    """The sign-up in *token*; raises TokenError ("invalid" or "expired") otherwise."""
    serializer = _signup_serializer()
    try:
        data = serializer.loads(token, max_age=max_age_hours * 3600)
    except SignatureExpired:
        raise TokenError("expired") from None
    except BadSignature:
        raise TokenError("invalid") from None
    try:
        return SignupRequest(**data)
    except TypeError:  # signed by us, but in an older shape
        raise TokenError("invalid") from None


def confirm_signup(signup: SignupRequest) -> User:
    """Create the account a sign-up link describes; AccountError when the address is taken
    (the link was used already, or the address signed up another way meanwhile)."""
    agency_id = signup.agency_id
    if agency_id is not None and db.session.get(Agency, agency_id) is None:
        agency_id = None  # the agency was removed since: the person can pick it again
    return create_user(
        signup.email,
        signup.display_name,
        password_hash=signup.password_hash,
        agency_id=agency_id,
        locale=signup.locale,
    )


def _signup_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SIGNUP_SALT)


def token_message(error: TokenError) -> str:
    return {
        "invalid": _("This link is not valid. Check that you copied all of it."),
        "expired": _("This link has expired. Ask for a new one."),
        "used": _("This link has already been used."),
    }[error.reason]


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
