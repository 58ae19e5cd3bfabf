"""Recording changes in the audit log. Called by the services that make the changes."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import inspect

from exchange.db import db, utcnow
from exchange.models.audit import AuditEntry


def record(
    action: str,
    entity: Any,
    *,
    user_id: int | None,
    changes: dict[str, tuple[Any, Any]] | None = None,
    summary: str = "",
    entity_type: str | None = None,
) -> AuditEntry:
    """Add one entry in the caller's transaction (flushes, never commits)."""
    entry = AuditEntry(
        created_at=utcnow(),
        user_id=user_id,
        action=action,
        entity_type=entity_type or _type_name(entity),
        entity_id=entity.id,
        summary=summary[:400],
        changes={field: [_plain(a), _plain(b)] for field, (a, b) in (changes or {}).items()},
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def pending_changes(obj: Any) -> dict[str, tuple[Any, Any]]:
    """The column attributes of *obj* changed since it was loaded: {name: (before, after)}."""
    state = inspect(obj)
    changes: dict[str, tuple[Any, Any]] = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if history.has_changes():
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            if before != after:
                changes[attr.key] = (before, after)
    return changes


def _type_name(entity: Any) -> str:
    name = type(entity).__name__
    return {"LearningSession": "session", "AgendaItem": "agenda_item"}.get(name, name.lower())


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
