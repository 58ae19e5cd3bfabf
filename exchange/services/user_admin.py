"""What admins do with accounts (roles, agency, active) and how they read the audit log.

Functions flush, never commit. A refused change raises DirectoryError before anything changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload

from exchange.db import db
from exchange.models import Agency, AuditEntry, LearningSession, Person, Topic, User, UserRole
from exchange.services import audit
from exchange.services.directory import DirectoryError

# Entity types whose records can be opened from the audit log, and the model that holds them.
LINKABLE: dict[str, Any] = {
    "agency": Agency,
    "person": Person,
    "topic": Topic,
    "user": User,
    "session": LearningSession,
}


def users_query(search: str = "", role: UserRole | None = None) -> Select[tuple[User]]:
    """Accounts by name, with their agency loaded; optionally matching *search* or *role*."""
    query = select(User).options(joinedload(User.agency)).order_by(User.display_name, User.id)
    if needle := search.strip():
        query = query.where(
            or_(
                User.display_name.icontains(needle, autoescape=True),
                User.email.icontains(needle, autoescape=True),
            )
        )
    if role is not None:
        query = query.where(User.role == role)
    return query


def update_user(
    user: User,
    *,
    role: UserRole,
    agency_id: int | None,
    active: bool,
    acting_user_id: int,
) -> dict[str, tuple[Any, Any]]:
    """Set the role, agency and active flag; returns what changed (recorded in the audit log).

    An admin cannot take away their own admin role or lock themselves out: the site could be
    left with no admin at all, and undoing it would need the database.
    """
    errors: dict[str, str] = {}
    if user.id == acting_user_id:
        if user.role is UserRole.ADMIN and role is not UserRole.ADMIN:
            errors["role"] = _(
                "You cannot remove your own administrator role: ask another administrator."
            )
        if not active:
            errors["active"] = _("You cannot deactivate your own account.")
    if agency_id is not None and db.session.get(Agency, agency_id) is None:
        errors["agency_id"] = _("Choose an agency from the list.")
    if errors:
        raise DirectoryError(next(iter(errors.values())), errors=errors)
    user.role, user.agency_id, user.active = role, agency_id, active
    changes = audit.pending_changes(user)
    if changes:
        db.session.flush()
        audit.record(
            "update", user, user_id=acting_user_id, changes=changes, summary=user.display_name
        )
    return changes


def audit_query(entity_type: str | None = None, user_id: int | None = None) -> Select:
    """Audit entries, newest first, with who made them loaded."""
    query = select(AuditEntry).options(joinedload(AuditEntry.user))
    if entity_type:
        query = query.where(AuditEntry.entity_type == entity_type)
    if user_id is not None:
        query = query.where(AuditEntry.user_id == user_id)
    return query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())


def audit_entity_types() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.entity_type).distinct()))


def audit_authors() -> list[User]:
    """Everyone who has changed something, by name."""
    authors = select(AuditEntry.user_id).where(AuditEntry.user_id.is_not(None)).distinct()
    return list(
        db.session.scalars(
            select(User).where(User.id.in_(authors)).order_by(User.display_name, User.id)
        )
    )


def agency_names(ids: set[int], language: str) -> dict[int, str]:
    """Names of the agencies that still exist among *ids* (for values in the audit log)."""
    if not ids:
        return {}
    agencies = db.session.scalars(select(Agency).where(Agency.id.in_(ids)))
    return {agency.id: agency.loc("name", language) for agency in agencies}


@dataclass(frozen=True)
class Target:
    """A record an audit entry is about, as it is now (its slug is what addresses use)."""

    entity_type: str
    id: int
    slug: str


def existing_targets(entries: list[AuditEntry]) -> dict[tuple[str, int], Target]:
    """Which of the entries' records still exist: one query per linkable type on the page."""
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.entity_type in LINKABLE:
            wanted.setdefault(entry.entity_type, set()).add(entry.entity_id)
    found: dict[tuple[str, int], Target] = {}
    for entity_type, ids in sorted(wanted.items()):
        model = LINKABLE[entity_type]
        slug = model.slug if hasattr(model, "slug") else model.email
        for record_id, value in db.session.execute(select(model.id, slug).where(model.id.in_(ids))):
            found[entity_type, record_id] = Target(entity_type, record_id, value)
    return found
