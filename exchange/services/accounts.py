"""Accounts: creating users, checking passwords, and single-use tokens sent by e-mail."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from exchange.db import db
from exchange.models import AuthToken, Registration, TokenPurpose, User, UserRole, normalise_email

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
    agency_id: int | None = None,
    locale: str = "th",
    role: UserRole = UserRole.PARTICIPANT,
) -> User:
    """A new account; raises AccountError when the address is taken (in any letter case)."""
    user = User(
        email=normalise_email(email),
        display_name=display_name.strip(),
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


def token_message(error: TokenError) -> str:
    return {
        "invalid": _("This link is not valid. Check that you copied all of it."),
        "expired": _("This link has expired. Ask for a new one."),
        "used": _("This link has already been used."),
    }[error.reason]


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
