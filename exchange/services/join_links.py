"""Personal join links (/j/<token>): one secret per registration, so the platform link can
change at any time without re-sending anything, and opening it records online attendance."""

from __future__ import annotations

import secrets

from flask import url_for

from exchange.models import Registration


def ensure_join_token(registration: Registration) -> str:
    """The registration's token, made on first use (flush to store it)."""
    if not registration.join_token:
        registration.join_token = secrets.token_urlsafe(24)
    return registration.join_token


def personal_join_url(registration: Registration, *, external: bool = True) -> str:
    """The address a registrant is given instead of the platform's link."""
    return url_for("join.follow", token=ensure_join_token(registration), _external=external)
