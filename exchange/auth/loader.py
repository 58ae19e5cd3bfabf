"""Flask-Login's user loader (kept apart from the views so the factory can import it early)."""

from __future__ import annotations

from exchange.db import db
from exchange.models import User


def load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None
