"""Who may do what: one place for the rules, used by views and templates."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user

from exchange.db import db
from exchange.extensions import login_manager
from exchange.models import LearningSession, NoteTaker, User, UserRole


def can_manage_session(user: Any, learning_session: LearningSession) -> bool:
    """Admins manage every session; organisers those their agency organises."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role is UserRole.ADMIN:
        return True
    return (
        user.role is UserRole.ORGANISER
        and user.agency_id is not None
        and user.agency_id == learning_session.organiser_id
    )


def can_write_notes(user: Any, learning_session: LearningSession) -> bool:
    """Those who manage the session, and the note-takers its organisers named for it."""
    if can_manage_session(user, learning_session):
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    return db.session.get(NoteTaker, (learning_session.id, user.id)) is not None


def role_required(*roles: UserRole) -> Callable:
    """Anonymous visitors go to the log-in page; others without the role get a 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: object, **kwargs: object) -> object:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles and current_user.role is not UserRole.ADMIN:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


admin_required = role_required(UserRole.ADMIN)
organiser_required = role_required(UserRole.ORGANISER)


def is_user(value: object) -> bool:
    return isinstance(value, User)
