"""Personal API tokens: make one (the secret is shown once), list, revoke, and find its user."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from exchange.db import db
from exchange.models import ApiToken, User
from exchange.services import audit

PREFIX = "lx_"  # recognisable in logs and by secret scanners
MAX_ACTIVE = 20  # per user; more usually means tokens are being made and forgotten
LAST_USED_RESOLUTION = timedelta(minutes=5)  # write last_used_at at most this often


class TokenError(Exception):
    """A rule prevented the change; the message is safe to show."""


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    user: User, name: str, now: datetime, *, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token for *user*; returns it with its secret, which is never stored."""
    name = name.strip()
    if not name:
        raise TokenError(_("Name the token after what will use it."))
    if expires_at is not None and expires_at <= now:
        raise TokenError(_("Choose an expiry date in the future."))
    if len(active_tokens(user, now)) >= MAX_ACTIVE:
        raise TokenError(_("You have %(count)d active tokens: revoke one first.", count=MAX_ACTIVE))
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name[:100],
        token_hash=hash_secret(secret),
        prefix=secret[: len(PREFIX) + 6],
        created_at=now,
        expires_at=expires_at,
    )
    db.session.add(token)
    db.session.flush()
    audit.record("api_token_create", token, user_id=user.id, summary=token.name)
    return token, secret


def tokens_of(user: User) -> list[ApiToken]:
    """All of the user's tokens, newest first (revoked and expired ones too)."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def active_tokens(user: User, now: datetime) -> list[ApiToken]:
    return [token for token in tokens_of(user) if token.usable(now)]


def revoke(token: ApiToken, now: datetime, *, user_id: int) -> None:
    if token.revoked_at is not None:
        return
    token.revoked_at = now
    db.session.flush()
    audit.record("api_token_revoke", token, user_id=user_id, summary=token.name)


def user_for_secret(secret: str, now: datetime) -> tuple[User, ApiToken] | None:
    """The active user a usable token belongs to, else None. Notes when it was last used."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    if token is None or not token.usable(now) or not token.user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
    return token.user, token
