"""Who is calling: a personal API token in ``Authorization: Bearer lx_…``, never a cookie.

The API ignores the browser's log-in session, so no other site can make a visitor's browser
act through it (which is also why it needs no CSRF token), and limits writes per token.
"""

from __future__ import annotations

import hashlib

from flask import current_app, g, request
from flask_babel import gettext as _

from exchange.api.errors import ApiError
from exchange.db import db, utcnow
from exchange.extensions import limiter
from exchange.models import User, UserRole
from exchange.services import api_tokens

CHALLENGE = 'Bearer realm="Learning Exchange API"'


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def api_user() -> User | None:
    """The token's user for this request, or None without a token. A bad token is a 401."""
    if "api_user" in g:
        return g.api_user
    secret = _bearer()
    user = None
    if secret is not None:
        found = api_tokens.user_for_secret(secret, utcnow())
        if found is None:
            raise ApiError(
                401,
                _("This API token is not valid: it may be revoked or expired."),
                "invalid_token",
                headers={"WWW-Authenticate": CHALLENGE + ', error="invalid_token"'},
            )
        user, token = found
        if db.session.is_modified(token):  # last_used_at moved on: keep it, whatever follows
            db.session.commit()
            user = db.session.get(User, token.user_id)
    g.api_user = user
    return user


def require_user() -> User:
    """The caller's user; 401 without a token."""
    user = api_user()
    if user is None:
        raise ApiError(
            401,
            _("Send your personal API token: Authorization: Bearer <token>."),
            headers={"WWW-Authenticate": CHALLENGE},
        )
    return user


def require_organiser() -> User:
    """An organiser or admin; 403 for other accounts."""
    user = require_user()
    if user.role not in (UserRole.ORGANISER, UserRole.ADMIN):
        raise ApiError(403, _("Only organisers can do this."))
    return user


def rate_key() -> str:
    """Writes are counted per token (per address without one)."""
    secret = _bearer()
    if secret:
        return "api-token:" + hashlib.sha256(secret.encode()).hexdigest()[:32]
    return "api-address:" + (request.remote_addr or "?")


write_limit = limiter.limit(lambda: current_app.config["API_WRITE_RATE_LIMIT"], key_func=rate_key)
