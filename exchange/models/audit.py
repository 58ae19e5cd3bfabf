"""The audit log: who changed what, when (read by admins)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange.db import db, utcnow

if TYPE_CHECKING:
    from exchange.models.user import User


class AuditEntry(db.Model):
    """One change: an action on one record, with the fields' values before and after."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_entity", "entity_type", "entity_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(40))  # create, update, publish, cancel, merge …
    entity_type: Mapped[str] = mapped_column(String(40))  # session, agency, person, topic, user
    entity_id: Mapped[int]
    summary: Mapped[str] = mapped_column(String(400), default="")  # e.g. the record's title
    # {"field": [before, after], …} as JSON-safe values (datetimes as ISO strings)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    user: Mapped[User | None] = relationship()
